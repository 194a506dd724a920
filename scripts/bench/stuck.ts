import { sql } from 'drizzle-orm';
import { prepareDatabase } from '../../config/boot';
import type { Db } from '../../db/client';
import { defaultThresholds } from '../../api/supervision/reasons';
import { findStuck, type StuckFilter, summarizeStuck } from '../../api/supervision/stuck';
import { freshDatabase } from './repeat-rule';
import type { BenchOptions, Figure, Section, SectionResult } from './section';
import { fmt, label, type Timed, timeRuns } from './timing';

/**
 * `npm run bench:stuck` (issue 14): the stuck query's first page and the summary, timed in-process on a fresh
 * database (PGlite, or a fresh database on DATABASE_URL's server), migrated and seeded as the service does,
 * with case rows bulk-inserted in SQL: 1 000, then 100 000 (quick: 10 000). Of every hundred cases, three are
 * overdue, two paused for ten days, one idle for a month, one awaiting its call-back, one with a dead
 * letter and one with a whistle whose department missed its check-in; the rest (91) are healthy.
 */

const station = 'qianggen';
const service = 'garbage-sorting-complaint';

async function seed(db: Db, from: number, to: number, now: Date): Promise<void> {
  const at = sql`${now.toISOString()}::timestamptz`;
  await db.execute(sql`
    insert into cases (id, workflow_id, station_id, service_code, category, deadline_class, channel, demand, resident, stage,
                       opened_by, owner, opened_at, updated_at, last_progress_at, next_due_at, overdue, overdue_commitments,
                       paused, paused_since, resolution, call_back_due_at)
    select id, 'case-' || id, ${station}, ${service}, 'public', 'general', 'walk-in', '垃圾桶满溢', '{"name":"居民"}'::jsonb,
           case when g % 100 = 3 then 'close' else (array['accept', 'diagnose', 'plan', 'execute'])[1 + g % 4] end,
           'wang', 'wang', opened, ${at}, case when g % 100 = 2 then ${at} - interval '30 days' else ${at} - interval '1 hour' end,
           case when g % 100 in (10, 40, 70) then ${at} - interval '1 day' else ${at} + interval '3 days' end,
           g % 100 in (10, 40, 70),
           case when g % 100 in (10, 40, 70) then jsonb_build_array(jsonb_build_object('clock', 'resolution', 'kind', 'resolution',
             'dueAt', to_char((${at} - interval '1 day') at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'), 'assignee', '{"kind":"staff","id":"wang"}'::jsonb))
             else '[]'::jsonb end,
           g % 50 = 1, case when g % 50 = 1 then ${at} - interval '10 days' end,
           case when g % 100 = 3 then 'resolved' end, case when g % 100 = 3 then ${at} - interval '1 day' end
    from (select g, 'QG-BENCH-' || lpad(g::text, 7, '0') as id, ${at} - interval '40 days' + g * interval '1 second' as opened
          from generate_series(${from}::int, ${to}::int) as g) s`);
  await db.execute(sql`
    insert into notifications (key, case_id, recipient_kind, recipient_id, kind, created_at, partner_id, delivery_status)
    select 'bench-' || g, 'QG-BENCH-' || lpad(g::text, 7, '0'), 'partner', 'anju-repair', 'task.assigned', ${at} - interval '2 days', 'anju-repair', 'unreachable'
    from generate_series(${from}::int, ${to}::int) as g where g % 100 = 5`);
  await db.execute(sql`
    insert into whistles (id, workflow_id, case_id, station_id, subdistrict_id, reason, urgency, summary, service_code, initiated_by, initiated_at,
                          status, state, lead_department_id, updated_at)
    select 'QG-BENCH-' || lpad(g::text, 7, '0') || '-W1', 'whistle-QG-BENCH-' || lpad(g::text, 7, '0') || '-W1', 'QG-BENCH-' || lpad(g::text, 7, '0'),
           ${station}, 'xinjiekou', 'prominent-problem', 'urgent', 'Drain blocked', ${service}, 'chen', ${at} - interval '1 day', 'open', 'awaiting-check-in', 'housing', ${at}
    from generate_series(${from}::int, ${to}::int) as g where g % 100 = 7`);
  await db.execute(sql`
    insert into whistle_calls (whistle_id, department_id, role, status, state, due_at, called_at, check_in_due_at, report_due_at)
    select 'QG-BENCH-' || lpad(g::text, 7, '0') || '-W1', 'housing', 'lead', 'awaiting-check-in', 'awaiting-check-in',
           ${at} - interval '20 hours', ${at} - interval '1 day', ${at} - interval '20 hours', ${at} + interval '1 day'
    from generate_series(${from}::int, ${to}::int) as g where g % 100 = 7`);
  await db.execute(sql`analyze`);
}

export const stuck: Section = {
  name: 'stuck',
  async run(o: BenchOptions): Promise<SectionResult> {
    const small = 1_000;
    const large = o.quick ? 10_000 : 100_000;
    const runs = o.quick ? 5 : 20;
    const { database, dispose } = await freshDatabase(o);
    try {
      await prepareDatabase(database);
      const { db } = database;
      const now = new Date();
      // A supervisor's morning: the subdistrict's stations, the first page, and the summary.
      const filter: StuckFilter = { visibleStations: [station] };
      const at: Record<number, { list: Timed; summary: Timed; stuckCases: number; pageSize: number }> = {};
      let seeded = 0;
      for (const size of [small, large]) {
        const t0 = Date.now();
        await seed(db, seeded + 1, size, now);
        seeded = size;
        o.log(`stuck: ${size} cases seeded in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
        const page = await findStuck(db, filter, { limit: 20 }, now, defaultThresholds);
        const summary = await summarizeStuck(db, filter, now, defaultThresholds);
        const stuckCases = summary.filter((r) => r.total).reduce((n, r) => n + r.cases, 0);
        const list = await timeRuns(runs, () => findStuck(db, filter, { limit: 20 }, now, defaultThresholds));
        const sum = await timeRuns(runs, () => summarizeStuck(db, filter, now, defaultThresholds));
        at[size] = { list, summary: sum, stuckCases, pageSize: page.length };
        o.log(`stuck: at ${size}: list p50 ${fmt(list.p50)} ms p95 ${fmt(list.p95)} ms; summary p50 ${fmt(sum.p50)} ms p95 ${fmt(sum.p95)} ms (${stuckCases} reasons' cases)`);
      }
      const listRatio = at[large]!.list.p50 / at[small]!.list.p50;
      const summaryRatio = at[large]!.summary.p50 / at[small]!.summary.p50;
      const figures: Figure[] = [];
      for (const size of [small, large]) {
        figures.push({ name: `stuck list, first page, at ${label(size)} cases (p50 / p95)`, value: `${fmt(at[size]!.list.p50)} / ${fmt(at[size]!.list.p95)} ms` });
        figures.push({ name: `stuck summary at ${label(size)} cases (p50 / p95)`, value: `${fmt(at[size]!.summary.p50)} / ${fmt(at[size]!.summary.p95)} ms` });
      }
      figures.push({ name: `stuck list ${label(large)} / ${label(small)} (p50)`, value: `${listRatio.toFixed(1)} ×` });
      figures.push({ name: `stuck summary ${label(large)} / ${label(small)} (p50)`, value: `${summaryRatio.toFixed(1)} ×` });
      return { figures, json: { database: database.kind, runs, sizes: [small, large], ms: at, listRatioP50: listRatio, summaryRatioP50: summaryRatio } };
    } finally {
      await dispose();
    }
  },
};
