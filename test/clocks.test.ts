import { WorkingCalendar } from '../activities/calendar/activities';
import { dueMilestones, extendClock, goalMs, nextMilestoneAt, pauseClock, plainTimeHerePatch, recomputeClock, resumeClock, startClock, stopClock } from '../workflows/shared/clocks';
import type { Clock } from '../workflows/shared/messages';

/**
 * The clock arithmetic of workflows/shared/clocks.ts without a server: the calendar activities it calls
 * are answered by the real WorkingCalendar (the pure class the activities wrap) on a small calendar made
 * here, and `patched` answers as a workflow running the current code would (or, where said, as one from
 * before the patch). Expected instants are worked out by hand from the rules in the README and in
 * activities/calendar: a working day is 24 h of working time on a Shanghai calendar day (UTC+8), weekends
 * and holidays do not count, an adjusted working day does; warnings at 50 % and 75 %, breach at 100 %.
 */

let mockCalendar: WorkingCalendar;
let mockPatched: boolean | ((id: string) => boolean) = true;
let mockCalendarCalls = 0;
jest.mock('../workflows/shared/activities', () => {
  const calendar = {
    scheduleClock: async (input: Parameters<WorkingCalendar['schedule']>[0]) => (mockCalendarCalls++, mockCalendar.schedule(input)),
    measureClock: async (input: { unit: Parameters<WorkingCalendar['measure']>[0]; from: string; to: string }) => (
      mockCalendarCalls++, mockCalendar.measure(input.unit, Date.parse(input.from), Date.parse(input.to))
    ),
  };
  // The clocks reach the calendar through `writes` (local activities since the local-writes patch).
  return { activities: calendar, writes: calendar };
});
jest.mock('@temporalio/workflow', () => ({ ...jest.requireActual('@temporalio/workflow'), patched: (id: string) => (typeof mockPatched === 'function' ? mockPatched(id) : mockPatched) }));

const hour = 3_600_000;
const day = 24 * hour;
/** A Shanghai wall-clock time as the ISO instant the clocks store. */
const sh = (local: string) => new Date(`${local}+08:00`).toISOString();

/** National Day 2026: 1–7 October off, Sunday 20 September and Saturday 10 October worked. 2026 is official, 2027 not. */
const nationalDay2026 = [
  ...['01', '02', '03', '04', '05', '06', '07'].map((d) => ({ date: `2026-10-${d}`, kind: 'holiday' as const })),
  { date: '2026-09-20', kind: 'workday' as const },
  { date: '2026-10-10', kind: 'workday' as const },
];

beforeEach(() => {
  mockCalendar = new WorkingCalendar(nationalDay2026, [2026]);
  mockPatched = true;
});

const owner = { kind: 'staff' as const, id: 'wang' };
const start = (from: string, budgetMs: number, extra: { unit?: Clock['unit']; paused?: boolean } = {}) =>
  startClock({ id: 'resolution', kind: 'resolution', unit: extra.unit ?? 'working-days', budgetMs, from, assignee: owner, paused: extra.paused ?? false });
const at = (c: Clock) => Object.fromEntries(c.milestones.map((m) => [m.kind, m.at]));
const done = (c: Clock) => Object.fromEntries(c.milestones.map((m) => [m.kind, m.done]));
const extension = (to: string) => ({ from: 'x', to, reason: 'Parts on order', by: 'chen', at: 'x' });

describe('goal units', () => {
  it.each<[number, Clock['unit'], number]>([
    [2, 'hours', 7_200_000],
    [0.05, 'minutes', 3_000],
    [1 / 3, 'minutes', 20_000],
    [3, 'days', 259_200_000],
    [1.5, 'working-days', 129_600_000],
  ])('%s %s is %i ms', (goal, unit, ms) => {
    expect(goalMs(goal, unit)).toBe(ms);
  });
});

