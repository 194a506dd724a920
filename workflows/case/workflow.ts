import { condition, patched, setHandler, upsertSearchAttributes } from '@temporalio/workflow';
import { searchAttributes } from '../../temporal/search-attribute-keys';
import { activities } from '../shared/activities';
import { type CaseState, caseStateQuery, type OpenCaseInput } from './messages';
import { registerHandlers } from './handlers';
import { CaseRun, ClosedEarly, milestoneWritesTogetherPatch, oneWritePerChangePatch, sizeWhenHeardPatch, system, Withdrawn } from './run';
import { decideClockPatches, extensionAsGivenPatch, plainTimeHerePatch } from '../shared/clocks';

/** Patch ids: histories recorded before a patch keep replaying the code they ran. */
export const patches = {
  sixStages: 'case-six-stages',
  extensionAsGiven: extensionAsGivenPatch,
  /** Opening holds the serial lock: a change sent right after the 201 meets the case with its commitments set. */
  openingFirst: 'case-opening-first',
  /** Handle-now records execute and coordinate as passed too, like diagnose and plan. */
  handleNowPassesAll: 'case-handle-now-passes-all',
  /** A commitment's warning or breach writes its event and its notices at once, not one after another. */
  milestoneWritesTogether: milestoneWritesTogetherPatch,
  /** A change's events, case row and notices are written in one local activity once the case is quiet. */
  oneWritePerChange: oneWritePerChangePatch,
  /** Clocks in plain time (minutes, hours, days) are placed by arithmetic in the workflow, not by an activity. */
  plainTimeHere: plainTimeHerePatch,
  /** Continue-as-new is decided on the history size seen when a message or timer came in. */
  sizeWhenHeard: sizeWhenHeardPatch,
} as const;

/**
 * One resident demand, handled in six steps: accept → diagnose → plan → execute → coordinate → close.
 * Staff move the case through workflow updates (handlers.ts, checked by rules.ts); the clocks of its
 * commitments run beside the steps on durable timers (CaseRun.watchClocks).
 */
export async function caseWorkflow(input: OpenCaseInput): Promise<CaseState> {
  if (!patched(patches.sixStages)) return openedOnly(input);
  decideClockPatches();

  const c = new CaseRun(input);
  // The opening takes the serial lock before any handler exists: an update sent with the start (they
  // come in one activation, the update first) waits until the case is on record with its commitments.
  const opening = patched(patches.openingFirst) ? c.exclusive(() => c.open()) : undefined;
  registerHandlers(c);
  void c.watchClocks();
  void c.writeWhenQuiet();
  await (opening ?? c.open());

  try {
    return await steps(c);
  } catch (err) {
    // Withdrawn by the resident, or cancelled as a duplicate: the case ends here, without a closure.
    if (err instanceof Withdrawn) return c.finish();
    throw err;
  }
}

/** The six steps, from acceptance to the resident's evaluation (a withdrawal ends them wherever they are). */
async function steps(c: CaseRun): Promise<CaseState> {
  // 1. Accept: in scope, handle at once (即办), or transfer out (转办).
  const acceptance = await c.stage('accept', () => c.state.acceptance);
  if (acceptance.decision === 'transfer') return c.finish();

  for (;;) {
    try {
      if (acceptance.decision === 'accept') {
        // 2. Diagnose: findings, causes, resources; a home visit where the catalogue requires one.
        await c.stage('diagnose', () => c.state.diagnosis);
        // 3. Plan: goals and tasks, each with an assignee and a due time.
        await c.stage('plan', () => c.state.plans?.length);
      } else {
        // 即办: handled at the window, so every working stage is passed and recorded the same way
        // (a reopened case waits for its revised plan in execute instead).
        await c.pass(['diagnose', 'plan'], 'handled at once');
        if (!c.state.awaitingRevision && patched(patches.handleNowPassesAll)) await c.pass(['execute', 'coordinate'], 'handled at once');
      }
      // 4. Execute: the station's own tasks are done.
      await c.stage('execute', () => !c.state.awaitingRevision && c.openTasks('staff').length === 0);
      // 5. Coordinate: partners, departments and escalations settle.
      await c.stage('coordinate', () => c.openTasks().length === 0 && c.openEscalations().length === 0);
      // 6. Close: the resolution, a certificate where the affair issues one.
      await c.stage('close', () => c.state.closure);
    } catch (err) {
      if (!(err instanceof ClosedEarly)) throw err;
      await c.pass(['close'], `closed as ${c.state.closure?.resolution}`);
    }
    // 6. Close (cont.): the resident's evaluation; unsatisfied within the window reopens execution.
    if ((await evaluation(c)) === 'done') return c.finish();
  }
}

/** Waits for the resident's evaluation; records a due call-back when none came in by the call-back time. */
async function evaluation(c: CaseRun): Promise<'done' | 'reopen'> {
  const { rules, closure } = c.state;
  const closedAt = Date.parse(closure!.at);
  const callBackAt = closedAt + rules!.callBackAfterHours * 3_600_000;
  const windowEnd = closedAt + rules!.reopenWindowHours * 3_600_000;
  const evaluated = () => c.state.evaluation !== undefined;

  if (!c.state.callBack && !(await c.waitFor(evaluated, callBackAt - Date.now()))) {
    await c.exclusive(async () => {
      if (evaluated()) return;
      c.state.callBack = { dueAt: new Date(callBackAt).toISOString(), recordedAt: c.now() };
      await c.record('callback.due', system, { dueAt: c.state.callBack.dueAt });
      await c.notify(c.ownerAssignee(), 'callback.due', { dueAt: c.state.callBack.dueAt });
    });
  }
  if (!evaluated()) await c.waitFor(evaluated, windowEnd - Date.now());

  const rating = c.state.evaluation?.rating;
  if (rating !== 'unsatisfied' || Date.parse(c.state.evaluation!.at) > windowEnd) return 'done';
  await reopen(c);
  return 'reopen';
}

/** An unsatisfied resident reopens the case into execution, with a fresh resolution commitment. */
async function reopen(c: CaseRun): Promise<void> {
  await c.exclusive(async () => {
    const s = c.state;
    const reopenings = (s.reopenings ??= []);
    reopenings.push({ at: c.now(), evaluation: s.evaluation!, closure: s.closure! });
    delete s.closure;
    delete s.evaluation;
    delete s.callBack;
    s.awaitingRevision = true;
    const clock = await c.resolutionClock(`resolution-${reopenings.length + 1}`, c.now());
    c.clocks.push(clock);
    const from = s.stage;
    s.stage = 'execute';
    await c.record('case.reopened', system, { from, rating: reopenings.at(-1)!.evaluation.rating, dueAt: clock.dueAt });
    await c.notify(c.ownerAssignee(), 'case.reopened', { dueAt: clock.dueAt });
    c.clocksChanged();
  });
}

/** The walking skeleton's behaviour, kept for cases started before the six stages (their histories replay). */
async function openedOnly(input: OpenCaseInput): Promise<CaseState> {
  const state: CaseState = { ...input, stage: 'accept', recorded: false };
  setHandler(caseStateQuery, () => state);
  await activities.recordCaseOpened(input);
  state.recorded = true;
  upsertSearchAttributes([{ key: searchAttributes.lastProgressAt, value: new Date() }]);
  await condition(() => state.stage === 'closed');
  return state;
}
