import { inArray, sql } from 'drizzle-orm';
import { defaultThresholds } from '../api/supervision/reasons';
import { findStuck } from '../api/supervision/stuck';
import { cases, deadlineClasses } from '../db/schema';
import { databaseKind, openTestDatabaseBefore, type TestDatabase } from './helpers/database';

/**
 * Migration 0005_supervision on a database deployed before it: the case rows get the supervision columns
 * (owner, last progress, paused since, call-back due) from their timelines, the demo's deadline classes their
 * idle thresholds, and the stuck query finds the old cases as it finds new ones.
 */
describe(`0005_supervision's backfill (${databaseKind()}): a database with cases and events from before it`, () => {
  let database: TestDatabase;

  const hoursAgo = (h: number) => new Date(Date.now() - h * 3_600_000);
  const t = {
    opened: hoursAgo(24 * 10),
    accepted: hoursAgo(24 * 9),
    systemLater: hoursAgo(24 * 5),
    pausedFirst: hoursAgo(24 * 8),
    pausedAgain: hoursAgo(24 * 6),
    closed: hoursAgo(100),
    evaluated: hoursAgo(90),
  };

  beforeAll(async () => {
    // The migrations before supervision's (0005), as a database deployed before it has them; today's seed writes 0005's idle_after_hours, a column there for the seed only, so 0005 adds and fills it.
    let applied: string[];
    ({ database, applied } = await openTestDatabaseBefore('0005', [{ table: 'deadline_classes', column: 'idle_after_hours', type: 'double precision' }]));
    expect(applied).toEqual(['0000_init', '0001_case_lifecycle', '0002_whistles', '0003_partner_delivery', '0004_repeat_keys']);
    await database.db.execute(sql`insert into deadline_classes (code, name, name_zh, response_goal, response_unit, resolution_goal, resolution_unit, call_back_after_hours)
      values ('custom', 'A class of its own', '自定义', 1, 'days', 5, 'days', 24)`);

    // Cases written before 0005, with the columns that existed then, and their timelines.
    const row = (id: string, stage: string, extra: { paused?: boolean; resolution?: string; deadlineClass?: string } = {}) => sql`
      insert into cases (id, workflow_id, station_id, service_code, category, deadline_class, channel, demand, resident, stage, opened_by, opened_at, updated_at, paused, resolution)
      values (${id}, ${`case-${id}`}, 'qianggen', 'home-plumbing-repair', 'life', ${extra.deadlineClass ?? 'general'}, 'walk-in', 'A leaking pipe',
              '{"name":"Backfill Resident"}'::jsonb, ${stage}, 'wang', ${t.opened.toISOString()}::timestamptz, ${t.opened.toISOString()}::timestamptz,
              ${extra.paused ?? false}, ${extra.resolution ?? null})`;
    let seq = 0;
    const event = (caseId: string, type: string, at: Date, role = 'staff') => sql`
      insert into case_events (case_id, event_key, seq, type, actor, actor_role, at, data)
      values (${caseId}, ${`${type}-${(seq += 1)}`}, ${seq}, ${type}, ${role === 'system' ? 'system' : 'wang'}, ${role}, ${at.toISOString()}::timestamptz, '{}'::jsonb)`;
    for (const q of [
      // Accepted by staff, then only the system's clocks: idle since the acceptance.
      row('QG-20261001-0001', 'execute'),
      event('QG-20261001-0001', 'case.opened', t.opened),
      event('QG-20261001-0001', 'case.accepted', t.accepted),
      event('QG-20261001-0001', 'commitment.warning', t.systemLater, 'system'),
      // No event at all: progress since its opening.
      row('QG-20261001-0002', 'accept', { deadlineClass: 'custom' }),
      // Paused twice for the resident: waiting since the later pause.
      row('QG-20261001-0003', 'execute', { paused: true }),
      event('QG-20261001-0003', 'case.paused', t.pausedFirst),
      event('QG-20261001-0003', 'case.resumed', t.pausedFirst),
      event('QG-20261001-0003', 'case.paused', t.pausedAgain),
      // Closed (resolved), no evaluation: the call-back falls due the class's call_back_after_hours after the closing.
      row('QG-20261001-0004', 'evaluate', { resolution: 'resolved' }),
      event('QG-20261001-0004', 'case.closed', t.closed),
      // Closed and evaluated afterwards: no call-back due.
      row('QG-20261001-0005', 'evaluate', { resolution: 'resolved' }),
      event('QG-20261001-0005', 'case.closed', t.closed),
      event('QG-20261001-0005', 'case.evaluated', t.evaluated, 'resident'),
      // Closed for good: nothing to call back.
      row('QG-20261001-0006', 'closed', { resolution: 'resolved' }),
      event('QG-20261001-0006', 'case.closed', t.closed),
    ])
      await database.db.execute(q);

    await database.migrate();
  }, 60_000);
  afterAll(async () => {
    await database?.drop();
  });

  it('fills the case rows from their timelines', async () => {
    const rows = await database.db
      .select({ id: cases.id, owner: cases.owner, lastProgressAt: cases.lastProgressAt, pausedSince: cases.pausedSince, callBackDueAt: cases.callBackDueAt, overdueCommitments: cases.overdueCommitments })
      .from(cases)
      .where(inArray(cases.id, ['QG-20261001-0001', 'QG-20261001-0002', 'QG-20261001-0003', 'QG-20261001-0004', 'QG-20261001-0005', 'QG-20261001-0006']))
      .orderBy(cases.id);
    const [general] = await database.db.select({ hours: deadlineClasses.callBackAfterHours }).from(deadlineClasses).where(inArray(deadlineClasses.code, ['general']));
    const iso = (d: Date | null) => d?.toISOString() ?? null;
    expect(rows.map((r) => ({ ...r, lastProgressAt: iso(r.lastProgressAt), pausedSince: iso(r.pausedSince), callBackDueAt: iso(r.callBackDueAt) }))).toEqual([
      { id: 'QG-20261001-0001', owner: 'wang', lastProgressAt: t.accepted.toISOString(), pausedSince: null, callBackDueAt: null, overdueCommitments: [] },
      { id: 'QG-20261001-0002', owner: 'wang', lastProgressAt: t.opened.toISOString(), pausedSince: null, callBackDueAt: null, overdueCommitments: [] },
      { id: 'QG-20261001-0003', owner: 'wang', lastProgressAt: t.pausedAgain.toISOString(), pausedSince: t.pausedAgain.toISOString(), callBackDueAt: null, overdueCommitments: [] },
      {
        id: 'QG-20261001-0004',
        owner: 'wang',
        lastProgressAt: t.closed.toISOString(),
        pausedSince: null,
        callBackDueAt: new Date(t.closed.getTime() + general!.hours * 3_600_000).toISOString(),
        overdueCommitments: [],
      },
      { id: 'QG-20261001-0005', owner: 'wang', lastProgressAt: t.evaluated.toISOString(), pausedSince: null, callBackDueAt: null, overdueCommitments: [] },
      { id: 'QG-20261001-0006', owner: 'wang', lastProgressAt: t.closed.toISOString(), pausedSince: null, callBackDueAt: null, overdueCommitments: [] },
    ]);
  });

  it("gives the demo's deadline classes their idle thresholds and leaves others to STUCK_IDLE_AFTER", async () => {
    const classes = await database.db.select({ code: deadlineClasses.code, idle: deadlineClasses.idleAfterHours }).from(deadlineClasses).orderBy(deadlineClasses.code);
    expect(Object.fromEntries(classes.map((c) => [c.code, c.idle]))).toEqual({ complex: 120, custom: null, emergency: 1, general: 48, utilities: 4 });
  });

  it('lets the stuck query find the old cases for what their timelines say', async () => {
    const found = await findStuck(database.db, {}, { limit: 50 }, new Date(), defaultThresholds);
    const reasons = Object.fromEntries(found.map((c) => [c.caseId, c.reasons.map((r) => r.reason).sort()]));
    expect(reasons).toEqual({
      // Nine days without a person's action (general allows 48 h); ten days for the custom class (STUCK_IDLE_AFTER: 2 d).
      'QG-20261001-0001': ['idle'],
      'QG-20261001-0002': ['idle'],
      // Paused six days: under the seven days that make waiting on the resident stuck, and paused is not idle.
      // Closed 100 h ago, general calls back after its call_back_after_hours: due.
      'QG-20261001-0004': ['call-back-due'],
    });
  });
});
