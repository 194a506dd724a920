import { eq } from 'drizzle-orm';
import { importCalendarYear } from '../db/calendar';
import { cases } from '../db/schema';
import { searchAttributes } from '../temporal/search-attribute-keys';
import {
  acceptUpdate,
  calendarChangedSignal,
  caseStateQuery,
  extendDeadlineUpdate,
  pauseUpdate,
  rejections,
  resumeUpdate,
} from '../workflows/case/messages';
import type { Clock } from '../workflows/shared/messages';
import { act, notificationsOf, openCase, refusal, supervisor, timeline } from './helpers/cases';
import { generalRules } from './helpers/fixtures';
import { keepHistory } from './helpers/histories';
import { eventually, useStack } from './helpers/stack';

const resolution = (clocks: Clock[] | undefined) => clocks!.find((c) => c.kind === 'resolution')!;
const seconds = (n: number) => n / 60; // goals in minutes

describe('deadline commitments on durable timers', () => {
  const { stack } = useStack();

  it('warns at 50 % and 75 %, then breaches: overdue, the supervisor urged, an escalation proposed', async () => {
    const id = 'QG-20261123-0301';
    // Resolution in 8 s: warnings at 4 s and 6 s, breach at 8 s.
    const h = await openCase(stack, id, {
      rules: { ...generalRules, responseGoal: null, responseUnit: null, resolutionGoal: seconds(8), resolutionUnit: 'minutes', escalateOnBreach: true },
    });
    const opened = Date.parse((await h.query(caseStateQuery)).openedAt);
    const events = await eventually(async () => {
      const e = await timeline(stack, id);
      return e.some((x) => x.type === 'escalation.proposed') && e;
    }, 20_000, 'the breach');
    const at = (type: string, percent?: number) =>
      Date.parse(events.find((e) => e.type === type && (percent === undefined || (e.data as { percent?: number }).percent === percent))!.at.toISOString()) - opened;
    expect(at('commitment.warning', 50)).toBeGreaterThanOrEqual(4000);
    expect(at('commitment.warning', 75)).toBeGreaterThanOrEqual(6000);
    expect(at('commitment.breached')).toBeGreaterThanOrEqual(8000);
    expect(at('commitment.warning', 50)).toBeLessThan(at('commitment.warning', 75));
    expect(at('commitment.warning', 75)).toBeLessThan(at('commitment.breached'));

    const state = await h.query(caseStateQuery);
    expect(state.overdue).toBe(true);
    expect(resolution(state.clocks).breachedAt).toBeDefined();
    expect(state.escalations).toMatchObject([{ status: 'proposed' }]);
    const [row] = await stack.database.db.select().from(cases).where(eq(cases.id, id));
    expect(row!.overdue).toBe(true);
    expect((await h.describe()).typedSearchAttributes.get(searchAttributes.overdue)).toBe(true);
    // The escalation's notification follows its timeline event.
    const sent = await eventually(async () => {
      const kinds = (await notificationsOf(stack, id)).map((n) => `${n.recipientKind}:${n.kind}`);
      return kinds.includes('supervisor:escalation.proposed') && kinds;
    }, 5000, 'the escalation notification');
    expect(sent.filter((k) => k === 'staff:commitment.warning')).toHaveLength(2);
    expect(sent).toContain('supervisor:commitment.breached');
    expect(sent).toContain('supervisor:escalation.proposed');

    // A supervisor extends the overdue commitment with a reason: no longer overdue; the breach stays in the timeline.
    const newDueAt = new Date(Date.now() + 3_600_000).toISOString();
    expect(await refusal(act(h, extendDeadlineUpdate, { clock: 'resolution', newDueAt: '2020-01-01T00:00:00Z', reason: 'x' }, supervisor))).toMatchObject({
      type: rejections.invalid,
    });
    expect(await refusal(act(h, extendDeadlineUpdate, { clock: 'task:T7', newDueAt, reason: 'x' }, supervisor))).toMatchObject({ type: rejections.invalid });
    const s = await act(h, extendDeadlineUpdate, { clock: 'resolution', newDueAt, reason: 'Waiting for a spare part' }, supervisor);
    expect(s.overdue).toBe(false);
    expect(resolution(s.clocks).dueAt).toBe(newDueAt);
    expect(resolution(s.clocks).extensions).toMatchObject([{ to: newDueAt, reason: 'Waiting for a spare part', by: 'chen' }]);
    const extended = (await timeline(stack, id)).find((e) => e.type === 'commitment.extended')!;
    expect(extended).toMatchObject({ actor: 'chen', actorRole: 'supervisor', data: { clock: 'resolution', to: newDueAt, reason: 'Waiting for a spare part' } });
    expect(Date.parse((extended.data as { from: string }).from)).toBe(opened + 8000);
    await eventually(async () => {
      const [r] = await stack.database.db.select().from(cases).where(eq(cases.id, id));
      return r!.overdue === false && r!.nextDueAt?.toISOString() === newDueAt;
    }, 5000, 'the read model to follow the extension');
    await keepHistory(stack, h, 'case-breach-extension');
  });

  it('pauses while the case waits on the resident and resumes with the remaining time', async () => {
    const id = 'QG-20261123-0302';
    const h = await openCase(stack, id, {
      rules: { ...generalRules, responseGoal: null, responseUnit: null, resolutionGoal: 10, resolutionUnit: 'minutes' },
    });
    const before = resolution((await h.query(caseStateQuery)).clocks);
    let s = await act(h, pauseUpdate, { reason: 'Resident fetching the household register' });
    expect(s.paused).toMatchObject({ reason: 'Resident fetching the household register', by: 'wang' });
    const paused = resolution(s.clocks);
    expect(paused.status).toBe('paused');
    const elapsed = Date.parse(s.paused!.since) - Date.parse(before.startedAt);
    expect(paused.remainingMs).toBe(10 * 60_000 - elapsed);
    expect(await refusal(act(h, pauseUpdate, { reason: 'again' }))).toMatchObject({ type: rejections.conflict });

    const since = s.paused!.since;
    await new Promise((r) => setTimeout(r, 2500));
    s = await act(h, resumeUpdate, { note: 'Register brought' });
    const resumed = resolution(s.clocks);
    expect(resumed.status).toBe('running');
    const pausedFor = Date.parse(resumed.runningSince!) - Date.parse(since);
    expect(pausedFor).toBeGreaterThanOrEqual(2500);
    // The deadline moved by exactly the time spent waiting on the resident.
    expect(Date.parse(resumed.dueAt) - Date.parse(before.dueAt)).toBe(pausedFor);
    expect(await refusal(act(h, resumeUpdate, {}))).toMatchObject({ type: rejections.conflict });
    await keepHistory(stack, h, 'case-pause-resume');
  });

  it('pauses at acceptance while required documents are missing; resuming needs them', async () => {
    const id = 'QG-20261123-0303';
    const h = await openCase(stack, id, {
      serviceCode: 'party-membership-transfer',
      catalogue: { name: 'Party membership transfer', handlingMode: 'needs-documents', requiredDocuments: ['introduction letter'], needsHomeVisit: false, issuesCertificate: true },
    });
    let s = await act(h, acceptUpdate, { decision: 'accept', documents: [] });
    expect(s.paused?.reason).toBe('awaiting documents: introduction letter');
    expect(await refusal(act(h, resumeUpdate, {}))).toMatchObject({ type: rejections.invalid, message: 'Still missing required documents: introduction letter' });
    s = await act(h, resumeUpdate, { documents: ['introduction letter'] });
    expect(s.paused).toBeUndefined();
    expect(s.documents).toEqual(['introduction letter']);
    const [row] = await stack.database.db.select().from(cases).where(eq(cases.id, id));
    expect(row!.paused).toBe(false);
  });

  it('counts working days across a holiday with an adjusted working day, from the calendar in Postgres', async () => {
    const id = 'QG-20261123-0304';
    // Wednesday 30 September 2026, 10:00 in Beijing; 3 working days. 1–7 October is National Day;
    // Thursday 8 and Friday 9 October are working days, and so is Saturday 10 October (调休).
    // Working time: 14 h on the 30th + 24 h + 24 h + 10 h on the 10th → Saturday 10 October, 10:00.
    const h = await openCase(stack, id, {
      openedAt: '2026-09-30T02:00:00.000Z',
      rules: { ...generalRules, responseGoal: null, responseUnit: null, resolutionGoal: 3, resolutionUnit: 'working-days' },
    });
    const clock = resolution((await h.query(caseStateQuery)).clocks);
    expect(clock.dueAt).toBe('2026-10-10T02:00:00.000Z');
    expect(clock.provisional).toBe(false);
    // Long past: the breach fires at once.
    await eventually(async () => (await h.query(caseStateQuery)).overdue, 10_000, 'the breach of a past deadline');
  });

  it('marks a deadline in a year without official data provisional, and recomputes it when the year is imported', async () => {
    const id = 'QG-20261123-0305';
    // Thursday 31 December 2026, 10:00 in Beijing, 2 working days: 2027 has no official data yet, so the
    // weekday rule applies: 14 h on the 31st, Friday 1 January 24 h, 10 h on Monday 4 January → 4 January 10:00.
    const h = await openCase(stack, id, {
      openedAt: '2026-12-31T02:00:00.000Z',
      rules: { ...generalRules, responseGoal: null, responseUnit: null, resolutionGoal: 2, resolutionUnit: 'working-days' },
    });
    let clock = resolution((await h.query(caseStateQuery)).clocks);
    expect(clock.dueAt).toBe('2027-01-04T02:00:00.000Z');
    expect(clock.provisional).toBe(true);
    await eventually(async () => (await stack.database.db.select().from(cases).where(eq(cases.id, id)))[0]!.provisional, 5000, 'the provisional flag in the read model');

    // The State Council publishes 2027: 1 January is a holiday. The admin's import signals the case.
    await importCalendarYear(stack.database.db, 2027, [{ date: '2027-01-01', kind: 'holiday', name: "New Year's Day" }], {
      source: 'test notice',
      importedBy: 'admin',
      at: new Date(),
    });
    await h.signal(calendarChangedSignal, { years: [2027] });
    clock = await eventually(async () => {
      const c = resolution((await h.query(caseStateQuery)).clocks);
      return !c.provisional && c;
    }, 10_000, 'the recomputed deadline');
    // 14 h on the 31st, the 1st is a holiday, the 2nd and 3rd a weekend, 24 h on the 4th, 10 h on the 5th.
    expect(clock.dueAt).toBe('2027-01-05T02:00:00.000Z');
    await eventually(async () => (await timeline(stack, id)).some((e) => e.type === 'commitments.recomputed'), 5000, 'the recompute in the timeline');
    await keepHistory(stack, h, 'case-calendar-recompute');
  });
});
