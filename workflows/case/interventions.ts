import {
  type CaseState,
  type Reassignment,
  reassignUpdate,
  rejections,
  type Urge,
  urgeUpdate,
  type Withdrawal,
  withdrawalResolution,
  withdrawUpdate,
} from './messages';
import type { Assignee, Command } from '../shared/messages';
import { openTasks, openWhistles } from './facts';
import { currentClock, reject } from './rules';
import type { CaseRun, CaseUpdates } from './run';
import { stopClock } from '../shared/clocks';

/**
 * Supervisors' interventions on a case: urge (督办) a responsible party, reassign the case's owner or a
 * task, withdraw or cancel the case. Each is an update with its rules checked in the validator, so an
 * impossible one is refused (409) before it reaches the history, and each is recorded in the timeline
 * with the supervisor as its actor. Extending a commitment (handlers.ts), retrying a delivery (the
 * delivery workflow) and replacing a whistle's department (the whistle workflow) live with their concepts.
 */
export function registerCaseInterventions(c: CaseRun, register: CaseUpdates): void {
  register(urgeUpdate, checkUrge, urge);
  register(reassignUpdate, checkReassignment, reassign);
  register(withdrawUpdate, checkWithdrawal, withdraw);
}

const same = (a: Assignee, b: Assignee) => a.kind === b.kind && a.id === b.id;
const ownerOf = (s: CaseState): Assignee => ({ kind: 'staff', id: s.owner ?? s.openedBy.id });

/** Interventions act on a case that is still running: not ended, not withdrawn. */
function requireRunning(s: CaseState, what: string): void {
  if (s.withdrawal) reject(rejections.conflict, `Cannot ${what}: the case was ${withdrawalResolution(s.withdrawal.kind)} (${s.withdrawal.kind})`);
  if (s.stage === 'closed') reject(rejections.conflict, `Cannot ${what}: the case is closed`);
}

/** The open task a command names (404 when the case has no such task, 409 when it is settled). */
function openTask(s: CaseState, taskId: string | undefined, what: string) {
  if (taskId === undefined) reject(rejections.invalid, `Name the task to ${what}`, [{ pointer: '#/taskId', detail: 'is required' }]);
  const task = (s.tasks ?? []).find((t) => t.id === taskId);
  if (!task) reject(rejections.unknownTask, `Task ${taskId} does not exist in this case`);
  if (task.status !== 'open') reject(rejections.conflict, `Cannot ${what}: task ${taskId} is already ${task.status}`);
  return task;
}

/* ---------- urge (督办) ---------- */

/** Who is urged, and on which task or whistle: the party must have a move to make on this case now. */
function urged(s: CaseState, u: Urge): { party: Assignee; taskId?: string; whistleId?: string; dueAt?: string } {
  if (u.target === 'owner') {
    const resolution = (s.clocks ?? []).find((k) => k.kind === 'resolution' && (k.status === 'running' || k.status === 'paused'));
    return { party: ownerOf(s), ...(resolution ? { dueAt: resolution.dueAt } : {}) };
  }
  if (u.target === 'task') {
    const task = openTask(s, u.taskId, 'urge its assignee');
    return { party: task.assignee, taskId: task.id, dueAt: task.dueAt };
  }
  if (u.departmentId === undefined) reject(rejections.invalid, 'Name the department to urge', [{ pointer: '#/departmentId', detail: 'is required' }]);
  const whistle = openWhistles(s).find((e) => (e.departments ?? []).includes(u.departmentId!));
  if (!whistle) reject(rejections.conflict, `Department ${u.departmentId} is not called by an open whistle of this case`);
  return { party: { kind: 'department', id: u.departmentId }, whistleId: whistle.whistleId };
}

export function checkUrge(s: CaseState, u: Command<Urge>): void {
  requireRunning(s, 'urge');
  urged(s, u);
}

async function urge(c: CaseRun, u: Command<Urge>): Promise<void> {
  const s = c.state;
  const { party, taskId, whistleId, dueAt } = urged(s, u);
  const urges = (s.urges ??= []);
  const count = urges.filter((r) => same(r.party, party)).length + 1;
  const at = c.now();
  urges.push({ target: u.target, party, ...(taskId ? { taskId } : {}), ...(whistleId ? { whistleId } : {}), reason: u.reason, count, by: u.actor.id, at });
  // An urge is not the case's progress: an idle case stays idle until its party moves.
  await c.record('case.urged', u.actor, { target: u.target, party, taskId, whistleId, reason: u.reason, count, batchId: u.batchId }, { progress: false });
  await c.notify(party, 'case.urged', { target: u.target, taskId, whistleId, reason: u.reason, count, dueAt });
}

