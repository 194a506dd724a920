import { eq, inArray, sql } from 'drizzle-orm';
import { createActivities } from '../activities';
import { findOpenCase } from '../api/cases/repeat';
import { seedCalendar } from '../db/calendar';
import type { Db } from '../db/client';
import { residentKeys } from '../db/repeat-keys';
import { cases, type ResidentContact } from '../db/schema';
import { caseInput } from './helpers/fixtures';
import { api, eventually, useStack } from './helpers/stack';
import { databaseKind, openTestDatabaseBefore, type TestDatabase } from './helpers/database';
import { oldOpenCaseScan } from '../scripts/bench/old-repeat-scan';

/** The repeat rule's answer before its keys (its query scanned every open case): the reference. */
const oldAnswer = async (db: Db, stationId: string, serviceCode: string, resident: ResidentContact) => (await oldOpenCaseScan(db, stationId, serviceCode, resident))?.id;

/** Residents as the API stores them (trimmed; phones NFKC'd): full-width, ideographic spaces, case, emoji. */
const residents: ResidentContact[] = [
  { name: '王芳', phone: '13800138000', address: '3号楼2单元' },
  { name: 'ＺＨＯＵ　Ｍｉｎ', address: 'Courtyard 5' },
  { name: 'Zhou   MIN', address: 'Courtyard 5' },
  { name: '李 小　明', phone: '+86 139-0009-9999' },
  { name: "O'Brien 😀 Ünal", phone: '(010) 6512 3456' },
  { name: 'Σοφία Αλεξίου' },
];

const keysOf = async (db: Db, ids: string[]) =>
  Object.fromEntries(
    (await db.select({ id: cases.id, phone: cases.repeatPhoneKey, name: cases.repeatNameKey }).from(cases).where(inArray(cases.id, ids))).map((r) => [
      r.id,
      { phone: r.phone, name: r.name },
    ]),
  );

describe(`repeat keys (${databaseKind()}): written before the migration (backfilled in SQL) and by the opening, equal to the lookup's JS keys`, () => {
  let database: TestDatabase;

  beforeAll(async () => {
    // The migrations before the keys' (0004), as a database deployed before it has them; today's seed writes a column of a later migration (0005's idle_after_hours), there for the seed only.
    let applied: string[];
    ({ database, applied } = await openTestDatabaseBefore('0004', [{ table: 'deadline_classes', column: 'idle_after_hours', type: 'double precision' }]));
    expect(applied).toEqual(['0000_init', '0001_case_lifecycle', '0002_whistles', '0003_partner_delivery']);
    await seedCalendar(database.db);
  }, 60_000);
  afterAll(async () => {
    await database?.drop();
  });

  it('the backfill and the opening write the same keys, and the lookup computes them in JS', async () => {
    // Rows of a deployment before 0004: written without the columns, which do not exist yet.
    const old = residents.map((_, i) => `QG-20261101-${String(i + 1).padStart(4, '0')}`);
    for (const [i, id] of old.entries()) {
      const input = caseInput(id, { serviceCode: 'home-plumbing-repair', resident: residents[i]!, openedAt: '2026-11-01T01:00:00.000Z' });
      await database.db.execute(sql`
        insert into cases (id, workflow_id, station_id, service_code, category, deadline_class, channel, demand, resident, stage, opened_by, opened_at, updated_at)
        values (${id}, ${`case-${id}`}, ${input.stationId}, ${input.serviceCode}, ${input.category}, ${input.deadlineClass}, ${input.channel},
                ${input.demand}, ${JSON.stringify(input.resident)}::jsonb, 'accept', 'wang', ${input.openedAt}::timestamptz, ${input.openedAt}::timestamptz)`);
    }
    await database.migrate();

    // The same residents opened after it, by the activity.
    const { recordCaseOpened } = createActivities({ db: database.db });
    const fresh = residents.map((_, i) => `QG-20261102-${String(i + 1).padStart(4, '0')}`);
    for (const [i, id] of fresh.entries()) await recordCaseOpened(caseInput(id, { serviceCode: 'home-plumbing-repair', resident: residents[i]!, openedAt: '2026-11-02T01:00:00.000Z' }));

    const written = await keysOf(database.db, [...old, ...fresh]);
    for (const [i, r] of residents.entries()) {
      const js = residentKeys(r);
      const expected = { phone: js.phone ?? null, name: js.name };
      expect([r.name, written[old[i]!]]).toEqual([r.name, expected]);
      expect([r.name, written[fresh[i]!]]).toEqual([r.name, expected]);
      expect(js.name).toMatch(/^[0-9a-f]{64}$/);
      // No personal data in clear in the keys.
      expect(JSON.stringify(written[fresh[i]!])).not.toContain(r.name);
    }
    // The index answers what the old scan did, for each resident and a variant of each.
    const variants: ResidentContact[] = [
      ...residents,
      { name: 'ｚｈｏｕ　　ｍｉｎ', address: 'Courtyard 5' },
      { name: 'zhou min', address: 'Courtyard 5' },
      { name: 'Nobody Here', phone: '010-6512-3456' },
      { name: 'Not Anyone', phone: '13700000000' },
    ];
    for (const v of variants) {
      const found = await findOpenCase(database.db, 'qianggen', 'home-plumbing-repair', v);
      expect([v.name, found?.id]).toEqual([v.name, await oldAnswer(database.db, 'qianggen', 'home-plumbing-repair', v)]);
    }
    // A name whose case letters, spaces and full-width form vary is found as before: the most recent one.
    expect((await findOpenCase(database.db, 'qianggen', 'home-plumbing-repair', { name: 'zhou min', address: 'Courtyard 5' }))?.id).toBe(fresh[2]);
    expect((await findOpenCase(database.db, 'qianggen', 'home-plumbing-repair', { name: 'ｚｈｏｕ　ｍｉｎ', address: 'Courtyard 5' }))?.id).toBe(fresh[1]);
  }, 60_000);

  it('a storable opening (U+FFFD for NUL) is written with keys and found by its phone', async () => {
    const { recordCaseOpened } = createActivities({ db: database.db });
    const input = caseInput('QG-20261103-0001', { serviceCode: 'home-plumbing-repair', resident: { name: 'Bad\u0000Name', phone: '13911112222' } });
    await expect(recordCaseOpened(input)).rejects.toMatchObject({ type: 'ProjectionRejected' });
    await recordCaseOpened({ ...input, storable: true });
    const [row] = await database.db.select().from(cases).where(eq(cases.id, input.caseId));
    expect(row!.resident.name).toBe('Bad\ufffdName');
    expect({ phone: row!.repeatPhoneKey, name: row!.repeatNameKey }).toEqual({ phone: residentKeys({ name: '', phone: '13911112222' }).phone, name: residentKeys({ name: 'bad\ufffdname' }).name });
    expect((await findOpenCase(database.db, 'qianggen', 'home-plumbing-repair', { name: 'Someone', phone: '139 1111 2222' }))?.id).toBe(input.caseId);
  });
});

