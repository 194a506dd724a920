import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { sql } from 'drizzle-orm';
import postgres from 'postgres';
import { findOpenCase, openCaseCandidates } from '../../api/cases/repeat';
import { prepareDatabase } from '../../config/boot';
import { type Database, type Db, openDatabase } from '../../db/client';
import { nameKeySql, phoneDigits, phoneKeySql } from '../../db/repeat-keys';
import type { ResidentContact } from '../../db/schema';
import { oldOpenCaseScan } from './old-repeat-scan';
import type { BenchOptions, Figure, Section, SectionResult } from './section';
import { fmt, label, time, type Timed } from './timing';

/**
 * Create cost flat in the number of open cases (issue 13): the repeat rule's lookup (findOpenCase, which
 * every opening runs) timed in-process on a fresh database — PGlite in a temp dir, or a fresh database on
 * DATABASE_URL's server — migrated and seeded as the service does, with open case rows bulk-inserted in SQL
 * (realistic residents; their keys by the migration's own expressions). 1 000 open cases, then 100 000
 * (quick: 10 000), all of one station and catalogue item (the rule's worst case). Lookups of residents
 * present and absent, half each. The old scan (the query before the keys) is timed on the same rows for
 * the before/after.
 */

const station = 'qianggen';
const service = 'home-plumbing-repair';

/** A fresh database for an in-process measurement: PGlite in a temp dir, or its own database on DATABASE_URL's server. */
export async function freshDatabase(o: BenchOptions): Promise<{ database: Database; dispose: () => Promise<void> }> {
  if (!o.databaseUrl) {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sf-bench-repeat-'));
    const database = await openDatabase({ pgliteDir: dir });
    return {
      database,
      dispose: async () => {
        await database.close();
        fs.rmSync(dir, { recursive: true, force: true });
      },
    };
  }
  const name = `bench_${crypto.randomBytes(5).toString('hex')}`;
  const admin = postgres(o.databaseUrl, { max: 1, onnotice: () => {} });
  await admin.unsafe(`create database "${name}"`);
  const u = new URL(o.databaseUrl);
  u.pathname = `/${name}`;
  const database = await openDatabase({ url: u.toString(), max: 2 });
  return {
    database,
    dispose: async () => {
      try {
        await database.close();
        await admin.unsafe(`drop database if exists "${name}" with (force)`);
      } finally {
        await admin.end();
      }
    },
  };
}

// Residents as a Beijing station sees them: three- and (a quarter) two-character names from common
// surnames and given-name characters, most with a mobile number (a few written with spaces or dashes), some with only
// name and address; a few pinyin names in mixed case.
const surnames = '王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈';
const givens = '伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华玉兰萍红建国鹏辉玲丹志强斌宇浩凯佳琳雪梅';

/** Inserts open cases number `from`..`to` (resident g is a pure function of g, in SQL and in JS alike). */
async function seed(db: Db, from: number, to: number): Promise<void> {
  // h: a pseudo-random function of g; names mostly three characters (about 120 000 of them), some two.
  const h = sql`(hashint4(g)::bigint + 2147483648)`;
  const name = sql`(substr(${surnames}, 1 + (${h} % ${surnames.length})::int, 1) || substr(${givens}, 1 + (${h} / ${surnames.length} % ${givens.length})::int, 1)
      || case when ${h} / 1000000 % 4 = 0 then '' else substr(${givens}, 1 + (${h} / ${surnames.length * givens.length} % ${givens.length})::int, 1) end)`;
  const phone = sql`case when g % 5 = 4 then null
      when g % 7 = 0 then '13' || substr(lpad((g::bigint * 104729 % 1000000000)::text, 9, '0'), 1, 1) || ' ' || substr(lpad((g::bigint * 104729 % 1000000000)::text, 9, '0'), 2, 4) || '-' || substr(lpad((g::bigint * 104729 % 1000000000)::text, 9, '0'), 6)
      else '13' || lpad((g::bigint * 104729 % 1000000000)::text, 9, '0') end`;
  const address = sql`((g % 40) + 1)::text || '号楼' || ((g % 6) + 1)::text || '单元' || ((g % 30) + 101)::text`;
  await db.execute(sql`
    insert into cases (id, workflow_id, station_id, service_code, category, deadline_class, channel, demand, resident, stage,
                       opened_by, opened_at, updated_at, next_due_at, repeat_phone_key, repeat_name_key)
    select id, 'case-' || id, ${station}, ${service}, i.category, i.deadline_class, 'walk-in', '厨房水管漏水', r,
           (array['accept', 'diagnose', 'plan', 'execute'])[1 + g % 4], 'wang', at, at, at + interval '3 days',
           ${phoneKeySql(sql`r->>'phone'`)}, ${nameKeySql(sql`r->>'name'`)}
    from (
      select g, 'QG-BENCH-' || lpad(g::text, 7, '0') as id, timestamptz '2026-01-01T00:00:00Z' + g * interval '1 minute' as at,
             jsonb_strip_nulls(jsonb_build_object('name', ${name}, 'phone', ${phone}, 'address', ${address})) as r
      from generate_series(${from}::int, ${to}::int) as g
    ) s, service_items i
    where i.code = ${service}`);
  await db.execute(sql`analyze cases`);
}