describe('starting a clock: deadline and warnings', () => {
  // [what, from, budget, [50 %, 75 %, breach]], Shanghai wall-clock times.
  it.each<[string, string, number, [string, string, string]]>([
    ['Monday 10:00, 1 working day: Tuesday 10:00', '2026-11-23T10:00:00', day, ['2026-11-23T22:00:00', '2026-11-24T04:00:00', '2026-11-24T10:00:00']],
    ['Saturday 15:00, 1 working day: the weekend does not count, Monday does in full (Tuesday 00:00)', '2026-11-28T15:00:00', day, ['2026-11-30T12:00:00', '2026-11-30T18:00:00', '2026-12-01T00:00:00']],
    ['Friday 10:00, 1 working day: over the weekend to Monday 10:00', '2026-11-27T10:00:00', day, ['2026-11-27T22:00:00', '2026-11-30T04:00:00', '2026-11-30T10:00:00']],
    ['Wednesday 30 September 10:00, 2 working days: the holiday week does not count (Friday 9 October 10:00)', '2026-09-30T10:00:00', 2 * day, ['2026-10-08T10:00:00', '2026-10-08T22:00:00', '2026-10-09T10:00:00']],
    ['Friday 9 October 12:00, 1 working day: the adjusted Saturday counts (Saturday 12:00)', '2026-10-09T12:00:00', day, ['2026-10-10T00:00:00', '2026-10-10T06:00:00', '2026-10-10T12:00:00']],
    ['Saturday 19 September 08:00, 1 working day: the adjusted Sunday counts (Monday 00:00)', '2026-09-19T08:00:00', day, ['2026-09-20T12:00:00', '2026-09-20T18:00:00', '2026-09-21T00:00:00']],
  ])('%s', async (_what, from, budgetMs, [p50, p75, breach]) => {
    const expected = { 'warning-50': sh(p50), 'warning-75': sh(p75), breach: sh(breach) };
    const c = await start(sh(from), budgetMs);
    expect(at(c)).toEqual(expected);
    expect(c).toMatchObject({ status: 'running', runningSince: sh(from), startedAt: sh(from), consumedMs: 0, budgetMs, dueAt: expected.breach, provisional: false });
    expect(done(c)).toEqual({ 'warning-50': false, 'warning-75': false, breach: false });
  });

  it('plain hours count every hour, weekends and holidays included', async () => {
    const c = await start(sh('2026-10-01T10:00:00'), 48 * hour, { unit: 'hours' });
    expect(c.dueAt).toBe(sh('2026-10-03T10:00:00'));
    expect(at(c)['warning-75']).toBe(sh('2026-10-02T22:00:00'));
  });

  it('a deadline that reaches a year without official data is provisional; one ending at its midnight is not', async () => {
    const reaching = await start(sh('2026-12-30T10:00:00'), 3 * day);
    // Wednesday 14 h + Thursday 24 h, then by the weekday rule Friday 1 January 2027 (24 h) and 10 h of Monday 4 January.
    expect(reaching).toMatchObject({ dueAt: sh('2027-01-04T10:00:00'), provisional: true });
    const ending = await start(sh('2026-12-31T00:00:00'), day);
    expect(ending).toMatchObject({ dueAt: sh('2027-01-01T00:00:00'), provisional: false });
  });

  it('a clock started paused keeps its whole budget and does not run', async () => {
    const c = await start(sh('2026-11-23T10:00:00'), day, { paused: true });
    expect(c).toMatchObject({ status: 'paused', remainingMs: day });
    expect(c.runningSince).toBeUndefined();
  });
});

