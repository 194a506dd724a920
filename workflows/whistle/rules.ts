import { ApplicationFailure } from '@temporalio/workflow';
import {
  type DecisionInput,
  type DepartmentCall,
  type DepartmentCommand,
  type DisputeInput,
  type FeedbackInput,
  type RatingInput,
  type ReportInput,
  type WhistleState,
  whistleRejections,
} from './messages';

/**
 * The rules of a whistle: who may answer what, and when. Each check throws a rejection (409 conflict,
 * 422 invalid, 403 not called) or returns; they run as update validators and again in the handlers.
 */

type Rejection = (typeof whistleRejections)[keyof typeof whistleRejections];

function reject(type: Rejection, message: string, pointer?: string): never {
  throw ApplicationFailure.create({ type, message, nonRetryable: true, details: pointer ? [[{ pointer, detail: message }]] : undefined });
}

export const callOf = (s: WhistleState, departmentId: string) => s.calls.find((c) => c.departmentId === departmentId);
/** Calls that still count: not released (or replaced). */
export const activeCalls = (s: WhistleState) => s.calls.filter((c) => c.status !== 'released');
/** Departments the whistle still waits for: to check in, to answer a dispute decision, or to report. */
export const awaitedDepartments = (s: WhistleState) => (s.status === 'open' ? activeCalls(s).filter((c) => c.status !== 'reported').map((c) => c.departmentId) : []);
/** Co-handlers the lead waits for before its own (final) report. */
export const coHandlersNotReported = (s: WhistleState) => activeCalls(s).filter((c) => c.role === 'co-handler' && c.status !== 'reported');

/** A department's calls whose dispute was upheld (released or replaced) are not rated: the call was not theirs. */
export const upheldDispute = (c: DepartmentCall) => c.disputes.some((d) => d.decision === 'release' || d.decision === 'replace');
export const rateable = (s: WhistleState) => s.calls.filter((c) => !upheldDispute(c));

function requireOpen(s: WhistleState, what: string): void {
  if (s.status !== 'open') reject(whistleRejections.conflict, `Cannot ${what}: whistle ${s.whistleId} is ${s.status}`);
}

/** The caller's own call on this whistle, or 403. */
function ownCall(s: WhistleState, cmd: DepartmentCommand): DepartmentCall {
  const call = callOf(s, cmd.departmentId);
  if (!call) reject(whistleRejections.notCalled, `Department ${cmd.departmentId} is not called by whistle ${s.whistleId}`);
  return call;
}

function requireNotReleased(s: WhistleState, call: DepartmentCall): void {
  if (call.status === 'released') {
    const by = call.replacedBy ? `replaced by ${call.replacedBy}` : 'released';
    reject(whistleRejections.conflict, `Department ${call.departmentId} was ${by} on whistle ${s.whistleId}`);
  }
}

export function checkCheckIn(s: WhistleState, cmd: DepartmentCommand): void {
  const call = ownCall(s, cmd);
  // Checking in again is answered with the first check-in (idempotent), even after completion.
  if (call.checkedInAt) return;
  requireOpen(s, 'check in');
  requireNotReleased(s, call);
  if (call.status === 'disputed') reject(whistleRejections.conflict, `Your dispute of whistle ${s.whistleId} awaits the supervisor's decision`);
}

export function checkDispute(s: WhistleState, cmd: DepartmentCommand<DisputeInput>): void {
  const call = ownCall(s, cmd);
  requireOpen(s, 'dispute');
  requireNotReleased(s, call);
  if (call.status === 'disputed') reject(whistleRejections.conflict, `Your dispute of whistle ${s.whistleId} already awaits the supervisor's decision`);
  if (call.status === 'reported') reject(whistleRejections.conflict, `Department ${call.departmentId} has already reported on whistle ${s.whistleId}`);
  if (call.disputes.some((d) => d.decision === 'insist')) {
    reject(whistleRejections.conflict, `The supervisor has insisted that whistle ${s.whistleId} is for department ${call.departmentId}`);
  }
}

