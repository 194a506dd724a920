import { condition, patched } from '@temporalio/workflow';
import { writes } from './activities';
import type { Assignee, Clock, ClockKind, ClockSchedule, GoalUnit, MilestoneKind } from './messages';

type ScheduleInput = Parameters<typeof writes.scheduleClock>[0];
type MeasureInput = Parameters<typeof writes.measureClock>[0];

/**
 * Commitments' clocks, after service-desk SLA engines: a budget counted in the goal's unit,
 * paused while the case waits on the resident, with warnings at 50 % and 75 % and a breach at 100 %.
 * Calendar maths (working days, holidays) runs in activities, so its results are recorded in history
 * and a new calendar never changes a replay. Everything else here is plain arithmetic on recorded values.
 */

/**
 * Patch id: a clock in plain time (minutes, hours, days: elapsed time, no calendar) is placed and measured
 * here, as the calendar activities would (activities/calendar/activities.ts, `WorkingCalendar`), instead of
 * by an activity: no round trip for a task's or a department's deadline. Working days still ask the calendar.
 */
export const plainTimeHerePatch = 'clocks-plain-time-here';

/**
 * Decides plainTimeHerePatch in the workflow's first activation: call it first thing. A patch first asked
 * after a local activity can fail its own replay: when that activity's result comes back in a workflow task
 * of its own (a busy worker), the live run asks in that task, but replay hands the result over one task
 * earlier, where the patch's marker is not known yet (seen: "patch marker encountered … but there is no
 * corresponding change command"). Asked first, the marker is in the first task. Only for a patch that no
 * recorded history asks for elsewhere.
 */
export function decideClockPatches(): void {
  patched(plainTimeHerePatch);
}

/** An instant's epoch ms when it is one the calendar would read the same way; undefined sends it to the activity. */
function instant(iso: string): number | undefined {
  const ms = Date.parse(iso);
  return Number.isFinite(ms) ? ms : undefined;
}

/** `ms` of elapsed time from `from`, as an ISO instant (the calendar's `advance` in plain time); undefined when unrepresentable. */
function advanced(from: number, ms: number): string | undefined {
  if (!Number.isFinite(ms)) return undefined;
  const remaining = Math.round(ms);
  const at = remaining <= 0 ? from : from + remaining;
  return Math.abs(at) <= 8.64e15 ? new Date(at).toISOString() : undefined;
}

function plainSchedule(input: ScheduleInput): ClockSchedule | undefined {
  const from = instant(input.from);
  if (from === undefined) return undefined;
  const left = (share: number) => input.budgetMs * share - input.consumedMs;
  const dueAt = advanced(from, left(1));
  const p50 = left(0.5) > 0 ? advanced(from, left(0.5)) : null;
  const p75 = left(0.75) > 0 ? advanced(from, left(0.75)) : null;
  if (dueAt === undefined || p50 === undefined || p75 === undefined) return undefined;
  return { dueAt, warnings: { p50, p75 }, provisional: false };
}

/** A clock's deadline and warnings: here in plain time (patched), else by the calendar activity. */
async function schedule(input: ScheduleInput): Promise<ClockSchedule> {
  const here = input.unit !== 'working-days' && patched(plainTimeHerePatch) ? plainSchedule(input) : undefined;
  return here ?? writes.scheduleClock(input);
}

/** Clock time between two instants: here in plain time (patched), else by the calendar activity. */
async function measure(input: MeasureInput): Promise<number> {
  if (input.unit !== 'working-days' && patched(plainTimeHerePatch)) {
    const from = instant(input.from);
    const to = instant(input.to);
    if (from !== undefined && to !== undefined) return to > from ? to - from : 0;
  }
  return writes.measureClock(input);
}

const unitMs: Record<GoalUnit, number> = { minutes: 60_000, hours: 3_600_000, days: 86_400_000, 'working-days': 86_400_000 };
export const goalMs = (goal: number, unit: GoalUnit) => Math.round(goal * unitMs[unit]);

const fractions: [MilestoneKind, number][] = [
  ['warning-50', 0.5],
  ['warning-75', 0.75],
];

