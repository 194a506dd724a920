import { WorkflowFailedError, WorkflowUpdateFailedError } from '@temporalio/client';
import { whistleWorkflowId } from '../temporal/workflow-ids';
import { blowWhistleUpdate } from '../workflows/whistle/messages';
import { keepHistory } from './helpers/histories';
import { whistleRequest } from './helpers/whistles';
import { caseWorkflowId } from '../temporal/client';
import { caseStateQuery, closeUpdate, extendDeadlineUpdate, pauseUpdate, planUpdate, resumeUpdate } from '../workflows/case/messages';
import { act, refusal, staff as staffActor, supervisor as supervisorActor } from './helpers/cases';
import { expectProblem } from './helpers/problems';
import { api, eventually, useStack } from './helpers/stack';

/**
 * Hostile date-times in request bodies (issue 11 C, follow-up): every date or date-time field of every
 * route, sent values far in the future or past, dates that do not exist, times no clock shows, odd
 * offsets, absurd precision, huge strings, NUL and full-width digits. Each is a 400 problem naming the
 * field (or, where the value is legitimate, accepted) — never a 500, a 503, a hang — and right after, the
 * same case answers its next updates with 200. Past the API (straight to Temporal), a far date must not
 * wedge a case or a whistle either.
 *
 * Date fields of request bodies (grep of api/): a plan's tasks[].dueAt, a deadline extension's newDueAt,
 * a diagnosis's homeVisit.date, a calendar import's days[].date; instants by another name: a whistle
 * urgency's goals (a check-in or report deadline that many units ahead) and a partner token's ttl (its
 * expiry). Whistle, partner-reply and partner bodies carry no other date. Queries (assessment periods,
 * cursors) are covered by http-edge.test.ts.
 */

const huge = `2027-01-01T00:00:00${'0'.repeat(60_000)}Z`;
/** Date-times no deadline may take: 400 naming the field. */
const badInstants: [string, unknown][] = [
  ['year 9999', '9999-12-31T00:00:00Z'],
  ['year 10000 in UTC (no search attribute holds it)', '9999-12-31T23:59:59-12:00'],
  ['year 2200', '2200-01-01T00:00:00Z'],
  ['year 1900', '1900-01-01T00:00:00Z'],
  ['year 0001', '0001-01-01T00:00:00Z'],
  ['JavaScript’s last instant', '+275760-09-13T00:00:00.000Z'],
  ['just past the supported range', '2101-01-01T00:00:01+08:00'],
  ['30 February', '2026-02-30T10:00:00+08:00'],
  ['29 February of a common year', '2027-02-29T10:00:00+08:00'],
  ['month 13', '2026-13-01T10:00:00Z'],
  ['24:00:00', '2027-03-01T24:00:00Z'],
  ['a leap second', '2027-06-30T23:59:60Z'],
  ['no time zone', '2027-03-01T10:00:00'],
  ['offset +24:00', '2027-03-01T10:00:00+24:00'],
  ['a date only', '2027-03-01'],
  ['a space for T', '2027-03-01 10:00:00Z'],
  ['full-width digits', '２０２７-03-01T10:00:00Z'],
  ['NUL', '2027-03-01T10:00:00Z\u0000'],
  ['a huge string', huge],
  ['the empty string', ''],
  ['epoch milliseconds', 4_102_444_800_000],
];

/** Calendar dates no visit took place on: 400 naming the field. */
const badDates: [string, unknown][] = [
  ['year 0001', '0001-01-01'],
  ['year 9999', '9999-12-31'],
  ['year 1900', '1900-01-01'],
  ['year 2200', '2200-01-01'],
  ['30 February', '2026-02-30'],
  ['month 13', '2026-13-01'],
  ['full-width digits', '２０２６-11-24'],
  ['NUL', '2026-11-24\u0000'],
  ['a date-time', '2026-11-24T10:00:00Z'],
  ['a huge string', `2026-11-24${'0'.repeat(60_000)}`],
];

