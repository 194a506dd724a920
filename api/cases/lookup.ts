import { eq } from 'drizzle-orm';
import { cases } from '../../db/schema';
import { caseWorkflowId } from '../../temporal/client';
import { type CaseState, caseStateQuery } from '../../workflows/case/messages';
import type { Principal } from '../http/auth';
import { type CaseRow, caseIdPattern } from './view';
import type { AppDeps } from '../http/deps';
import { problem } from '../http/problems';
import { assertWorkflowExists, notReady, queryWorkflow } from '../http/queries';
import { assertStationAccess } from './scope';

export const caseNotFound = (id: string) => problem(404, `Case ${id} not found`, { type: 'case-not-found' });

const caseNotReady = (id: string) => notReady(`Case ${id}`, 'case-not-ready');

/** The read model's row of a case, or undefined (unknown id, or the workflow has not written it yet). */
export async function caseRow(deps: AppDeps, id: string): Promise<CaseRow | undefined> {
  if (!caseIdPattern.test(id)) return undefined;
  const [row] = await deps.database.db.select().from(cases).where(eq(cases.id, id));
  return row;
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
  // Erased by retention: the read model alone (a query would replay the history, the resident in it).
  if (row?.erasedAt) return { row };
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
