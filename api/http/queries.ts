import { WorkflowNotFoundError } from '@temporalio/client';
import type { QueryDefinition } from '@temporalio/common';
import type { AppDeps } from './deps';
import { problem } from './problems';

/**
 * Asking a workflow about itself, for any concept's lookup: a query within a deadline (the read model
 * answers when no worker does), whether it exists at all, and the 503 while its read-model row is not written.
 */

/** How long the API waits for a workflow to answer a query before serving the read model. */
const queryTimeoutMs = 3000;

/** 503 for a case, a whistle, … whose workflow exists but whose read-model row is not written yet. */
export const notReady = (subject: string, type: string) =>
  problem(503, `${subject} is being opened and no worker answered yet; try again shortly`, { type, headers: { 'Retry-After': '2' } });

/**
 * A workflow's answer to a query within the deadline: 'not-found' when no such workflow exists, undefined
 * when no worker answers in time (the read model still does). `about` names it in the log (ids only).
 */
export async function queryWorkflow<T>(deps: AppDeps, workflowId: string, query: QueryDefinition<T>, about: Record<string, string>): Promise<T | 'not-found' | undefined> {
  const handle = deps.client.workflow.getHandle(workflowId);
  try {
    return await deps.client.connection.withDeadline(Date.now() + queryTimeoutMs, () => handle.query(query));
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return 'not-found';
    deps.log.warn({ ...about, err: (err as Error).message }, `${query.name} query unanswered; serving the read model`);
    return undefined;
  }
}

/**
 * For a row the read model does not have (yet): throws `notFound` when Temporal has no such workflow,
 * 503 when Temporal does not answer, and returns when the workflow exists (its row is being written).
 */
export async function assertWorkflowExists(deps: AppDeps, workflowId: string, notFound: Error, what: string): Promise<void> {
  try {
    // describe() needs no worker: it tells whether the workflow exists at all.
    await deps.client.connection.withDeadline(Date.now() + queryTimeoutMs, () => deps.client.workflow.getHandle(workflowId).describe());
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) throw notFound;
    throw problem(503, `Temporal did not answer about ${what}; try again shortly`, {
      type: 'temporal-unavailable',
      headers: { 'Retry-After': '5' },
    });
  }
}