/** Legitimate instants an hour or more ahead, written in ways a client may write them: accepted. */
const inHours = (h: number) => Date.now() + h * 3_600_000;
/** The same instant with another UTC offset (minutes east), e.g. +14:00 (Kiribati) or -12:00. */
function withOffset(ms: number, offsetMinutes: number, fraction = ''): string {
  const local = new Date(ms + offsetMinutes * 60_000).toISOString().slice(0, 19);
  const sign = offsetMinutes < 0 ? '-' : '+';
  const abs = Math.abs(offsetMinutes);
  return `${local}${fraction}${sign}${String(Math.floor(abs / 60)).padStart(2, '0')}:${String(abs % 60).padStart(2, '0')}`;
}

/** A 400 validation-failed problem naming `pointer`; on failure, says which value got what answer. */
function refused400(what: string, res: Awaited<ReturnType<typeof api>>, detail: RegExp | undefined, pointer: string): void {
  try {
    expectProblem(res, 400, detail, pointer, 'validation-failed');
  } catch (err) {
    throw new Error(`${what}: ${res.status} ${JSON.stringify(res.body).slice(0, 300)}`, { cause: err });
  }
}

describe('hostile date-times in request bodies', () => {
  const { stack, tokens } = useStack();
  let residents = 0;

  const post = (id: string, path: string, body: unknown, token = tokens.staff!) => api(stack, 'POST', `/api/cases/${id}/${path}`, { token, body });

  /** A general-class case (7 working days to resolve: a working-day clock) opened over HTTP, moved to `stage`. */
  async function caseIn(stage: 'diagnose' | 'plan' | 'execute'): Promise<string> {
    residents += 1;
    const opened = await api(stack, 'POST', '/api/cases', {
      token: tokens.staff,
      body: {
        serviceCode: 'garbage-sorting-complaint',
        demand: 'Bins overflow every evening',
        resident: { name: `Date Resident ${residents}`, phone: `1360000${String(residents).padStart(4, '0')}` },
      },
    });
    expect(opened.status).toBe(201);
    const id: string = opened.body.id;
    expect((await post(id, 'acceptance', { decision: 'accept' })).status).toBe(200);
    if (stage === 'diagnose') return id;
    expect((await post(id, 'diagnosis', { findings: 'Bins too small' })).status).toBe(200);
    if (stage === 'plan') return id;
    const planned = await post(id, 'plan', { goals: ['Bigger bins'], tasks: [{ title: 'Order bins', assignee: { kind: 'staff', id: 'wang' }, dueAt: new Date(inHours(48)).toISOString() }] });
    expect(planned.status).toBe(200);
    return id;
  }

  /** The case still works: a pause, then a supervisor's closure, each 200 at once. */
  async function stillWorks(id: string): Promise<void> {
    const paused = await post(id, 'pause', { reason: 'Resident travelling' });
    expect({ status: paused.status, body: paused.body }).toMatchObject({ status: 200 });
    const closed = await post(id, 'closure', { resolution: 'unresolved', reason: 'Withdrawn' }, tokens.supervisor);
    expect({ status: closed.status, body: closed.body }).toMatchObject({ status: 200, body: { resolution: 'unresolved' } });
  }

  const task = (dueAt: unknown) => ({ goals: ['Bigger bins'], tasks: [{ title: 'Order bins', assignee: { kind: 'staff', id: 'wang' }, dueAt }] });

  it('a plan: every hostile tasks[].dueAt is a 400 naming #/tasks/0/dueAt; a far deadline within the range is taken; the case works on', async () => {
    const id = await caseIn('plan');
    for (const [what, dueAt] of badInstants) {
      const res = await post(id, 'plan', task(dueAt));
      refused400(`plan with dueAt ${what}`, res, undefined, '#/tasks/0/dueAt');
    }
    // The range's end is named.
    const far = await post(id, 'plan', task('2200-01-01T00:00:00Z'));
    expect(far.body.errors).toEqual([{ pointer: '#/tasks/0/dueAt', detail: expect.stringMatching(/2101-01-01/) }]);

    // Within the range but beyond the 50 years a deadline may lie ahead: a 400 naming the field.
    expectProblem(await post(id, 'plan', { ...task('2100-12-31T12:00:00+08:00'), reason: 'r' }), 400, /50 years/, '#/tasks/0/dueAt', 'validation-failed');
    // A due time far ahead but within both is a deadline like any other.
    const farAhead = new Date(inHours(49 * 365 * 24)).toISOString();
    const revised = await post(id, 'plan', { ...task(farAhead), reason: 'Bins back-ordered' });
    expect({ status: revised.status, body: revised.body }).toMatchObject({ status: 200 });
    expect(revised.body.tasks.filter((t: { status: string }) => t.status === 'open')).toMatchObject([{ dueAt: farAhead }]);
    await stillWorks(id);
  });

  it('a plan: +14:00 and -12:00 offsets and nine fractional digits are the instants they name, stored as UTC to the millisecond; the next deadline is the earliest', async () => {
    const id = await caseIn('plan');
    const at = Math.floor(inHours(30) / 1000) * 1000;
    const legit = [withOffset(at, 14 * 60), withOffset(at + 3_600_000, -12 * 60), withOffset(at + 7_200_000, 0, '.123456789')];
    const planned = await post(id, 'plan', {
      goals: ['Bigger bins'],
      tasks: legit.map((dueAt, i) => ({ title: `Task ${i + 1}`, assignee: { kind: 'staff', id: 'wang' }, dueAt })),
    });
    expect({ status: planned.status, body: planned.body }).toMatchObject({ status: 200 });
    // The case's next deadline is the earliest of them, whatever offset each was written with (the workflow
    // picks it by comparing the instants' text, so all must be written alike).
    expect(new Date(planned.body.nextDueAt).toISOString()).toBe(new Date(at).toISOString());
    expect(planned.body.tasks.map((t: { dueAt: string }) => t.dueAt)).toEqual(legit.map((v) => new Date(v).toISOString()));
    const view = await eventually(async () => {
      const r = await api(stack, 'GET', `/api/cases?stationId=qianggen&limit=100`, { token: tokens.staff });
      return r.body.items?.find((c: { id: string; nextDueAt: string | null }) => c.id === id && c.nextDueAt === new Date(at).toISOString());
    }, 10_000, 'the case list to show the earliest task deadline');
    expect(view.nextDueAt).toBe(new Date(at).toISOString());
    await stillWorks(id);
  });

  it('an extension written with +14:00: the next deadline is the earliest instant, not the first text', async () => {
    const id = await caseIn('plan');
    const view = await api(stack, 'GET', `/api/cases/${id}`, { token: tokens.staff });
    const resolutionDue = Date.parse(view.body.clocks.find((c: { kind: string }) => c.kind === 'resolution').dueAt);
    const taskDue = Math.floor((resolutionDue + 2 * 86_400_000) / 1000) * 1000;
    expect((await post(id, 'plan', task(new Date(taskDue).toISOString()))).status).toBe(200);
    // An hour before the task: earlier as an instant, later as text ("…T13:00+14:00" > "…T00:00Z" of the same day).
    const target = withOffset(taskDue - 3_600_000, 14 * 60);
    const extended = await post(id, 'deadline-extension', { clock: 'resolution', newDueAt: target, reason: 'Parts on order' }, tokens.supervisor);
    expect({ status: extended.status, body: extended.body }).toMatchObject({ status: 200 });
    expect(extended.body.nextDueAt).toBe(new Date(taskDue - 3_600_000).toISOString());
    await stillWorks(id);
  });

  it('a deadline extension: every hostile newDueAt is a 400 naming #/newDueAt; one beyond what a working-day clock can count is refused clearly; the case works on', async () => {
    const id = await caseIn('execute');
    for (const [what, newDueAt] of badInstants) {
      const res = await post(id, 'deadline-extension', { clock: 'resolution', newDueAt, reason: 'Parts on order' }, tokens.supervisor);
      refused400(`extension to ${what}`, res, undefined, '#/newDueAt');
    }
    for (const newDueAt of ['9999-12-31T00:00:00Z', '2200-06-01T00:00:00+08:00']) {
      const res = await post(id, 'deadline-extension', { clock: 'resolution', newDueAt, reason: 'r' }, tokens.supervisor);
      expect(res.body.errors).toEqual([{ pointer: '#/newDueAt', detail: expect.stringMatching(/2101-01-01/) }]);
    }
    // Within the range but more than the 50 years a working-day clock counts: a 400 naming the field, not a
    // refusal the workflow cannot explain (nor a case left half-extended).
    const tooFar = await post(id, 'deadline-extension', { clock: 'resolution', newDueAt: '2100-06-01T00:00:00+08:00', reason: 'r' }, tokens.supervisor);
    expectProblem(tooFar, 400, /50 years/, '#/newDueAt', 'validation-failed');
    // A target before now is the workflow's rule (later than the current deadline): 422.
    expectProblem(
      await post(id, 'deadline-extension', { clock: 'resolution', newDueAt: '2020-01-01T00:00:00+08:00', reason: 'r' }, tokens.supervisor),
      422,
      undefined,
      '#/newDueAt',
    );
    // A legitimate target written with -12:00: taken as the instant it names, in the clock and the record.
    const view = await api(stack, 'GET', `/api/cases/${id}`, { token: tokens.staff });
    const current = view.body.clocks.find((c: { kind: string }) => c.kind === 'resolution');
    const target = withOffset(Date.parse(current.dueAt) + 30 * 86_400_000, -12 * 60, '.987654321');
    const extended = await post(id, 'deadline-extension', { clock: 'resolution', newDueAt: target, reason: 'Parts on order' }, tokens.supervisor);
    expect({ status: extended.status, body: extended.body }).toMatchObject({ status: 200 });
    const clock = extended.body.clocks.find((c: { kind: string }) => c.kind === 'resolution');
    const expected = new Date(target).toISOString();
    expect({ dueAt: clock.dueAt, to: clock.extensions.at(-1).to }).toEqual({ dueAt: expected, to: expected });
    await stillWorks(id);
  });

  it('a diagnosis: every hostile homeVisit.date is a 400 naming #/homeVisit/date; a real day is accepted; the case works on', async () => {
    const id = await caseIn('diagnose');
    const visit = (date: unknown) => ({ findings: 'Bins too small', homeVisit: { date, staff: ['wang'], notes: 'Visited the courtyard' } });
    for (const [what, date] of badDates) {
      const res = await post(id, 'diagnosis', visit(date));
      refused400(`home visit on ${what}`, res, undefined, '#/homeVisit/date');
    }
    const diagnosed = await post(id, 'diagnosis', visit('2028-02-29'));
    expect({ status: diagnosed.status, body: diagnosed.body }).toMatchObject({ status: 200, body: { diagnosis: { homeVisit: { date: '2028-02-29' } } } });
    await stillWorks(id);
  });

  it('a calendar import: a day that does not exist or lies outside the year is refused naming #/days/0/date, one not shaped as a date is a 400', async () => {
    const put = (date: unknown) => api(stack, 'PUT', '/api/calendar/2031', { token: tokens.admin, body: { source: 'test', days: [{ date, kind: 'holiday', name: 'x' }] } });
    // Well-formed but not a day of 2031: the import's own check (422 invalid-calendar-days, README).
    for (const date of ['2031-02-29', '2031-02-30', '2031-13-01', '9999-12-31', '0001-01-01', '2030-12-31']) {
      expectProblem(await put(date), 422, undefined, '#/days/0/date', 'invalid-calendar-days');
    }
    for (const [, date] of badDates.filter(([what]) => /full-width|NUL|date-time|huge/.test(what))) {
      expectProblem(await put(date), 400, undefined, '#/days/0/date', 'validation-failed');
    }
    expectProblem(await put(20310101), 400, undefined, '#/days/0/date', 'validation-failed');
    const ok = await put('2031-01-01');
    expect({ status: ok.status, body: ok.body }).toMatchObject({ status: 200, body: { year: 2031, days: 1 } });
  });

  it('a whistle urgency: a goal that puts a deadline beyond what the clocks count is a 400 naming it; a sane one is taken', async () => {
    const base = { name: 'Far', nameZh: '远', checkInGoal: 1, checkInUnit: 'hours', reportGoal: 1, reportUnit: 'days' };
    const cases: [Record<string, unknown>, string][] = [
      [{ checkInGoal: 100_000, checkInUnit: 'working-days' }, '#/checkInGoal'],
      [{ reportGoal: 100_000, reportUnit: 'days' }, '#/reportGoal'],
      [{ reportGoal: 367, reportUnit: 'working-days' }, '#/reportGoal'],
    ];
    for (const [change, pointer] of cases) {
      const res = await api(stack, 'PUT', '/api/whistle-urgencies/far', { token: tokens.admin, body: { ...base, ...change } });
      refused400(`urgency ${JSON.stringify(change)}`, res, /366 days/, pointer);
    }
    const ok = await api(stack, 'PUT', '/api/whistle-urgencies/far', { token: tokens.admin, body: { ...base, reportGoal: 366, reportUnit: 'days' } });
    expect(ok.status).toBe(200);
  });

  it('a partner token: a lifetime that ends beyond the supported range is a 400 naming #/ttl', async () => {
    for (const ttl of ['99999999999999999999d', '36500d', '9999999999s']) {
      const res = await api(stack, 'POST', '/api/partners/anju-repair/tokens', { token: tokens.admin, body: { ttl } });
      refused400(`token ttl ${ttl}`, res, /2101-01-01/, '#/ttl');
    }
    const ok = await api(stack, 'POST', '/api/partners/anju-repair/tokens', { token: tokens.admin, body: { ttl: '365d' } });
    expect({ status: ok.status, body: ok.body }).toMatchObject({ status: 200, body: { expiresIn: 365 * 86_400 } });
  });

  describe('past the API (a client talking to Temporal): a far date within what the workflow handles never wedges a case', () => {
    /** A case in execute, opened over HTTP, and its workflow handle. */
    async function handleOf(stage: 'plan' | 'execute') {
      const id = await caseIn(stage);
      return { id, h: stack.client.workflow.getHandle(caseWorkflowId(id)) };
    }
    /** The update's failure, as the client sees it (undefined: it was applied). */
    async function failureOf(p: Promise<unknown>): Promise<string | undefined> {
      try {
        await p;
        return undefined;
      } catch (err) {
        if (!(err instanceof WorkflowUpdateFailedError)) throw err;
        const cause = err.cause as { name?: string; cause?: { type?: string; name?: string } } | undefined;
        return `${cause?.name}/${cause?.cause?.type ?? cause?.cause?.name}`;
      }
    }
    /** The case takes its next updates: pause, resume, then a supervisor's closure. */
    async function takesUpdates(h: ReturnType<typeof stack.client.workflow.getHandle>) {
      expect((await act(h as never, pauseUpdate, { reason: 'Waiting' })).paused).toBeDefined();
      expect((await act(h as never, resumeUpdate, {})).paused).toBeUndefined();
      const closed = await act(h as never, closeUpdate, { resolution: 'unresolved', reason: 'Withdrawn' }, supervisorActor);
      expect(closed.closure).toMatchObject({ resolution: 'unresolved' });
    }

    it('an extension of a working-day clock to year 9999 or 10000 (refused by the rules) or 2100 (ClockArithmeticError): the clock untouched, the case takes updates', async () => {
      const { h } = await handleOf('execute');
      const before = (await h.query(caseStateQuery)).clocks!.find((c) => c.kind === 'resolution')!;
      // Beyond 2101: refused by the rules (year 10000 in UTC would fail Temporal's search attributes).
      for (const newDueAt of ['9999-12-31T00:00:00Z', '9999-12-31T23:59:59-12:00']) {
        expect(await refusal(act(h as never, extendDeadlineUpdate, { clock: 'resolution', newDueAt, reason: 'r' }, supervisorActor))).toMatchObject({ type: 'CaseInvalid' });
      }
      // Within 2101 but past the 50 years a working-day clock counts: the calendar refuses it.
      expect(
        await failureOf(act(h as never, extendDeadlineUpdate, { clock: 'resolution', newDueAt: '2100-06-01T00:00:00+08:00', reason: 'r' }, supervisorActor)),
      ).toBe('ActivityFailure/ClockArithmeticError');
      const after = (await h.query(caseStateQuery)).clocks!.find((c) => c.kind === 'resolution')!;
      expect({ dueAt: after.dueAt, budgetMs: after.budgetMs, extensions: after.extensions, status: after.status }).toEqual({
        dueAt: before.dueAt,
        budgetMs: before.budgetMs,
        extensions: before.extensions,
        status: 'running',
      });
      await takesUpdates(h);
    });

    it('a whistle whose rules overflow the clock arithmetic fails visibly, and its case hears "cannot", moves on and closes', async () => {
      const { h } = await handleOf('execute');
      const rules = { urgency: 'drill', checkInGoal: 100_000, checkInUnit: 'working-days' as const, reportGoal: 1, reportUnit: 'hours' as const, ratingWindowHours: 1 };
      const blown = (await act(h as never, blowWhistleUpdate, whistleRequest(['housing'], 'housing', rules), staffActor)) as unknown as { whistleId: string };
      const w = stack.client.workflow.getHandle(whistleWorkflowId(blown.whistleId));
      await expect(w.result()).rejects.toThrow(WorkflowFailedError);
      const settled = await eventually(async () => {
        const e = (await h.query(caseStateQuery)).escalations?.find((x) => x.whistleId === blown.whistleId);
        return e?.status === 'settled' && e;
      }, 20_000, 'the case to hear of the failed whistle');
      expect(settled.outcome).toMatchObject({ outcome: 'cannot', note: expect.stringContaining('ActivityFailure/ClockArithmeticError') });
      const closed = await act(h as never, closeUpdate, { resolution: 'unresolved', reason: 'Departments could not be called' }, supervisorActor);
      expect(closed.closure).toMatchObject({ resolution: 'unresolved' });
      // The whistle's own record says so: completed as cannot, with its failure in the timeline.
      const v = await api(stack, 'GET', `/api/whistles/${blown.whistleId}`, { token: tokens.supervisor });
      expect({ status: v.status, outcome: v.body.outcome }).toEqual({ status: 200, outcome: 'cannot' });
      expect(v.body.timeline.map((e: { type: string }) => e.type)).toContain('whistle.failed');
      await keepHistory(stack, w, 'whistle-failed');
      await keepHistory(stack, h, 'case-whistle-failed');
    });

    it('a plan with a task due beyond 2101 (year 9999; year 10000 in UTC, which no search attribute holds): refused by the rules, the case takes updates', async () => {
      const { h } = await handleOf('plan');
      for (const dueAt of ['9999-12-31T00:00:00Z', '9999-12-31T23:59:59-12:00']) {
        const refused = await refusal(act(h as never, planUpdate, { goals: ['x'], tasks: [{ title: 'Far', assignee: { kind: 'staff', id: 'wang' }, dueAt }] }));
        expect(refused).toMatchObject({ type: 'CaseInvalid', message: expect.stringContaining('beyond what a deadline can be set to') });
      }
      // Within reach, far ahead: accepted.
      const planned = await act(h as never, planUpdate, { goals: ['x'], tasks: [{ title: 'Far', assignee: { kind: 'staff', id: 'wang' }, dueAt: '2100-12-31T00:00:00Z' }] });
      expect(planned.tasks).toMatchObject([{ dueAt: '2100-12-31T00:00:00Z', status: 'open' }]);
      await takesUpdates(h);
    });
  });
});