/** Lays a schedule on a clock. With `reset`, milestones still ahead fire again (a moved deadline). */
function apply(c: Clock, s: ClockSchedule, reset: boolean): void {
  const previous = new Map(c.milestones.map((m) => [m.kind, m]));
  const at = { 'warning-50': s.warnings.p50, 'warning-75': s.warnings.p75, breach: s.dueAt } as const;
  c.dueAt = s.dueAt;
  c.provisional = s.provisional;
  c.milestones = (['warning-50', 'warning-75', 'breach'] as const).map((kind) => {
    const when = at[kind];
    const before = previous.get(kind);
    // A milestone already behind the clock's position is not sent late.
    if (when === null) return { kind, at: before?.at ?? s.dueAt, done: true };
    return { kind, at: when, done: reset ? false : (before?.done ?? false) };
  });
}

/** Patch id: an extension lands where the supervisor asked, and a resume never pulls a deadline earlier. */
export const extensionAsGivenPatch = 'case-extension-as-given';

/**
 * The one rule for a deadline placed again (behind `extensionAsGivenPatch`): a supervisor's new deadline is
 * taken as given (`exactly`), and neither a resume nor a new calendar moves a deadline earlier than it was, or
 * than the supervisor asked (`notBefore`). Working
 * time alone cannot express an instant outside working time: `advance` answers the earliest instant by which
 * the time has passed, so a target on a Saturday would come back as Friday midnight. The breach follows the
 * deadline; the warnings stay at 50 % and 75 % of the budget.
 */
function holdDeadline(c: Clock, rule: { exactly: string } | { notBefore: string }): void {
  const at = 'exactly' in rule ? rule.exactly : Date.parse(c.dueAt) < Date.parse(rule.notBefore) ? rule.notBefore : c.dueAt;
  c.dueAt = at;
  for (const m of c.milestones) if (m.kind === 'breach') m.at = at;
}

export async function startClock(spec: {
  id: string;
  kind: ClockKind;
  taskId?: string;
  unit: GoalUnit;
  budgetMs: number;
  from: string;
  assignee: Assignee;
  paused: boolean;
}): Promise<Clock> {
  const s = await schedule({ unit: spec.unit, budgetMs: spec.budgetMs, consumedMs: 0, from: spec.from });
  const clock: Clock = {
    id: spec.id,
    kind: spec.kind,
    ...(spec.taskId ? { taskId: spec.taskId } : {}),
    unit: spec.unit,
    budgetMs: spec.budgetMs,
    consumedMs: 0,
    startedAt: spec.from,
    runningSince: spec.from,
    dueAt: s.dueAt,
    provisional: s.provisional,
    status: 'running',
    milestones: [],
    assignee: spec.assignee,
    extensions: [],
  };
  apply(clock, s, true);
  if (spec.paused) {
    clock.status = 'paused';
    delete clock.runningSince;
    clock.remainingMs = spec.budgetMs;
  }
  return clock;
}

export async function pauseClock(c: Clock, now: string): Promise<void> {
  if (c.status !== 'running' || !c.runningSince) return;
  c.consumedMs += await measure({ unit: c.unit, from: c.runningSince, to: now });
  c.status = 'paused';
  delete c.runningSince;
  c.remainingMs = c.budgetMs - c.consumedMs;
}

export async function resumeClock(c: Clock, now: string): Promise<void> {
  if (c.status !== 'paused') return;
  const s = await schedule({ unit: c.unit, budgetMs: c.budgetMs, consumedMs: c.consumedMs, from: now });
  const before = c.dueAt;
  c.status = 'running';
  c.runningSince = now;
  delete c.remainingMs;
  apply(c, s, false);
  if (patched(extensionAsGivenPatch)) holdDeadline(c, { notBefore: before });
}

/**
 * A supervisor's extension: the budget grows by the clock time up to `newDueAt`, and (patched) the deadline
 * is `newDueAt` itself, even where it lies outside working time. `pausedSince`: when the case's clocks stopped.
 */
