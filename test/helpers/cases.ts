import { WorkflowUpdateFailedError, type WorkflowHandle } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { and, asc, eq, isNull } from 'drizzle-orm';
import { caseEvents, notifications } from '../../db/schema';
import { caseWorkflowId } from '../../temporal/client';
import { caseWorkflow } from '../../workflows/case/workflow';
import { type CaseState, caseStateQuery, type OpenCaseInput } from '../../workflows/case/messages';
import type { Actor, Command } from '../../workflows/shared/messages';
import { caseInput } from './fixtures';
import { eventually, type Stack } from './stack';

export const staff: Actor = { id: 'wang', role: 'staff' };
export const supervisor: Actor = { id: 'chen', role: 'supervisor' };

export type CaseHandle = WorkflowHandle<typeof caseWorkflow>;

/** Starts a case workflow directly (as the API does) and waits until the read model has it. */
export async function openCase(stack: Stack, caseId: string, overrides: Partial<OpenCaseInput> = {}): Promise<CaseHandle> {
  const handle = await stack.client.workflow.start(caseWorkflow, {
    taskQueue: stack.temporal.taskQueue,
    workflowId: caseWorkflowId(caseId),
    args: [caseInput(caseId, { openedAt: new Date().toISOString(), ...overrides })],
  });
  // Recorded, with its commitments set (the first event after opening) in the read model.
  await eventually(async () => (await handle.query(caseStateQuery)).recorded && (await timeline(stack, caseId)).length >= 2, 20_000, `${caseId} to be recorded`);
  return handle;
}

/** Runs an update as `actor` and returns the case as the update answered it. */
export function act<T>(handle: CaseHandle, update: { name: string }, body: T, actor: Actor = staff): Promise<CaseState> {
  return handle.executeUpdate(update as never, { args: [{ ...body, actor } as Command<T>] as never }) as Promise<CaseState>;
}

/** The refusal an update met: its rejection type and message. */
export async function refusal(p: Promise<unknown>): Promise<{ type: string | null | undefined; message: string }> {
  try {
    await p;
  } catch (err) {
    if (err instanceof WorkflowUpdateFailedError && err.cause instanceof ApplicationFailure) return { type: err.cause.type, message: err.cause.message };
    throw err;
  }
  throw new Error('the update was not refused');
}

/** The case's own events (without its whistles'), in sequence order. */
export async function timeline(stack: Stack, caseId: string) {
  return stack.database.db
    .select()
    .from(caseEvents)
    .where(and(eq(caseEvents.caseId, caseId), isNull(caseEvents.whistleId)))
    .orderBy(asc(caseEvents.seq));
}

/** One whistle's events, in its own sequence order. */
export async function whistleTimeline(stack: Stack, whistleId: string) {
  return stack.database.db.select().from(caseEvents).where(eq(caseEvents.whistleId, whistleId)).orderBy(asc(caseEvents.seq));
}

export async function notificationsOf(stack: Stack, caseId: string) {
  return stack.database.db.select().from(notifications).where(eq(notifications.caseId, caseId)).orderBy(asc(notifications.id));
}

/** The timeline is whole: sequence numbers 0..n, each once. */
export function expectWholeTimeline(events: { seq: number }[]): void {
  const seqs = events.map((e) => e.seq);
  if (seqs.join(',') !== seqs.map((_, i) => i).join(',')) throw new Error(`timeline has gaps or duplicates: ${seqs.join(',')}`);
}

export const inMinutes = (m: number) => new Date(Date.now() + m * 60_000).toISOString();
