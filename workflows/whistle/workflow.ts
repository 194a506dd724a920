import { condition, isCancellation } from '@temporalio/workflow';
import type { WhistleInput, WhistleState } from './messages';
import { registerWhistleHandlers } from './handlers';
import { WhistleRun } from './run';
import { decideClockPatches } from '../shared/clocks';

/**
 * "Subdistrict Initiates, Departments Check In" (街乡吹哨、部门报到): one escalation of a case to one or
 * many departments, started by the case workflow as its child. Departments check in, work the problem and
 * report (co-handlers to the lead); the supervisor settles disputes or closes it; then both sides rate.
 */
export async function whistleWorkflow(input: WhistleInput): Promise<WhistleState> {
  decideClockPatches();
  const w = new WhistleRun(input);
  registerWhistleHandlers(w);

  try {
    // 1. Blow the whistle: every department is notified, its check-in and report clocks start.
    await w.open();
    // 2. Reminders before each deadline; a missed check-in goes to the supervisor and the assessment.
    void w.watchClocks();
    // 3. Check in, dispute, report (handlers) until all have reported or the supervisor closes it.
    await condition(() => w.state.status !== 'open');
    // 4. The case's coordinate step moves on with the outcome.
    await w.tellCase();
  } catch (err) {
    // A whistle that fails before it reports (e.g. deadlines its rules cannot reach) must not hold its
    // case in coordinate for ever: the case hears "cannot", then the whistle fails for the operators to see.
    if (w.state.completion === undefined && !isCancellation(err)) await w.failed(err);
    throw err;
  }
  // 5. Two-way assessment: the station rates each department, each department the whistle.
  await condition(() => w.allRated(), input.rules.ratingWindowHours * 3_600_000);
  return w.finish();
}