/* ---------- reassignment: the case's owner, or a task's assignee ---------- */

export function checkReassignment(s: CaseState, r: Command<Reassignment>): void {
  requireRunning(s, 'reassign');
  if (r.taskId === undefined) {
    if (r.to.kind !== 'staff') reject(rejections.invalid, 'A case is owned by a staff member', [{ pointer: '#/to/kind', detail: 'must be staff when no task is named' }]);
    if (same(ownerOf(s), r.to)) reject(rejections.conflict, `Staff ${r.to.id} already owns the case`);
    return;
  }
  const task = openTask(s, r.taskId, 'reassign it');
  if (same(task.assignee, r.to)) reject(rejections.conflict, `Task ${task.id} is already assigned to ${r.to.kind} ${r.to.id}`);
}

async function reassign(c: CaseRun, r: Command<Reassignment>): Promise<void> {
  const s = c.state;
  if (r.taskId === undefined) {
    const from = ownerOf(s);
    s.owner = r.to.id;
    // The case's own commitments follow their owner; tasks keep their assignees.
    for (const clock of c.clocks) if (clock.kind !== 'task' && same(clock.assignee, from)) clock.assignee = r.to;
    await c.record('case.reassigned', r.actor, { from: from.id, to: r.to.id, reason: r.reason, batchId: r.batchId });
    await c.notify(r.to, 'case.reassigned', { from: from.id, to: r.to.id });
    c.clocksChanged();
    return;
  }
  const task = s.tasks!.find((t) => t.id === r.taskId)!;
  const from = task.assignee;
  task.assignee = r.to;
  delete task.acceptedAt;
  delete task.acceptedBy;
  const clock = currentClock(s, `task:${task.id}`);
  if (clock) clock.assignee = r.to;
  await c.record('task.reassigned', r.actor, { taskId: task.id, from, to: r.to, reason: r.reason, batchId: r.batchId });
  await c.notify(from, 'task.reassigned', { taskId: task.id, from, to: r.to });
  await c.notify(r.to, 'task.assigned', { taskId: task.id, title: task.title, dueAt: task.dueAt, serviceCode: s.serviceCode });
  c.clocksChanged();
}

/* ---------- withdrawal: the case ends without a closure ---------- */

export function checkWithdrawal(s: CaseState, w: Command<Withdrawal>): void {
  requireRunning(s, 'withdraw the case');
  if (s.closure) reject(rejections.conflict, `The case is already closed as ${s.closure.resolution}; awaiting the evaluation`);
  const whistles = openWhistles(s).map((e) => e.whistleId);
  if (whistles.length) reject(rejections.conflict, `Whistle ${whistles.join(', ')} is still open: its departments report, or a supervisor closes it, first`);
  if (w.kind === 'duplicate' && !w.duplicateOf) {
    reject(rejections.invalid, 'A duplicate names the case it duplicates', [{ pointer: '#/duplicateOf', detail: 'is required for a duplicate' }]);
  }
  if (w.kind !== 'duplicate' && w.duplicateOf) {
    reject(rejections.invalid, 'Only a duplicate names the case it duplicates', [{ pointer: '#/duplicateOf', detail: 'only for kind duplicate' }]);
  }
  if (w.duplicateOf === s.caseId) reject(rejections.invalid, 'A case cannot duplicate itself', [{ pointer: '#/duplicateOf', detail: 'must be another case' }]);
}

async function withdraw(c: CaseRun, w: Command<Withdrawal>): Promise<void> {
  const s = c.state;
  const now = c.now();
  const cancelled = openTasks(s);
  for (const t of cancelled) t.status = 'cancelled';
  for (const clock of c.clocks) if (clock.status === 'running' || clock.status === 'paused') stopClock(clock, now, 'cancelled');
  delete s.paused;
  const { actor, ...withdrawal } = w;
  s.withdrawal = { ...withdrawal, by: actor.id, at: now };
  const resolution = withdrawalResolution(w.kind);
  await c.record('case.withdrawn', actor, { kind: w.kind, reason: w.reason, duplicateOf: w.duplicateOf, resolution, cancelledTasks: cancelled.map((t) => t.id) });
  // Whoever still carries a task of the case hears that it need not be done.
  for (const t of cancelled) if (t.assignee.kind !== 'staff') await c.notify(t.assignee, 'case.withdrawn', { resolution, kind: w.kind, taskId: t.id });
  c.clocksChanged();
}
