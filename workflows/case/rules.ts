import { ApplicationFailure } from '@temporalio/workflow';
import {
  type Acceptance,
  type CaseState,
  type Closure,
  type DeadlineExtension,
  type Diagnosis,
  type Evaluation,
  type PartnerReply,
  type Pause,
  type PlanInput,
  type RejectionType,
  type RepeatDemand,
  type Resume,
  type Stage,
  rejections,
  stages,
  type TaskCompletion,
  withdrawalResolution,
} from './messages';
import type { Command } from '../shared/messages';
import { missingDocuments, openWhistles } from './facts';

/**
 * The rules of the case: which change is allowed in which stage and state. Each function throws a
 * rejection (409 conflict, 422 invalid, 404 unknown task) or returns. They run as update validators,
 * so a refused change never reaches the history, and again inside the handler, where queued changes
 * meet the state as it is by then.
 */

export function reject(type: RejectionType, message: string, errors?: { pointer: string; detail: string }[]): never {
  throw ApplicationFailure.create({ type, message, nonRetryable: true, details: errors ? [errors] : undefined });
}

export const stageIndex = (s: Stage) => stages.indexOf(s);

/**
 * The latest instant a deadline may be set to: the working-day calendar's range (the API refuses later
 * ones too). A client talking to Temporal directly could send more — a year past 9999 fails Temporal's
 * search attributes and would wedge the case — so the validators refuse it as well.
 */
export const latestInstant = '2101-01-01T00:00:00+08:00';
const withinReach = (iso: string) => {
  const ms = Date.parse(iso);
  return Number.isFinite(ms) && ms < Date.parse(latestInstant);
};

/*
 * The reach checks run in the validators only: a refused update never enters the history, so histories
 * of cases that took a far deadline before these checks existed still replay.
 */
export function checkPlanReach(p: Command<PlanInput>): void {
  p.tasks.forEach((t, i) => {
    if (!withinReach(t.dueAt)) {
      reject(rejections.invalid, `Task "${t.title}" is due at ${t.dueAt}, beyond what a deadline can be set to (${latestInstant})`, [
        { pointer: `#/tasks/${i}/dueAt`, detail: `must be an instant before ${latestInstant}` },
      ]);
    }
  });
}

export function checkExtensionReach(x: Command<DeadlineExtension>): void {
  if (!withinReach(x.newDueAt)) {
    reject(rejections.invalid, `The new deadline ${x.newDueAt} is beyond what a deadline can be set to (${latestInstant})`, [
      { pointer: '#/newDueAt', detail: `must be an instant before ${latestInstant}` },
    ]);
  }
}

function requireStage(state: CaseState, allowed: Stage[], what: string): void {
  requireNotWithdrawn(state, what);
  if (!allowed.includes(state.stage)) {
    reject(rejections.conflict, `Cannot ${what} in stage ${state.stage}; allowed in ${allowed.join(', ')}`);
  }
}

/** A withdrawn case takes no more changes (a change queued behind the withdrawal meets it here). */
function requireNotWithdrawn(state: CaseState, what: string): void {
  if (state.withdrawal) reject(rejections.conflict, `Cannot ${what}: the case was ${withdrawalResolution(state.withdrawal.kind)} (${state.withdrawal.kind})`);
}

function requireOpen(state: CaseState, what: string): void {
  requireNotWithdrawn(state, what);
  if (state.stage === 'closed') reject(rejections.conflict, `Cannot ${what}: the case is closed`);
}

export function checkAcceptance(state: CaseState, a: Command<Acceptance>): void {
  requireStage(state, ['accept'], 'record the acceptance decision');
  if (state.acceptance) reject(rejections.conflict, 'The acceptance decision is already recorded');
  if (a.decision === 'handle-now' && state.catalogue?.handlingMode !== 'handle-now') {
    reject(rejections.invalid, `${state.catalogue?.name ?? state.serviceCode} is not a ready-to-handle affair: it needs documents collected and submitted`, [
      { pointer: '#/decision', detail: 'the catalogue item cannot be handled at once' },
    ]);
  }
  if (a.decision === 'transfer' && !a.transferTo) {
    reject(rejections.invalid, 'A transfer names the receiving department or agency', [{ pointer: '#/transferTo', detail: 'is required for a transfer' }]);
  }
  if (a.decision !== 'transfer' && a.transferTo) {
    reject(rejections.invalid, 'Only a transfer names a receiving department or agency', [{ pointer: '#/transferTo', detail: 'only for decision transfer' }]);
  }
}

