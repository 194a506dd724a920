import { setHandler, upsertSearchAttributes } from '@temporalio/workflow';
import { searchAttributes } from '../../temporal/search-attribute-keys';
import { deliveryReportSignal, type PartnerReply, partnerReplyUpdate, type TaskCompletion } from './messages';
import type { Command, DeliveryReport } from '../shared/messages';
import { checkPartnerReply, currentClock } from './rules';
import type { CaseRun, CaseUpdates } from './run';

/**
 * The case's side of its partners: their replies about tasks (accepted, declined, done), and notices that
 * could not reach them (dead letters reported by delivery workflows, see delivery.ts). A partner's "done"
 * completes the task as the station's completion does: handlers.ts hands in its `completeTask`.
 */
export function registerCasePartners(c: CaseRun, register: CaseUpdates, completeTask: CompleteTask): void {
  register(partnerReplyUpdate, checkPartnerReply, (c, r) => reply(c, r, completeTask));
  setHandler(deliveryReportSignal, (report) => c.onMessage(() => delivery(c, report)));
}

type CompleteTask = (c: CaseRun, t: Command<TaskCompletion>) => Promise<void>;

async function reply(c: CaseRun, r: Command<PartnerReply>, completeTask: CompleteTask): Promise<void> {
  const task = c.state.tasks!.find((t) => t.id === r.taskId)!;
  if (r.status === 'done') return completeTask(c, { taskId: r.taskId, outcome: 'done', note: r.note, actor: r.actor });
  if (r.status === 'accepted') {
    Object.assign(task, { acceptedAt: c.now(), acceptedBy: r.actor.id });
    await c.record('task.accepted', r.actor, { taskId: task.id, assignee: task.assignee, note: r.note });
    return;
  }
  // Declined: the task goes back to the station's case owner, who revises the plan with a new assignee.
  const declined = task.assignee;
  const owner = c.ownerAssignee();
  (task.declines ??= []).push({ assignee: declined, by: r.actor.id, at: c.now(), ...(r.note ? { note: r.note } : {}) });
  task.assignee = owner;
  delete task.acceptedAt;
  delete task.acceptedBy;
  const clock = currentClock(c.state, `task:${task.id}`);
  if (clock) clock.assignee = owner;
  await c.record('task.declined', r.actor, { taskId: task.id, assignee: declined, note: r.note, returnedTo: owner });
  await c.notify(owner, 'task.declined', { taskId: task.id, title: task.title, by: declined, note: r.note });
}

/** A dead letter marks the case "partner unreachable" until every such notice got through on a retry. */
async function delivery(c: CaseRun, report: DeliveryReport): Promise<void> {
  const unreachable = (c.state.unreachable ??= []);
  const known = unreachable.findIndex((u) => u.notificationId === report.notificationId);
  const system = { id: `notification-${report.notificationId}`, role: 'system' as const };
  const data = { notificationId: report.notificationId, recipient: report.recipient, kind: report.kind, round: report.round, channels: report.channels };
  if (report.outcome === 'unreachable') {
    if (known >= 0) return;
    unreachable.push({ notificationId: report.notificationId, recipient: report.recipient, kind: report.kind, since: c.now() });
    await c.record('partner.unreachable', system, { ...data, lastError: report.lastError });
    // The subdistrict's supervisors find it in their stuck list, and may retry the delivery.
    await c.notify(c.supervisors(), 'partner.unreachable', data);
    await c.notify(c.ownerAssignee(), 'partner.unreachable', data);
  } else {
    if (known < 0) return;
    unreachable.splice(known, 1);
    await c.record('partner.reached', system, data);
  }
  upsertSearchAttributes([{ key: searchAttributes.partnerUnreachable, value: unreachable.length > 0 }]);
}