/** Half residents drawn from the seeded rows (as typed again: phone digits only), half nobody has. */
async function lookups(db: Db, n: number, seq: number): Promise<ResidentContact[]> {
  const rows = (await db.execute(sql`select resident from cases where station_id = ${station} order by md5(id || ${seq}::text) limit ${Math.ceil(n / 2)}`)) as unknown;
  const present = ((rows as { rows?: { resident: ResidentContact }[] }).rows ?? (rows as { resident: ResidentContact }[])).map((r) => ({
    ...r.resident,
    ...(r.resident.phone ? { phone: phoneDigits(r.resident.phone) } : {}),
  }));
  const absent = Array.from({ length: n - present.length }, (_, i) =>
    i % 4 === 3 ? { name: `访客${seq}${i}`, address: '99号楼' } : { name: `访客${seq}${i}`, phone: `199${String(seq * 100000 + i).padStart(8, '0')}` },
  );
  return present.flatMap((p, i) => (absent[i] ? [p, absent[i]!] : [p]));
}

/** Whether the planner answers findOpenCase's query from the keys' indexes (EXPLAIN, parameters inlined). */
async function plan(db: Db, resident: ResidentContact): Promise<string[]> {
  const q = openCaseCandidates(db, station, service, resident).toSQL();
  const inlined = q.sql.replace(/\$(\d+)/g, (_, i: string) => {
    const v = q.params[Number(i) - 1];
    return typeof v === 'number' ? String(v) : `'${String(v).replace(/'/g, "''")}'`;
  });
  const res = (await db.execute(sql.raw(`explain ${inlined}`))) as unknown;
  const rows = (res as { rows?: Record<string, string>[] }).rows ?? (res as Record<string, string>[]);
  return rows.map((r) => r['QUERY PLAN']!);
}

export const repeatRule: Section = {
  name: 'repeat-rule',
  async run(o: BenchOptions): Promise<SectionResult> {
    const small = 1_000;
    const large = o.quick ? 10_000 : 100_000;
    const n = o.quick ? 60 : 200;
    const nOld = o.quick ? 20 : 50;
    const { database, dispose } = await freshDatabase(o);
    try {
      await prepareDatabase(database);
      const { db } = database;
      const at: Record<number, { keys: Timed; old: Timed }> = {};
      let seeded = 0;
      const plans: Record<number, string[]> = {};
      for (const size of [small, large]) {
        const t0 = Date.now();
        await seed(db, seeded + 1, size);
        seeded = size;
        o.log(`repeat-rule: ${size} open cases seeded in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
        const residents = await lookups(db, n, size);
        const keys = await time(residents, (r) => findOpenCase(db, station, service, r));
        const old = await time(residents.slice(0, nOld), (r) => oldOpenCaseScan(db, station, service, r));
        at[size] = { keys, old };
        o.log(`repeat-rule: at ${size}: keys p50 ${fmt(keys.p50)} ms p99 ${fmt(keys.p99)} ms (${keys.found}/${n} found); old scan p50 ${fmt(old.p50)} ms p99 ${fmt(old.p99)} ms`);
        plans[size] = await plan(db, residents[0]!);
      }
      const explain = plans[large]!;
      const usesIndexes = explain.some((l) => /cases_open_(phone|name)_key_idx/.test(l)) && !explain.some((l) => /Seq Scan on cases/.test(l));
      const ratio = at[large]!.keys.p50 / at[small]!.keys.p50;
      const figures: Figure[] = [
        { name: `repeat rule at ${label(small)} open cases (p50 / p99)`, value: `${fmt(at[small]!.keys.p50)} / ${fmt(at[small]!.keys.p99)} ms` },
        { name: `repeat rule at ${label(large)} open cases (p50 / p99)`, value: `${fmt(at[large]!.keys.p50)} / ${fmt(at[large]!.keys.p99)} ms` },
        { name: `repeat rule ${label(large)} / ${label(small)} (p50)`, value: `${ratio.toFixed(2)} ×`, target: '≤ 2 ×', met: ratio <= 2 },
        { name: 'repeat rule uses the keys\u2019 indexes (EXPLAIN)', value: usesIndexes ? 'yes' : 'no' },
        { name: `old scan at ${label(small)} / ${label(large)} open cases (p50)`, value: `${fmt(at[small]!.old.p50)} / ${fmt(at[large]!.old.p50)} ms` },
      ];
      return {
        figures,
        json: {
          database: database.kind,
          lookups: n,
          sizes: [small, large],
          ms: Object.fromEntries(Object.entries(at).map(([k, v]) => [k, { p50: v.keys.p50, p99: v.keys.p99, found: v.keys.found }])),
          oldScanMs: Object.fromEntries(Object.entries(at).map(([k, v]) => [k, { p50: v.old.p50, p99: v.old.p99, lookups: nOld }])),
          ratioP50: ratio,
          usesIndexes,
          plans,
        },
      };
    } finally {
      await dispose();
    }
  },
};