export function checkDiagnosis(state: CaseState, d: Command<Diagnosis>): void {
  requireStage(state, ['diagnose'], 'record the diagnosis');
  if (state.catalogue?.needsHomeVisit && !d.homeVisit) {
    reject(rejections.invalid, `${state.catalogue.name} must be verified by a home visit: record its date, staff and notes`, [
      { pointer: '#/homeVisit', detail: 'is required for this affair' },
    ]);
  }
}

export function checkPlan(state: CaseState, p: Command<PlanInput>, now: number): void {
  requireStage(state, ['plan', 'execute', 'coordinate'], 'adopt a plan');
  if (p.tasks.length === 0) reject(rejections.invalid, 'A plan needs at least one task', [{ pointer: '#/tasks', detail: 'must not be empty' }]);
  const revising = (state.plans ?? []).length > 0 || state.awaitingRevision === true;
  if (revising && !p.reason) {
    reject(rejections.invalid, 'A revised plan states why it changes', [{ pointer: '#/reason', detail: 'is required for a revision' }]);
  }
  const known = new Map((state.tasks ?? []).map((t) => [t.id, t]));
  const seen = new Set<string>();
  p.tasks.forEach((t, i) => {
    if (t.id !== undefined) {
      if (!known.has(t.id)) reject(rejections.invalid, `Task ${t.id} is not in the current plan`, [{ pointer: `#/tasks/${i}/id`, detail: 'no such task' }]);
      if (seen.has(t.id)) reject(rejections.invalid, `Task ${t.id} is listed twice`, [{ pointer: `#/tasks/${i}/id`, detail: 'listed twice' }]);
      seen.add(t.id);
    }
    const existing = t.id === undefined ? undefined : known.get(t.id);
    // A settled task keeps its due time; a new or open task must be due in the future.
    if ((!existing || existing.status === 'open') && Date.parse(t.dueAt) <= now) {
      reject(rejections.invalid, `Task "${t.title}" is due in the past`, [{ pointer: `#/tasks/${i}/dueAt`, detail: 'must be in the future' }]);
    }
  });
}

export function checkTaskCompletion(state: CaseState, c: Command<TaskCompletion>): void {
  const task = (state.tasks ?? []).find((t) => t.id === c.taskId);
  if (!task) reject(rejections.unknownTask, `Task ${c.taskId} does not exist in this case`);
  requireStage(state, ['execute', 'coordinate'], 'complete a task');
  if (task.status !== 'open') reject(rejections.conflict, `Task ${c.taskId} is already ${task.status}`);
  if (c.outcome === 'not-done' && !c.note) {
    reject(rejections.invalid, 'A task that could not be done needs a note saying why', [{ pointer: '#/note', detail: 'is required when the outcome is not-done' }]);
  }
}

/** A partner's reply is about an open task assigned to it, while the case is being executed or coordinated. */
export function checkPartnerReply(state: CaseState, r: Command<PartnerReply>): void {
  const task = (state.tasks ?? []).find((t) => t.id === r.taskId);
  if (!task) reject(rejections.unknownTask, `Task ${r.taskId} does not exist in this case`);
  if (task.assignee.kind !== r.as.kind || task.assignee.id !== r.as.id) {
    reject(rejections.notAssignee, `Task ${r.taskId} is not assigned to ${r.as.kind} ${r.as.id}`);
  }
  requireStage(state, ['execute', 'coordinate'], `reply ${r.status} to a task`);
  if (task.status !== 'open') reject(rejections.conflict, `Task ${r.taskId} is already ${task.status}`);
  if (r.status === 'accepted' && task.acceptedAt) reject(rejections.conflict, `Task ${r.taskId} was already accepted at ${task.acceptedAt}`);
  if (r.status === 'declined' && !r.note) {
    reject(rejections.invalid, 'A decline says why, so the station can find another assignee', [{ pointer: '#/note', detail: 'is required when declining' }]);
  }
}

