import { isOverdue } from '../case/facts';
import type { DepartmentCall, WhistleInboxState, WhistleState } from './messages';

/**
 * Facts derived from a whistle's state, shared by the whistle workflow (its read-model projection) and
 * the API's live whistle view. Pure functions with no SDK imports, so either side can use them.
 */

/** The calls notified so far: a department is on the whistle from its first moment, with deadlines once notified. */
export const notifiedCalls = (s: WhistleState): DepartmentCall[] => s.calls.filter((c) => c.checkInDueAt !== '');

export const callRole = (s: WhistleState, c: DepartmentCall): 'lead' | 'co-handler' => (c.departmentId === s.lead ? 'lead' : 'co-handler');

/** A call's inbox state: done once reported, released or the whistle is over; in progress once checked in and not disputed. */
export function callInboxState(s: WhistleState, c: DepartmentCall): WhistleInboxState {
  if (s.status !== 'open' || c.status === 'released' || c.status === 'reported') return 'done';
  return c.checkedInAt && c.status !== 'disputed' ? 'in-progress' : 'awaiting-check-in';
}

/** The department's next deadline on the call: check-in, then report; none when done. */
export const callDueAt = (c: DepartmentCall, state: WhistleInboxState): string | null =>
  state === 'awaiting-check-in' ? c.checkInDueAt : state === 'in-progress' ? c.reportDueAt : null;

/** Calendar seconds from the call to the (first) check-in. */
export const checkInLatencySeconds = (c: DepartmentCall): number | null =>
  c.checkedInAt ? (Date.parse(c.checkedInAt) - Date.parse(c.calledAt)) / 1000 : null;

/** Where the whistle stands as a whole: its inbox state, its next deadline and whether a deadline is missed. */
export function whistleProgress(s: WhistleState): { state: WhistleInboxState; nextDueAt: string | null; overdue: boolean } {
  const pending = notifiedCalls(s)
    .map((c) => ({ c, state: callInboxState(s, c) }))
    .filter((p) => p.state !== 'done');
  return {
    state: s.status !== 'open' ? 'done' : pending.some((p) => p.state === 'awaiting-check-in') ? 'awaiting-check-in' : 'in-progress',
    nextDueAt: pending.map((p) => callDueAt(p.c, p.state)!).sort()[0] ?? null,
    overdue: s.status === 'open' && isOverdue(s.clocks),
  };
}
