import { WorkflowNotFoundError } from '@temporalio/client';
import { eq } from 'drizzle-orm';
import { cases } from '../db/schema';
import { caseWorkflowId } from '../temporal/client';
import { type CaseState, caseStateQuery } from '../workflows/case-messages';
import type { Principal } from './auth';
import { type CaseRow, caseIdPattern } from './case-view';
import type { AppDeps } from './deps';
import { problem } from './problems';
import { assertStationAccess } from './scope';

/** How long the API waits for a workflow to answer a query before serving the read model. */
const queryTimeoutMs = 3000;

export const caseNotFound = (id: string) => problem(404, `Case ${id} not found`, { type: 'case-not-found' });

const caseNotReady = (id: string) =>
  problem(503, `Case ${id} is being opened and no worker answered yet; try again shortly`, {
    type: 'case-not-ready',
    headers: { 'Retry-After': '2' },
  });

/** The read model's row of a case, or undefined (unknown id, or the workflow has not written it yet). */
export async function caseRow(deps: AppDeps, id: string): Promise<CaseRow | undefined> {
  if (!caseIdPattern.test(id)) return undefined;
  const [row] = await deps.database.db.select().from(cases).where(eq(cases.id, id));
  return row;
}

/** Live state from the workflow; undefined when no worker answers in time (the read model still does). */
export async function queryLiveState(deps: AppDeps, caseId: string): Promise<CaseState | 'not-found' | undefined> {
  const handle = deps.client.workflow.getHandle(caseWorkflowId(caseId));
  try {
    return await deps.client.connection.withDeadline(Date.now() + queryTimeoutMs, () => handle.query(caseStateQuery));
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return 'not-found';
    deps.log.warn({ caseId, err: (err as Error).message }, 'case query unanswered; serving the read model');
    return undefined;
  }
}

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
  try {
    // describe() needs no worker: it tells whether the workflow exists at all.
    await deps.client.connection.withDeadline(Date.now() + queryTimeoutMs, () => deps.client.workflow.getHandle(caseWorkflowId(id)).describe());
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) throw caseNotFound(id);
    throw problem(503, `Temporal did not answer about case ${id}; try again shortly`, {
      type: 'temporal-unavailable',
      headers: { 'Retry-After': '5' },
    });
  }
  throw caseNotReady(id);
}