describe('the repeat rule over HTTP: full-width, spacing and letter-case variants of a resident', () => {
  const { stack, tokens } = useStack();

  const post = (resident: Record<string, string>, demand = 'Kitchen pipe leaking') =>
    api(stack, 'POST', '/api/cases', { token: tokens.staff, body: { serviceCode: 'home-plumbing-repair', demand, resident } });
  /** Opens a case and waits until the read model (which the repeat rule reads) has it. */
  async function open(resident: Record<string, string>): Promise<string> {
    const res = await post(resident);
    expect(res.status).toBe(201);
    await eventually(async () => {
      const r = await api(stack, 'GET', `/api/cases/${res.body.id}`, { token: tokens.staff });
      return r.status === 200 && r.body.live && r.body.timeline.length >= 2;
    }, 20_000, `case ${res.body.id} to be recorded`);
    return res.body.id;
  }
  /** What the rule answers through the API, next to what its old scan answered on the same rows. */
  async function repeatOf(resident: Record<string, string>): Promise<{ api: string | undefined; before: string | undefined }> {
    const before = await oldAnswer(stack.database.db, 'qianggen', 'home-plumbing-repair', { name: resident.name!.trim(), ...(resident.address ? { address: resident.address } : {}), ...(resident.phone ? { phone: resident.phone.normalize('NFKC').trim() } : {}) });
    const res = await post(resident, 'Still leaking');
    expect([200, 201]).toContain(res.status);
    return { api: res.status === 200 ? res.body.repeatOf : undefined, before };
  }

  it('matches names by case, runs of (ideographic) spaces and trimming, as the old scan did; full-width and ASCII letters stay different', async () => {
    const id = await open({ name: 'ＺＨＡＮＧ　Ｗｅｉ', address: '5号院' });
    expect(await repeatOf({ name: ' ｚｈａｎｇ　　ｗｅｉ ', address: '5号院' })).toEqual({ api: id, before: id });
    expect(await repeatOf({ name: 'ＺＨＡＮＧ Ｗｅｉ', address: '5号院' })).toEqual({ api: id, before: id });
    expect(await repeatOf({ name: 'ｚｈａｎｇ ｗｅｉ', address: '6号院' })).toEqual({ api: undefined, before: undefined });
    expect(await repeatOf({ name: 'zhang wei', address: '5号院' })).toEqual({ api: undefined, before: undefined });
  }, 90_000);

  it('matches phones however written (full-width digits, spaces, dashes), whatever the name', async () => {
    const id = await open({ name: 'Chen Jie', phone: '１３８ ０００１ ２３４５' });
    expect(await repeatOf({ name: 'CHEN JIE', phone: '138-0001-2345' })).toEqual({ api: id, before: id });
    expect(await repeatOf({ name: 'Someone Else', phone: '１３８０００１２３４５' })).toEqual({ api: id, before: id });
    expect(await repeatOf({ name: 'Chen Jie', phone: '13800012346' })).toEqual({ api: undefined, before: undefined });
  }, 90_000);
});