export async function extendClock(c: Clock, newDueAt: string, now: string, record: Clock['extensions'][number], pausedSince?: string): Promise<void> {
  const asGiven = patched(extensionAsGivenPatch);
  if (c.status === 'running' && c.runningSince) {
    c.consumedMs += await measure({ unit: c.unit, from: c.runningSince, to: now });
    c.runningSince = now;
    c.budgetMs = c.consumedMs + (await measure({ unit: c.unit, from: now, to: newDueAt }));
    apply(c, await schedule({ unit: c.unit, budgetMs: c.budgetMs, consumedMs: c.consumedMs, from: now }), true);
  } else if (c.status === 'paused') {
    if (asGiven && pausedSince) {
      // What is left is the clock time from where the clock stopped to the new deadline (negative when the
      // deadline lies before it): the old deadline may itself lie before the pause.
      const stoppedAt = Date.parse(pausedSince) > Date.parse(c.startedAt) ? pausedSince : c.startedAt;
      const left =
        Date.parse(newDueAt) >= Date.parse(stoppedAt)
          ? await measure({ unit: c.unit, from: stoppedAt, to: newDueAt })
          : -(await measure({ unit: c.unit, from: newDueAt, to: stoppedAt }));
      c.budgetMs = c.consumedMs + left;
      c.remainingMs = left;
    } else {
      const extra = await measure({ unit: c.unit, from: c.dueAt, to: newDueAt });
      c.budgetMs += extra;
      c.remainingMs = (c.remainingMs ?? 0) + extra;
    }
    c.dueAt = newDueAt;
    // Placed again on resume; milestones the larger budget moves ahead fire again (patched: the breach always).
    c.milestones = c.milestones.map((m) => {
      const fraction = fractions.find(([k]) => k === m.kind)?.[1] ?? 1;
      return { ...m, done: asGiven && m.kind === 'breach' ? false : fraction * c.budgetMs <= c.consumedMs };
    });
  }
  if (asGiven && (c.status === 'running' || c.status === 'paused')) holdDeadline(c, { exactly: newDueAt });
  delete c.breachedAt;
  c.extensions.push(record);
}

/** A new calendar for a year: a provisional working-day deadline is placed again from where it runs. */
export async function recomputeClock(c: Clock): Promise<boolean> {
  if (c.status !== 'running' || !c.runningSince || !c.provisional || c.unit !== 'working-days') return false;
  const before = c.dueAt;
  apply(c, await schedule({ unit: c.unit, budgetMs: c.budgetMs, consumedMs: c.consumedMs, from: c.runningSince }), false);
  // A supervisor's deadline stays where it was asked for, whatever the new calendar counts.
  const asked = c.extensions.at(-1)?.to;
  if (asked && patched(extensionAsGivenPatch)) holdDeadline(c, { notBefore: asked });
  return c.dueAt !== before || !c.provisional;
}

export function stopClock(c: Clock, now: string, status: 'met' | 'cancelled'): void {
  if (c.status !== 'running' && c.status !== 'paused') return;
  c.status = status;
  c.metAt = now;
  delete c.runningSince;
  delete c.remainingMs;
}

/** The earliest milestone still ahead on a running clock. */
export function nextMilestoneAt(clocks: Clock[]): number | undefined {
  let next: number | undefined;
  for (const c of clocks) {
    if (c.status !== 'running') continue;
    for (const m of c.milestones) {
      if (!m.done && (next === undefined || Date.parse(m.at) < next)) next = Date.parse(m.at);
    }
  }
  return next;
}

/** Milestones reached by `now`, in time order. */
export function dueMilestones(clocks: Clock[], now: number): { clock: Clock; milestone: Clock['milestones'][number] }[] {
  return clocks
    .filter((c) => c.status === 'running')
    .flatMap((clock) => clock.milestones.filter((m) => !m.done && Date.parse(m.at) <= now).map((milestone) => ({ clock, milestone })))
    .sort((a, b) => Date.parse(a.milestone.at) - Date.parse(b.milestone.at));
}

/**
 * Runs beside a workflow's steps until `stopped`: one durable timer for the next milestone of the clocks,
 * re-planned whenever `version` changes (a clock started, stopped or moved); `fire` handles what is due.
 */
export async function watchMilestones(o: {
  clocks: () => Clock[];
  version: () => number;
  stopped: () => boolean;
  fire: () => Promise<void>;
  /** Called in the activation where the timer ran out, before `fire`. */
  expired?: () => void;
}): Promise<void> {
  while (!o.stopped()) {
    const version = o.version();
    const next = nextMilestoneAt(o.clocks());
    const changed = () => o.version() !== version || o.stopped();
    if (next === undefined) await condition(changed);
    else if (next > Date.now() && !(await condition(changed, next - Date.now()))) o.expired?.();
    if (o.stopped()) return;
    await o.fire();
  }
}