describe('pausing and resuming', () => {
  it('a pause keeps what was used; the resume lays the rest from the resume on', async () => {
    const c = await start(sh('2026-11-27T10:00:00'), day); // Friday
    await pauseClock(c, sh('2026-11-27T16:00:00'));
    expect(c).toMatchObject({ status: 'paused', consumedMs: 6 * hour, remainingMs: 18 * hour });
    expect(c.runningSince).toBeUndefined();
    await resumeClock(c, sh('2026-11-30T09:00:00')); // Monday: 15 h left that day, 3 h on Tuesday
    expect(c).toMatchObject({ status: 'running', runningSince: sh('2026-11-30T09:00:00'), consumedMs: 6 * hour, dueAt: sh('2026-12-01T03:00:00') });
    expect(c.remainingMs).toBeUndefined();
    expect(at(c)).toEqual({ 'warning-50': sh('2026-11-30T15:00:00'), 'warning-75': sh('2026-11-30T21:00:00'), breach: sh('2026-12-01T03:00:00') });
  });

  it('a pause over the weekend uses no working time', async () => {
    const c = await start(sh('2026-11-27T10:00:00'), day);
    await pauseClock(c, sh('2026-11-28T12:00:00')); // Saturday: Friday 10:00–24:00 counted
    expect(c).toMatchObject({ consumedMs: 14 * hour, remainingMs: 10 * hour });
  });

  it('pausing twice, or resuming a running clock, changes nothing', async () => {
    const c = await start(sh('2026-11-23T10:00:00'), day);
    await resumeClock(c, sh('2026-11-23T12:00:00'));
    expect(c).toMatchObject({ status: 'running', runningSince: sh('2026-11-23T10:00:00'), dueAt: sh('2026-11-24T10:00:00') });
    await pauseClock(c, sh('2026-11-23T12:00:00'));
    await pauseClock(c, sh('2026-11-23T20:00:00'));
    expect(c).toMatchObject({ status: 'paused', consumedMs: 2 * hour, remainingMs: 22 * hour });
  });

  it('a pause across the deadline: the remaining time is negative, the resume is due at once, passed warnings stay sent', async () => {
    const c = await start(sh('2026-11-23T10:00:00'), day); // due Tuesday 10:00
    c.milestones.forEach((m) => (m.done = m.kind !== 'breach'));
    await pauseClock(c, sh('2026-11-24T12:00:00'));
    expect(c).toMatchObject({ consumedMs: 26 * hour, remainingMs: -2 * hour });
    await resumeClock(c, sh('2026-11-25T10:00:00'));
    // Nothing is left: the deadline is the resume itself, never earlier than it was.
    expect(c.dueAt).toBe(sh('2026-11-25T10:00:00'));
    expect(done(c)).toEqual({ 'warning-50': true, 'warning-75': true, breach: false });
    expect(at(c)).toEqual({ 'warning-50': sh('2026-11-23T22:00:00'), 'warning-75': sh('2026-11-24T04:00:00'), breach: sh('2026-11-25T10:00:00') });
  });

  it('a resume never pulls a deadline the supervisor set outside working time earlier (patched)', async () => {
    const c = await start(sh('2026-11-23T10:00:00'), day);
    await extendClock(c, sh('2026-11-28T12:00:00'), sh('2026-11-23T14:00:00'), extension(sh('2026-11-28T12:00:00')));
    await pauseClock(c, sh('2026-11-23T14:00:00'));
    await resumeClock(c, sh('2026-11-23T14:00:00'));
    // The calendar alone would say Friday midnight (Saturday 00:00): the deadline stays Saturday 12:00.
    expect(c.dueAt).toBe(sh('2026-11-28T12:00:00'));
    expect(at(c).breach).toBe(sh('2026-11-28T12:00:00'));
    mockPatched = false;
    await pauseClock(c, sh('2026-11-23T14:00:00'));
    await resumeClock(c, sh('2026-11-23T14:00:00'));
    expect(c.dueAt).toBe(sh('2026-11-28T00:00:00'));
  });
});

