import { asc, eq } from 'drizzle-orm';
import { MockActivityEnvironment } from '@temporalio/testing';
import { createActivities } from '../activities';
import type { CaseChanges } from '../activities/case/activities';
import { caseEvents, cases, notifications } from '../db/schema';
import type { CaseProjection } from '../workflows/case/messages';
import { caseInput } from './helpers/fixtures';
import { openTestDatabase, type TestDatabase } from './helpers/database';

/**
 * recordCaseChanges, the one write of a case's change (workflows/case/run.ts, behind its patch), on the
 * test's database (PostgreSQL with TEST_DATABASE_URL, else PGlite): everything in one transaction; what the
 * database refuses for good is named item by item while the rest is written; a retry writes nothing twice.
 */
describe('one write per change: recordCaseChanges (PGlite and PostgreSQL)', () => {
  let database: TestDatabase;
  let recordCaseChanges: ReturnType<typeof createActivities>['recordCaseChanges'];
  const env = new MockActivityEnvironment();
  const run = (c: CaseChanges) => env.run(recordCaseChanges, c);

  beforeAll(async () => {
    database = await openTestDatabase();
    ({ recordCaseChanges } = createActivities({ db: database.db }));
  });
  afterAll(() => database.drop());

  const projection = (stage: CaseProjection['stage']): CaseProjection => ({
    stage,
    overdue: false,
    nextDueAt: null,
    provisional: false,
    paused: false,
    resolution: null,
    partnerUnreachable: false,
  });
  const actor = { id: 'wang', role: 'staff' } as const;
  const event = (caseId: string, seq: number, stage: CaseProjection['stage'], data: Record<string, unknown> = {}) => ({
    caseId,
    seq,
    type: 'stage.entered' as const,
    actor,
    at: new Date(Date.parse('2026-11-23T01:00:00.000Z') + seq * 1000).toISOString(),
    data,
    projection: projection(stage),
  });
  const notice = (caseId: string, seq: number, data: Record<string, unknown> = {}) => ({
    key: `${caseId}:${seq}:case.progress:resident:${caseId}`,
    caseId,
    recipient: { kind: 'resident' as const, id: caseId },
    kind: 'case.progress' as const,
    at: '2026-11-23T01:00:05.000Z',
    data: { caseId, ...data },
  });
  const rowsOf = async (caseId: string) => ({
    row: (await database.db.select().from(cases).where(eq(cases.id, caseId)))[0],
    events: (await database.db.select().from(caseEvents).where(eq(caseEvents.caseId, caseId)).orderBy(asc(caseEvents.seq))).map((e) => e.seq),
    notices: (await database.db.select().from(notifications).where(eq(notifications.caseId, caseId)).orderBy(asc(notifications.key))).map((n) => n.key),
  });

  it('writes the opening, every event, the row at the newest event and every notice at once; a retry doubles nothing', async () => {
    const id = 'QG-20261123-0101';
    const changes: CaseChanges = {
      caseId: id,
      opening: caseInput(id),
      events: [event(id, 1, 'accept'), event(id, 2, 'diagnose')],
      notices: [notice(id, 2), { ...notice(id, 2), key: `${id}:2:callback.due:supervisor:qianggen`, recipient: { kind: 'supervisor', id: 'qianggen' } }],
    };
    expect(await run(changes)).toEqual({ refused: [] });
    const first = await rowsOf(id);
    expect(first.events).toEqual([0, 1, 2]);
    expect(first.row).toMatchObject({ stage: 'diagnose', projectionSeq: 2 });
    expect(first.notices).toEqual(changes.notices.map((n) => n.key).sort());
    // A supervisor notice naming the station goes to its subdistrict's supervisors, as notify sends it.
    const [supervisors] = await database.db.select().from(notifications).where(eq(notifications.key, changes.notices[1]!.key));
    expect({ kind: supervisors!.recipientKind, id: supervisors!.recipientId }).toEqual({ kind: 'supervisor', id: 'xinjiekou' });

    // The activity retried (the worker died before its result was recorded): the same rows, once.
    expect(await run(changes)).toEqual({ refused: [] });
    expect(await rowsOf(id)).toEqual(first);
    // An older change finishing late never takes the row back.
    expect(await run({ caseId: id, events: [event(id, 1, 'accept')], notices: [] })).toEqual({ refused: [] });
    expect((await rowsOf(id)).row).toMatchObject({ stage: 'diagnose', projectionSeq: 2 });
  });

  it('names each refused item (NUL in an event and in a notice) and writes the rest of the change', async () => {
    const id = 'QG-20261123-0102';
    expect(await run({ caseId: id, opening: caseInput(id), events: [], notices: [] })).toEqual({ refused: [] });
    const changes: CaseChanges = {
      caseId: id,
      events: [event(id, 1, 'accept'), event(id, 2, 'diagnose', { note: 'bad\u0000note' }), event(id, 3, 'plan')],
      notices: [notice(id, 3, { note: 'fine' }), { ...notice(id, 3, { note: 'bad\u0000' }), key: `${id}:3:case.progress:staff:wang`, recipient: { kind: 'staff', id: 'wang' } }],
    };
    const refused = [
      { item: 'event', index: 1, code: '22P05' },
      { item: 'notice', index: 1, code: '22P05' },
    ];
    expect(await run(changes)).toEqual({ refused });
    const written = await rowsOf(id);
    expect(written.events).toEqual([0, 1, 3]);
    expect(written.row).toMatchObject({ stage: 'plan', projectionSeq: 3 });
    expect(written.notices).toEqual([changes.notices[0]!.key]);
    // Retried: the same answer, nothing written twice.
    expect(await run(changes)).toEqual({ refused });
    expect(await rowsOf(id)).toEqual(written);
  });

  it('a refused opening is written storable (U+FFFD) and named, and the events after it are written', async () => {
    const id = 'QG-20261123-0103';
    const opening = caseInput(id, { demand: 'Leak\u0000ing' });
    const answer = await run({ caseId: id, opening, events: [event(id, 1, 'accept')], notices: [] });
    expect(answer).toEqual({ refused: [{ item: 'opening', index: 0, code: expect.stringMatching(/^22/) }] });
    const written = await rowsOf(id);
    expect(written.row).toMatchObject({ demand: 'Leak\ufffding', projectionSeq: 1 });
    expect(written.events).toEqual([0, 1]);
  });
});