export function checkReport(s: WhistleState, cmd: DepartmentCommand<ReportInput>): void {
  const call = ownCall(s, cmd);
  requireOpen(s, 'report');
  requireNotReleased(s, call);
  if (call.status === 'reported') reject(whistleRejections.conflict, `Department ${call.departmentId} has already reported on whistle ${s.whistleId}`);
  if (call.status === 'disputed') reject(whistleRejections.conflict, `Your dispute of whistle ${s.whistleId} awaits the supervisor's decision`);
  if (call.status !== 'checked-in') reject(whistleRejections.conflict, `Check in to whistle ${s.whistleId} before reporting`);
  if (call.role === 'lead') {
    const waiting = coHandlersNotReported(s).map((c) => c.departmentId);
    if (waiting.length) reject(whistleRejections.conflict, `As lead, report once your co-handlers have reported to you; still waiting for ${waiting.join(', ')}`);
  }
}

export function checkDecision(s: WhistleState, d: DecisionInput): void {
  requireOpen(s, 'decide on a department');
  const call = callOf(s, d.departmentId);
  if (!call) reject(whistleRejections.invalid, `Department ${d.departmentId} is not called by whistle ${s.whistleId}`, '#/departmentId');
  requireNotReleased(s, call);
  if (call.status === 'reported') reject(whistleRejections.conflict, `Department ${d.departmentId} has already reported on whistle ${s.whistleId}`);
  const pending = call.disputes.at(-1);
  if (d.decision === 'insist' && (call.status !== 'disputed' || !pending || pending.decision)) {
    reject(whistleRejections.conflict, `Department ${d.departmentId} has no open dispute to insist on`);
  }
  if (d.decision === 'replace') {
    if (!d.replacement) reject(whistleRejections.invalid, 'A replacement names the department that takes over', '#/replacement');
    if (callOf(s, d.replacement)) reject(whistleRejections.invalid, `Department ${d.replacement} is already called by whistle ${s.whistleId}`, '#/replacement');
  } else if (d.replacement) {
    reject(whistleRejections.invalid, 'Only a replacement names a department that takes over', '#/replacement');
  }
  if (d.decision === 'release') {
    const others = activeCalls(s).filter((c) => c.departmentId !== d.departmentId);
    if (others.length === 0) reject(whistleRejections.invalid, `Department ${d.departmentId} is the last one on whistle ${s.whistleId}: close the whistle instead`, '#/decision');
    if (call.role === 'lead') {
      if (!d.newLead) reject(whistleRejections.invalid, 'Releasing the lead names the new lead among the other departments', '#/newLead');
      if (!others.some((c) => c.departmentId === d.newLead)) reject(whistleRejections.invalid, `Department ${d.newLead} is not an active department of whistle ${s.whistleId}`, '#/newLead');
    }
  }
  if (d.newLead && !(d.decision === 'release' && call.role === 'lead')) {
    reject(whistleRejections.invalid, 'A new lead is named only when the lead is released', '#/newLead');
  }
}

export function checkClosure(s: WhistleState): void {
  requireOpen(s, 'close');
}

function requireCompleted(s: WhistleState, what: string): void {
  if (s.status === 'open') reject(whistleRejections.conflict, `Cannot ${what} before whistle ${s.whistleId} is completed`);
  if (s.status === 'finished') reject(whistleRejections.conflict, `Cannot ${what}: the rating window of whistle ${s.whistleId} has closed`);
}

export function checkRating(s: WhistleState, r: RatingInput): void {
  requireCompleted(s, 'rate a department');
  const call = callOf(s, r.departmentId);
  if (!call) reject(whistleRejections.invalid, `Department ${r.departmentId} is not called by whistle ${s.whistleId}`, '#/departmentId');
  if (upheldDispute(call)) reject(whistleRejections.invalid, `Department ${r.departmentId} was released on its dispute: there is nothing to rate`, '#/departmentId');
  if (call.rating) reject(whistleRejections.conflict, `Department ${r.departmentId} is already rated on whistle ${s.whistleId}`);
}

export function checkFeedback(s: WhistleState, cmd: DepartmentCommand<FeedbackInput>): void {
  const call = ownCall(s, cmd);
  requireCompleted(s, 'rate the whistle');
  if (call.feedback) reject(whistleRejections.conflict, `Department ${call.departmentId} has already rated whistle ${s.whistleId}`);
}