describe('extensions', () => {
  it('running: the budget grows to the new deadline, which is taken as given even on a Saturday (patched)', async () => {
    const c = await start(sh('2026-11-23T10:00:00'), day); // Monday, due Tuesday 10:00
    c.breachedAt = 'x';
    await extendClock(c, sh('2026-11-28T12:00:00'), sh('2026-11-23T14:00:00'), extension(sh('2026-11-28T12:00:00')));
    // Used 4 h; Monday 14:00 to Saturday 12:00 is 10 h + 4 × 24 h of working time.
    expect(c).toMatchObject({ consumedMs: 4 * hour, budgetMs: 110 * hour, runningSince: sh('2026-11-23T14:00:00'), dueAt: sh('2026-11-28T12:00:00') });
    expect(c.breachedAt).toBeUndefined();
    expect(c.extensions).toHaveLength(1);
    // 55 h and 82.5 h of the budget: Wednesday 17:00 and Thursday 20:30; every milestone fires again.
    expect(at(c)).toEqual({ 'warning-50': sh('2026-11-25T17:00:00'), 'warning-75': sh('2026-11-26T20:30:00'), breach: sh('2026-11-28T12:00:00') });
    expect(done(c)).toEqual({ 'warning-50': false, 'warning-75': false, breach: false });
  });

  it('running, before the patch: the deadline is where the working time runs out (Friday midnight)', async () => {
    mockPatched = false;
    const c = await start(sh('2026-11-23T10:00:00'), day);
    await extendClock(c, sh('2026-11-28T12:00:00'), sh('2026-11-23T14:00:00'), extension(sh('2026-11-28T12:00:00')));
    expect(c).toMatchObject({ budgetMs: 110 * hour, dueAt: sh('2026-11-28T00:00:00') });
  });

  it('paused: what is left is the working time from where the clock stopped to the new deadline', async () => {
    const c = await start(sh('2026-11-23T10:00:00'), day);
    c.milestones.forEach((m) => (m.done = m.kind === 'warning-50'));
    await pauseClock(c, sh('2026-11-23T16:00:00')); // 6 h used
    await extendClock(c, sh('2026-11-25T10:00:00'), sh('2026-11-24T09:00:00'), extension(sh('2026-11-25T10:00:00')), sh('2026-11-23T16:00:00'));
    // Monday 16:00 to Wednesday 10:00: 8 h + 24 h + 10 h.
    expect(c).toMatchObject({ status: 'paused', consumedMs: 6 * hour, remainingMs: 42 * hour, budgetMs: 48 * hour, dueAt: sh('2026-11-25T10:00:00') });
    // The larger budget puts 50 % (24 h) and 75 % (36 h) ahead of the 6 h used: both fire again.
    expect(done(c)).toEqual({ 'warning-50': false, 'warning-75': false, breach: false });
    expect(at(c).breach).toBe(sh('2026-11-25T10:00:00'));
  });

  it('paused past the old deadline, extended to before the pause: negative time left, passed warnings stay sent, the breach fires again', async () => {
    const c = await start(sh('2026-11-23T10:00:00'), day); // due Tuesday 10:00
    c.milestones.forEach((m) => (m.done = true));
    await pauseClock(c, sh('2026-11-25T12:00:00')); // Wednesday: 14 + 24 + 12 = 50 h used
    expect(c.consumedMs).toBe(50 * hour);
    await extendClock(c, sh('2026-11-25T10:00:00'), sh('2026-11-25T13:00:00'), extension(sh('2026-11-25T10:00:00')), sh('2026-11-25T12:00:00'));
    expect(c).toMatchObject({ remainingMs: -2 * hour, budgetMs: 48 * hour, dueAt: sh('2026-11-25T10:00:00') });
    expect(done(c)).toEqual({ 'warning-50': true, 'warning-75': true, breach: false });
  });

  it('paused since before the clock started: the clock counts from its start', async () => {
    const c = await start(sh('2026-11-23T10:00:00'), day, { paused: true });
    await extendClock(c, sh('2026-11-24T22:00:00'), sh('2026-11-23T12:00:00'), extension(sh('2026-11-24T22:00:00')), sh('2026-11-22T09:00:00'));
    // Monday 10:00 to Tuesday 22:00: 14 h + 22 h.
    expect(c).toMatchObject({ remainingMs: 36 * hour, budgetMs: 36 * hour });
  });

  it('a stopped clock is not moved, but the extension is recorded', async () => {
    const c = await start(sh('2026-11-23T10:00:00'), day);
    stopClock(c, sh('2026-11-23T12:00:00'), 'met');
    await extendClock(c, sh('2026-11-28T12:00:00'), sh('2026-11-23T14:00:00'), extension(sh('2026-11-28T12:00:00')));
    expect(c).toMatchObject({ status: 'met', dueAt: sh('2026-11-24T10:00:00'), budgetMs: day });
    expect(c.extensions).toHaveLength(1);
  });
});