export function checkPause(state: CaseState, _p: Command<Pause>): void {
  requireStage(state, ['accept', 'diagnose', 'plan', 'execute', 'coordinate'], 'pause the clocks');
  if (state.paused) reject(rejections.conflict, `The case is already paused since ${state.paused.since}`);
}

export function checkResume(state: CaseState, r: Command<Resume>): void {
  requireOpen(state, 'resume');
  if (!state.paused) reject(rejections.conflict, 'The case is not paused');
  const missing = missingDocuments(state, r.documents);
  if (missing.length > 0 && state.acceptance?.decision === 'accept') {
    reject(rejections.invalid, `Still missing required documents: ${missing.join(', ')}`, [{ pointer: '#/documents', detail: `missing ${missing.join(', ')}` }]);
  }
}

export function checkClosure(state: CaseState, c: Command<Closure>): void {
  requireOpen(state, 'close the case');
  if (state.closure) reject(rejections.conflict, `The case is already closed as ${state.closure.resolution}; awaiting the evaluation`);
  const whistles = openWhistles(state).map((e) => e.whistleId);
  if (whistles.length) reject(rejections.conflict, `Whistle ${whistles.join(', ')} is still open: its departments report, or a supervisor closes it, first`);
  if (c.resolution === 'resolved') {
    requireStage(state, ['close'], 'close the case as resolved');
  } else {
    requireStage(state, ['diagnose', 'plan', 'execute', 'coordinate', 'close'], `close the case as ${c.resolution}`);
  }
  if (c.resolution === 'unresolved' && !c.reason) {
    reject(rejections.invalid, 'An unresolved closure states the reason', [{ pointer: '#/reason', detail: 'is required when unresolved' }]);
  }
  if (c.resolution === 'transferred' && !c.transferTo) {
    reject(rejections.invalid, 'A transfer names the receiving department or agency', [{ pointer: '#/transferTo', detail: 'is required when transferred' }]);
  }
  if (c.certificateNo && !(c.resolution === 'resolved' && state.catalogue?.issuesCertificate)) {
    reject(rejections.invalid, `${state.catalogue?.name ?? state.serviceCode} issues no certificate for this closure`, [
      { pointer: '#/certificateNo', detail: 'only for resolved affairs that issue a certificate' },
    ]);
  }
}

export function checkEvaluation(state: CaseState, _e: Command<Evaluation>): void {
  requireOpen(state, 'record an evaluation');
  if (!state.closure) reject(rejections.conflict, `The case is not closed yet (stage ${state.stage}); the resident evaluates the result`);
  if (state.evaluation) reject(rejections.conflict, `The evaluation is already recorded (${state.evaluation.rating})`);
}

export function checkExtension(state: CaseState, x: Command<DeadlineExtension>): void {
  requireOpen(state, 'extend a deadline');
  const clock = currentClock(state, x.clock);
  if (!clock) reject(rejections.invalid, `No running commitment ${x.clock}`, [{ pointer: '#/clock', detail: 'not a running commitment of this case' }]);
  if (Date.parse(x.newDueAt) <= Date.parse(clock.dueAt)) {
    reject(rejections.invalid, `The new deadline must be later than the current one (${clock.dueAt})`, [{ pointer: '#/newDueAt', detail: 'must be later than the current deadline' }]);
  }
}

/** The running (or paused) clock a client names: response, resolution or task:<id>. */
export function currentClock(state: CaseState, name: string) {
  return (state.clocks ?? [])
    .filter((c) => c.status === 'running' || c.status === 'paused')
    .find((c) => (c.kind === 'task' ? `task:${c.taskId}` === name : c.kind === name));
}

export function checkRepeat(state: CaseState, _r: Command<RepeatDemand>): void {
  requireOpen(state, 'link a repeated demand');
}
