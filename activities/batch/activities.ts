import { Context } from '@temporalio/activity';
import { type Client, WorkflowNotFoundError, WorkflowUpdateFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { and, asc, eq, inArray, sql } from 'drizzle-orm';
import { recordOnTimeline } from '../../db/audit';
import type { Db } from '../../db/client';
import { caseEvents, notifications } from '../../db/schema';
import { caseWorkflowId, deliveryWorkflowId } from '../../temporal/workflow-ids';
import { type BatchCommand, type BatchItemInput, type BatchItemOutcome, batchUpdateId } from '../../workflows/batch/messages';
import { reassignUpdate, urgeUpdate } from '../../workflows/case/messages';
import { retryDeliveryUpdate } from '../../workflows/delivery/messages';
import type { Actor } from '../../workflows/shared/messages';

export interface BatchItemTask {
  batchId: string;
  actor: Actor;
  command: BatchCommand;
  item: BatchItemInput;
}

/** The workflow has ended (a closed case's, a delivery kept past DEAD_LETTER_KEEP): a refusal, never retried. */
const ended = 'WorkflowEnded';

/**
 * One update sent on the batch's behalf, as the API would send it for one request: a refusal (the case's
 * validator or rules said no, the workflow has ended) is the item's outcome; anything else — Temporal away,
 * a timeout — is thrown, and the activity is retried with the same update id.
 */
async function sendUpdate(client: Client, run: () => Promise<unknown>): Promise<BatchItemOutcome> {
  const ctx = Context.current();
  // Heartbeats say this worker is alive; a worker killed mid-update is noticed within the heartbeat timeout.
  const beat = setInterval(() => ctx.heartbeat(), 1000);
  try {
    await client.connection.withAbortSignal(ctx.cancellationSignal, run);
    return { status: 'applied' };
  } catch (err) {
    if (err instanceof WorkflowUpdateFailedError) {
      const failure = err.cause;
      return { status: 'refused', detail: failure?.message || err.message, ...(failure instanceof ApplicationFailure && failure.type ? { reason: failure.type } : {}) };
    }
    if (err instanceof WorkflowNotFoundError) return { status: 'refused', detail: 'Its workflow has ended', reason: ended };
    throw err;
  } finally {
    clearInterval(beat);
  }
}

/** A batch's items: each one update of one case (or one per dead letter of the case, for a retry), keyed by the batch. */
export function batchActivities(db: Db) {
  return {
    async applyBatchItem({ batchId, actor, command, item }: BatchItemTask): Promise<BatchItemOutcome> {
      const { client } = Context.current();
      const caseHandle = client.workflow.getHandle(caseWorkflowId(item.caseId));
      const updateId = batchUpdateId(batchId, item.caseId);
      // Temporal applies an update id once per run: a case that continued as new since a crashed attempt would
      // take it again, so the timeline (written before the update answers) is asked first.
      if (command.operation !== 'retry' && (await appliedBefore(db, item.caseId, batchId))) return { status: 'applied', detail: 'Applied by an earlier attempt' };
      switch (command.operation) {
        case 'urge': {
          const target = command.target ?? 'owner';
          const taskId = target === 'task' ? (item.taskId ?? command.taskId) : undefined;
          const departmentId = target === 'department' ? (item.departmentId ?? command.departmentId) : undefined;
          const args = [{ target, ...(taskId ? { taskId } : {}), ...(departmentId ? { departmentId } : {}), reason: command.reason, batchId, actor }] as const;
          return sendUpdate(client, () => caseHandle.executeUpdate(urgeUpdate, { args: [...args], updateId }));
        }
        case 'reassign': {
          const taskId = item.taskId ?? command.taskId;
          const args = [{ ...(taskId ? { taskId } : {}), to: command.to!, reason: command.reason, batchId, actor }] as const;
          return sendUpdate(client, () => caseHandle.executeUpdate(reassignUpdate, { args: [...args], updateId }));
        }
        case 'retry':
          return retryDeadLetters(db, client, { batchId, actor, caseId: item.caseId, reason: command.reason });
      }
    },
  };
}

/** The case's timeline already has this batch's change (an urge or a reassignment naming the batch). */
async function appliedBefore(db: Db, caseId: string, batchId: string): Promise<boolean> {
  const [found] = await db
    .select({ id: caseEvents.id })
    .from(caseEvents)
    .where(and(eq(caseEvents.caseId, caseId), inArray(caseEvents.type, ['case.urged', 'case.reassigned', 'task.reassigned']), sql`${caseEvents.data}->>'batchId' = ${batchId}`))
    .limit(1);
  return found !== undefined;
}

/**
 * Retries every dead letter of the case (its notices no channel reached), each its own delivery's update
 * keyed by the batch, case and notice. Applied when any retry started; refused when there was none to retry
 * or every one was refused.
 */
async function retryDeadLetters(db: Db, client: Client, { batchId, actor, caseId, reason }: { batchId: string; actor: Actor; caseId: string; reason: string }): Promise<BatchItemOutcome> {
  const letters = await db
    .select({ id: notifications.notificationId })
    .from(notifications)
    .where(and(eq(notifications.caseId, caseId), eq(notifications.deliveryStatus, 'unreachable')))
    .orderBy(asc(notifications.createdAt), asc(notifications.id));
  if (letters.length === 0) return { status: 'refused', detail: `Case ${caseId} has no notice that reached nobody (dead letter) to retry`, reason: 'NothingToRetry' };
  const retried: string[] = [];
  const refused: string[] = [];
  for (const { id } of letters) {
    const handle = client.workflow.getHandle(deliveryWorkflowId(id));
    const updateId = batchUpdateId(batchId, caseId, id);
    const outcome = await sendUpdate(client, () => handle.executeUpdate(retryDeliveryUpdate, { args: [{ actor }], updateId }));
    if (outcome.status === 'applied') {
      // The case's timeline keeps who retried it and why (once: a retried attempt writes the same key).
      await recordOnTimeline(db, { caseId, key: `retry:${id}:${updateId}`, type: 'delivery.retried', actor, data: { notificationId: id, reason, batchId } });
      retried.push(id);
    }
    else refused.push(`${id}: ${outcome.detail ?? 'refused'}`);
  }
  if (retried.length === 0) return { status: 'refused', detail: refused.join('; '), reason: 'DeliveryConflict' };
  return { status: 'applied', detail: `Retried ${retried.length} notice(s): ${retried.join(', ')}${refused.length ? `; refused ${refused.join('; ')}` : ''}` };
}