describe('a new calendar', () => {
  it('places a provisional working-day deadline again from where it runs', async () => {
    const c = await start(sh('2026-12-30T10:00:00'), 3 * day);
    expect(c).toMatchObject({ dueAt: sh('2027-01-04T10:00:00'), provisional: true });
    mockCalendar = new WorkingCalendar([...nationalDay2026, { date: '2027-01-01', kind: 'holiday' }], [2026, 2027]);
    expect(await recomputeClock(c)).toBe(true);
    // Wednesday 14 h, Thursday 24 h; New Year's Day and the weekend off; Monday 24 h and 10 h of Tuesday 5 January.
    expect(c).toMatchObject({ dueAt: sh('2027-01-05T10:00:00'), provisional: false });
  });

  it('keeps a supervisor’s deadline where it was asked for (patched)', async () => {
    const extended = async () => {
      const c = await start(sh('2026-12-30T10:00:00'), 3 * day);
      // To Saturday 9 January 12:00: Wednesday 14 h, Thursday 24 h, Friday 1 January 24 h, 4–8 January 5 × 24 h.
      await extendClock(c, sh('2027-01-09T12:00:00'), sh('2026-12-30T10:00:00'), extension(sh('2027-01-09T12:00:00')));
      expect(c).toMatchObject({ budgetMs: 182 * hour, dueAt: sh('2027-01-09T12:00:00'), provisional: true });
      return c;
    };
    const c = await extended();
    const old = await extended();
    // 2027 official with the same days: the working time still ends Friday 8 January 24:00, before what was asked.
    mockCalendar = new WorkingCalendar(nationalDay2026, [2026, 2027]);
    expect(await recomputeClock(c)).toBe(true);
    expect(c).toMatchObject({ dueAt: sh('2027-01-09T12:00:00'), provisional: false });
    mockPatched = false;
    expect(await recomputeClock(old)).toBe(true);
    expect(old).toMatchObject({ dueAt: sh('2027-01-09T00:00:00'), provisional: false });
  });

  it.each<[string, Partial<Clock>]>([
    ['a paused clock', { status: 'paused', runningSince: undefined }],
    ['a clock in hours', { unit: 'hours' }],
    ['a deadline already on official data', { provisional: false }],
  ])('leaves %s alone', async (_what, change) => {
    const c = { ...(await start(sh('2026-12-30T10:00:00'), 3 * day)), ...change };
    const before = structuredClone(c);
    mockCalendar = new WorkingCalendar([{ date: '2026-12-31', kind: 'holiday' }], [2026, 2027]);
    expect(await recomputeClock(c)).toBe(false);
    expect(c).toEqual(before);
  });
});

