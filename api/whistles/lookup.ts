import { and, asc, eq } from 'drizzle-orm';
import type { Db } from '../../db/client';
import { cases, whistleCalls, whistles } from '../../db/schema';
import { whistleWorkflowId } from '../../temporal/client';
import { type WhistleState, whistleStateQuery } from '../../workflows/whistle/messages';
import type { Principal } from '../http/auth';
import { assertWorkflowExists, notReady, queryWorkflow } from '../http/queries';
import type { AppDeps } from '../http/deps';
import { problem } from '../http/problems';
import type { UpdateTarget } from '../http/updates';
import { type CallRow, whistleIdPattern, type WhistleRow } from './view';

/**
 * Finding a whistle and deciding who may see it or act on it: staff of its station, supervisors of its
 * subdistrict, admins, and the departments it calls (any call, released ones included).
 */

export const whistleNotFound = (id: string) => problem(404, `Whistle ${id} not found`, { type: 'whistle-not-found' });

/** A whistle's own workflow as the target of an update (runUpdate). */
export const whistleTarget = (id: string): UpdateTarget => ({
  workflowId: whistleWorkflowId(id),
  subject: `Whistle ${id}`,
  gone: { detail: `Whistle ${id} is finished: every rating is in or its rating window has closed`, type: 'whistle-finished' },
});

export async function whistleRow(db: Db, id: string): Promise<WhistleRow | undefined> {
  if (!whistleIdPattern.test(id)) return undefined;
  const [row] = await db.select().from(whistles).where(eq(whistles.id, id));
  return row;
}

export function callRows(db: Db, whistleId: string): Promise<CallRow[]> {
  return db.select().from(whistleCalls).where(eq(whistleCalls.whistleId, whistleId)).orderBy(asc(whistleCalls.calledAt), asc(whistleCalls.departmentId));
}

async function calledInReadModel(db: Db, whistleId: string, departmentId: string): Promise<boolean> {
  const rows = await db
    .select({ d: whistleCalls.departmentId })
    .from(whistleCalls)
    .where(and(eq(whistleCalls.whistleId, whistleId), eq(whistleCalls.departmentId, departmentId)));
  return rows.length > 0;
}

/**
 * 403 unless the principal may see the whistle. A department must be called by it: `called` tells
 * (from the read model, or from the live state for a whistle whose rows are not written yet).
 */
export async function assertWhistleAccess(
  p: Principal,
  w: { id: string; stationId: string; subdistrictId: string },
  called: (departmentId: string) => boolean | Promise<boolean>,
): Promise<void> {
  if (p.role === 'admin') return;
  if (p.role === 'staff' && p.stationId === w.stationId) return;
  if (p.role === 'supervisor' && p.subdistrictId === w.subdistrictId) return;
  if (p.role === 'department') {
    if (p.departmentId && (await called(p.departmentId))) return;
    throw problem(403, `Department ${p.departmentId ?? '(none)'} is not called by whistle ${w.id}`, { type: 'department-not-called' });
  }
  const scope = p.role === 'staff' ? `station ${w.stationId}` : `subdistrict ${w.subdistrictId}`;
  throw problem(403, `Your ${p.role} token does not cover whistle ${w.id} (${scope})`, { type: 'forbidden-scope' });
}

export const queryWhistle = (deps: AppDeps, id: string) => queryWorkflow(deps, whistleWorkflowId(id), whistleStateQuery, { whistleId: id });

/**
 * A whistle to read: authorised on its row before the workflow is asked; then the live state when the
 * workflow answers, else the read model's rows. No row yet (just blown): the live state alone, authorised
 * on itself; 503 while neither answers, 404 when neither knows it.
 */
export async function whistleToRead(
  deps: AppDeps,
  p: Principal,
  id: string,
): Promise<{ state: WhistleState } | { row: WhistleRow; calls: CallRow[] }> {
  if (!whistleIdPattern.test(id)) throw whistleNotFound(id);
  const { db } = deps.database;
  const row = await whistleRow(db, id);
  if (row) await assertWhistleAccess(p, row, (d) => calledInReadModel(db, id, d));
  // Its case erased by retention: the read model alone (the workflow's state still has the summary and location).
  if (row && (await caseErased(db, row.caseId))) return { row, calls: await callRows(db, id) };
  const live = await queryWhistle(deps, id);
  if (live !== undefined && live !== 'not-found') {
    if (!row) await assertWhistleAccess(p, { ...live, id }, (d) => live.calls.some((c) => c.departmentId === d));
    return { state: live };
  }
  if (row) return { row, calls: await callRows(db, id) };
  if (live === undefined) throw notReady(`Whistle ${id}`, 'whistle-not-ready');
  throw whistleNotFound(id);
}

async function caseErased(db: Db, caseId: string): Promise<boolean> {
  const [c] = await db.select({ erasedAt: cases.erasedAt }).from(cases).where(eq(cases.id, caseId));
  return Boolean(c?.erasedAt);
}

/**
 * A whistle to act on: its row, after checking the caller's scope (a department: that it is called) —
 * before Temporal is asked to change anything. A whistle whose row is not written yet answers 503.
 */
export async function whistleToActOn(deps: AppDeps, p: Principal, id: string): Promise<WhistleRow> {
  const { db } = deps.database;
  const row = await whistleRow(db, id);
  if (row) {
    await assertWhistleAccess(p, row, (d) => calledInReadModel(db, id, d));
    return row;
  }
  if (!whistleIdPattern.test(id)) throw whistleNotFound(id);
  await assertWorkflowExists(deps, whistleWorkflowId(id), whistleNotFound(id), `whistle ${id}`);
  throw notReady(`Whistle ${id}`, 'whistle-not-ready');
}
