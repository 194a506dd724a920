import { WorkflowNotFoundError } from '@temporalio/client';
import type { QueryDefinition } from '@temporalio/common';
import { eq } from 'drizzle-orm';
import { cases } from '../../db/schema';
import { caseWorkflowId } from '../../temporal/client';
import { type CaseState, caseStateQuery } from '../../workflows/case/messages';
import type { Principal } from '../http/auth';
import { type CaseRow, caseIdPattern } from './view';
import type { AppDeps } from '../http/deps';
import { problem } from '../http/problems';
import { assertStationAccess } from '../http/scope';

/** How long the API waits for a workflow to answer a query before serving the read model. */
const queryTimeoutMs = 3000;

export const caseNotFound = (id: string) => problem(404, `Case ${id} not found`, { type: 'case-not-found' });

/** 503 for a case (or whistle) whose workflow exists but whose read-model row is not written yet. */
export const notReady = (subject: string, type: string) =>
  problem(503, `${subject} is being opened and no worker answered yet; try again shortly`, { type, headers: { 'Retry-After': '2' } });
const caseNotReady = (id: string) => notReady(`Case ${id}`, 'case-not-ready');

/** The read model's row of a case, or undefined (unknown id, or the workflow has not written it yet). */
export async function caseRow(deps: AppDeps, id: string): Promise<CaseRow | undefined> {
  if (!caseIdPattern.test(id)) return undefined;
  const [row] = await deps.database.db.select().from(cases).where(eq(cases.id, id));
  return row;
}

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

/** Live state from the workflow; undefined when no worker answers in time (the read model still does). */
export const queryLiveState = (deps: AppDeps, caseId: string): Promise<CaseState | 'not-found' | undefined> =>
  queryWorkflow(deps, caseWorkflowId(caseId), caseStateQuery, { caseId });

/**
 * A case to read: the row (authorised on its station before the workflow is asked anything) and the
 * live state when the workflow answers. No row: the workflow alone may know the case (just opened) — then
 * the caller's scope is checked on the live state; 503 while neither answers; 404 when neither knows it.
 */
export async function caseToRead(deps: AppDeps, p: Principal, id: string): Promise<{ row?: CaseRow; state?: CaseState }> {
  if (!caseIdPattern.test(id)) throw caseNotFound(id);
  const row = await caseRow(deps, id);
  if (row) await assertStationAccess(deps.database.db, p, row.stationId);
  const live = await queryLiveState(deps, id);
  if (row) return { row, state: live === 'not-found' ? undefined : live };
  if (live === undefined) throw caseNotReady(id);
  if (live === 'not-found') throw caseNotFound(id);
  await assertStationAccess(deps.database.db, p, live.stationId);
  return { state: live };
}

/**
 * A case to act on: its read-model row, after checking the caller may act on its station — before
 * Temporal is contacted with any change. A case whose row is not written yet answers 503 (retry shortly).
 */
export async function caseToActOn(deps: AppDeps, p: Principal, id: string): Promise<CaseRow> {
  const row = await caseRow(deps, id);
  if (row) {
    await assertStationAccess(deps.database.db, p, row.stationId);
    return row;
  }
  if (!caseIdPattern.test(id)) throw caseNotFound(id);
  await assertWorkflowExists(deps, caseWorkflowId(id), caseNotFound(id), `case ${id}`);
  throw caseNotReady(id);
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