describe('stopping, and which milestone is next', () => {
  it('a running or paused clock stops as met or cancelled; a stopped one stays as it is', async () => {
    const running = await start(sh('2026-11-23T10:00:00'), day);
    stopClock(running, sh('2026-11-23T12:00:00'), 'met');
    expect(running).toMatchObject({ status: 'met', metAt: sh('2026-11-23T12:00:00') });
    expect(running.runningSince).toBeUndefined();
    const paused = await start(sh('2026-11-23T10:00:00'), day, { paused: true });
    stopClock(paused, sh('2026-11-23T12:00:00'), 'cancelled');
    expect(paused).toMatchObject({ status: 'cancelled', metAt: sh('2026-11-23T12:00:00') });
    expect(paused.remainingMs).toBeUndefined();
    stopClock(running, sh('2026-11-24T12:00:00'), 'cancelled');
    expect(running).toMatchObject({ status: 'met', metAt: sh('2026-11-23T12:00:00') });
  });

  it('the next milestone is the earliest not yet sent on a running clock; the due ones come in time order', async () => {
    const a = await start(sh('2026-11-23T10:00:00'), day); // 22:00, 04:00, 10:00
    const b = await start(sh('2026-11-23T08:00:00'), 4 * hour, { unit: 'hours' }); // 10:00, 11:00, 12:00
    const paused = await start(sh('2026-11-23T00:00:00'), hour, { unit: 'hours', paused: true });
    b.milestones[0]!.done = true;
    expect(nextMilestoneAt([a, b, paused])).toBe(Date.parse(sh('2026-11-23T11:00:00')));
    expect(nextMilestoneAt([paused])).toBeUndefined();

    const due = dueMilestones([a, b, paused], Date.parse(sh('2026-11-23T22:00:00')));
    expect(due.map((d) => [d.clock === a ? 'a' : 'b', d.milestone.kind])).toEqual([
      ['b', 'warning-75'],
      ['b', 'breach'],
      ['a', 'warning-50'],
    ]);
    expect(dueMilestones([a], Date.parse(sh('2026-11-23T21:59:59.999')))).toEqual([]);
  });
});

describe('plain time placed in the workflow (patched: clocks-plain-time-here)', () => {
  /** Starts, pauses, resumes and extends a clock as a case does, returning it and the calendar calls made. */
  async function lifeOf(unit: Clock['unit'], budgetMs: number, patchedNow: boolean): Promise<{ clock: Clock; calls: number }> {
    // Every other patch as the current code runs; only this one on or off.
    mockPatched = (id) => id !== plainTimeHerePatch || patchedNow;
    mockCalendarCalls = 0;
    const from = sh('2026-09-30T16:20:00.123');
    const clock = await startClock({ id: 'task:T1', kind: 'task', taskId: 'T1', unit, budgetMs, from, assignee: owner, paused: false });
    await pauseClock(clock, new Date(Date.parse(from) + budgetMs / 3).toISOString());
    await resumeClock(clock, new Date(Date.parse(from) + budgetMs).toISOString());
    await extendClock(clock, new Date(Date.parse(clock.dueAt) + 7_777).toISOString(), new Date(Date.parse(from) + budgetMs * 1.2).toISOString(), extension('x'));
    await pauseClock(clock, new Date(Date.parse(from) + budgetMs * 1.5).toISOString());
    await extendClock(clock, sh('2026-10-09T09:00:00'), new Date(Date.parse(from) + budgetMs * 1.6).toISOString(), extension('x'), new Date(Date.parse(from) + budgetMs * 1.5).toISOString());
    await resumeClock(clock, new Date(Date.parse(from) + budgetMs * 2).toISOString());
    return { clock, calls: mockCalendarCalls };
  }

  it.each<[Clock['unit'], number]>([
    ['minutes', 30 * 60_000],
    ['minutes', 20_001],
    ['hours', 2.5 * hour],
    ['days', 3 * day],
    ['days', 1],
  ])('%s, %i ms: the same clock as the calendar activity gives, without asking it', async (unit, budgetMs) => {
    const byCalendar = await lifeOf(unit, budgetMs, false);
    const here = await lifeOf(unit, budgetMs, true);
    expect(byCalendar.calls).toBeGreaterThan(0);
    expect(here.calls).toBe(0);
    expect(here.clock).toEqual(byCalendar.clock);
  });

  it('working days still ask the calendar (holidays decide)', async () => {
    const here = await lifeOf('working-days', 2 * day, true);
    expect(here.calls).toBeGreaterThan(0);
    expect(here.clock).toEqual((await lifeOf('working-days', 2 * day, false)).clock);
  });
});
