import crypto from 'node:crypto';
import { auditActor, recordAudit } from '../audit/record';
import { isGrpcServiceError, ServiceError, WorkflowExecutionAlreadyStartedError, WorkflowNotFoundError } from '@temporalio/client';
import { and, eq, inArray } from 'drizzle-orm';
import { Router } from 'express';
import { isHttpError } from 'http-errors';
import { z } from 'zod';
import { cases, departments, partners } from '../../db/schema';
import { workflowUiUrl } from '../../temporal/client';
import type { Db } from '../../db/client';
import {
  batchOperations,
  batchItemStatuses,
  type BatchInput,
  type BatchItemInput,
  batchProgressQuery,
  type BatchState,
  type BatchWorkflow,
  batchWorkflowId,
  batchWorkflowType,
  maxBatchItems,
} from '../../workflows/batch/messages';
import { urgeTargets } from '../../workflows/case/messages';
import { principalOf, type Principal } from '../http/auth';
import type { AppDeps } from '../http/deps';
import { problemResponses, registry } from '../http/openapi';
import { problem } from '../http/problems';
import { id } from '../http/schemas';
import { text } from '../http/text';
import { callTemporal, defaultUpdateTimeoutMs, IdempotencyKey, idempotencyKeyOf } from '../http/updates';
import { parseOr400 } from '../http/validation';
import { Assignee } from '../cases/commands';
import { visibleStations } from '../cases/scope';
import { CaseId } from '../cases/view';
import { findStuck } from './stuck';
import { scopedFilter, SummaryQuery, thresholdsOf } from './filter';

/**
 * Batch interventions (issue 14): one urge, reassignment or retry applied to many cases in one request, run
 * by a workflow of its own (workflows/batch) that keeps every case's result. The cases are fixed when the
 * batch is submitted — named, or the stuck query's filter resolved within the caller's scope — and every one
 * must be in the caller's scope, else nothing starts (403/404, like a single action). Each case's update is
 * keyed by the batch, so a crash mid-batch repeats nothing; an Idempotency-Key names the batch itself.
 */

const time = z.iso.datetime({ offset: true });
const batchIdPattern = /^[0-9a-f]{32}$/;
const BatchId = z.string().regex(batchIdPattern).meta({ description: 'The batch id (32 hex digits)' });

const ItemBody = z
  .strictObject({
    caseId: CaseId,
    taskId: id.optional().meta({ description: 'urge (target task), reassign: the task of this case' }),
    departmentId: id.optional().meta({ description: 'urge (target department): the department urged on this case' }),
  })
  .meta({ id: 'BatchItemInput' });

/**
 * The rules the refinement below applies across fields, as JSON Schema for the document (so a request valid
 * per the document is one the API takes): the cases named one way; per operation, the fields it takes and
 * when a department or task must be named.
 */
const has = (field: string, schema: object = {}) => ({ required: [field], properties: { [field]: schema } });
const batchRules = {
  allOf: [
    { oneOf: [has('caseIds'), has('items'), has('filter')] },
    {
      oneOf: [
        {
          properties: { operation: { const: 'urge' }, to: false },
          anyOf: [{ properties: { target: { not: { const: 'department' } } } }, has('departmentId'), has('filter', has('department')), has('items', { items: has('departmentId') })],
        },
        {
          properties: { operation: { const: 'reassign' }, target: false, departmentId: false },
          required: ['to'],
          anyOf: [{ properties: { to: { properties: { kind: { const: 'staff' } } } } }, has('taskId'), has('items', { items: has('taskId') })],
        },
        {
          properties: { operation: { const: 'retry' }, target: false, to: false, taskId: false, departmentId: false, items: { items: { properties: { taskId: false, departmentId: false } } } },
        },
      ],
    },
  ],
};

export const BatchBody = z
  .strictObject({
    operation: z.enum(batchOperations),
    reason: text(1000).meta({ description: "Why: the urge's or reassignment's reason, recorded in every case's timeline; kept with a retry batch" }),
    caseIds: z.array(CaseId).min(1).max(maxBatchItems).optional().meta({ description: 'The cases, by id (each once)', uniqueItems: true }),
    items: z.array(ItemBody).min(1).max(maxBatchItems).optional().meta({ description: 'The cases with what differs per case (a task, a department)' }),
    filter: SummaryQuery.optional().meta({ description: "The stuck query's filter (GET /api/supervision/stuck): its cases now, within your scope" }),
    target: z.enum(urgeTargets).optional().meta({ description: 'urge: whom (default owner)' }),
    taskId: id.optional().meta({ description: 'urge (target task), reassign: the task, where an item names none; reassign without one: the owner' }),
    departmentId: id.optional().meta({ description: 'urge (target department): the department, where an item names none' }),
    to: Assignee.optional().meta({ description: "reassign: the new owner (staff) or the task's new assignee" }),
  })
  .superRefine((b, ctx) => {
    const issue = (path: string, message: string) => ctx.addIssue({ code: 'custom', path: [path], message });
    const sources = (['caseIds', 'items', 'filter'] as const).filter((k) => b[k] !== undefined);
    if (sources.length !== 1) issue(sources[1] ?? 'caseIds', 'name the cases one way: caseIds, items or filter');
    const ids = b.caseIds ?? b.items?.map((i) => i.caseId) ?? [];
    const first = new Map<string, number>();
    ids.forEach((caseId, i) => {
      if (first.has(caseId)) ctx.addIssue({ code: 'custom', path: [b.caseIds ? 'caseIds' : 'items', i], message: `names case ${caseId} again (each case once per batch)` });
      else first.set(caseId, i);
    });
    const needs = (field: 'target' | 'to' | 'taskId' | 'departmentId', allowed: boolean) => {
      if (!allowed && b[field] !== undefined) issue(field, `does not apply to ${b.operation}`);
    };
    needs('target', b.operation === 'urge');
    needs('to', b.operation === 'reassign');
    needs('taskId', b.operation !== 'retry');
    needs('departmentId', b.operation === 'urge');
    if (b.operation === 'retry' && b.items?.some((i) => i.taskId || i.departmentId)) issue('items', 'a retry takes no task or department');
    if (b.operation === 'reassign' && !b.to) issue('to', 'is required for reassign');
    if (b.operation === 'reassign' && b.to && b.to.kind !== 'staff' && !b.taskId && !b.items?.every((i) => i.taskId)) {
      issue('to', "a case's owner is staff: name a taskId to reassign a task to a partner or department");
    }
    if (b.operation === 'urge' && b.target === 'department' && !b.departmentId && !b.filter?.department && !b.items?.every((i) => i.departmentId)) {
      issue('departmentId', 'is required to urge a department');
    }
  })
  .meta({ id: 'BatchRequest', ...batchRules });
type BatchBody = z.infer<typeof BatchBody>;

const ItemView = z
  .object({
    caseId: CaseId,
    status: z.enum(batchItemStatuses),
    detail: z.string().optional().meta({ description: 'Why it was refused or failed, or what was done' }),
    reason: z.string().optional().meta({ description: "The refusal's type (CaseConflict, CaseInvalid, UnknownTask, DeliveryConflict, NothingToRetry, WorkflowEnded…)" }),
    at: time.optional(),
    links: z.object({ case: z.string() }),
  })
  .meta({ id: 'BatchItem' });

const BatchView = z
  .object({
    id: BatchId,
    operation: z.enum(batchOperations),
    status: z.enum(['running', 'completed', 'failed', 'terminated', 'cancelled', 'timed-out']),
    createdAt: time,
    completedAt: time.optional(),
    createdBy: z.object({ id: z.string(), role: z.string() }),
    total: z.number().int(),
    done: z.number().int().optional(),
    applied: z.number().int().optional(),
    refused: z.number().int().optional(),
    failed: z.number().int().optional(),
    items: z.array(ItemView).optional().meta({ description: 'Every case in the order submitted; absent when the batch was stopped by an operator' }),
    links: z.object({ self: z.string(), temporalUi: z.string().optional() }),
  })
  .meta({ id: 'Batch' });
type BatchView = z.infer<typeof BatchView>;

const BatchReceipt = z
  .object({ id: BatchId, operation: z.enum(batchOperations), total: z.number().int(), createdAt: time, links: z.object({ self: z.string() }) })
  .meta({ id: 'BatchReceipt' });

registry.registerPath({
  method: 'post',
  path: '/api/supervision/batches',
  operationId: 'startSupervisionBatch',
  summary: 'Urge, reassign or retry many cases in one request (a batch run by its own workflow)',
  description: `The cases: \`caseIds\`, \`items\` (with a task or department per case) or the stuck query's \`filter\`, resolved now within your scope; at most ${maxBatchItems}. Every named case must be in your scope (403) and known (404), else nothing starts. Each case gets the update a single action would send, with you as its actor; a case that refuses it is a per-item \`refused\`, the rest go on. An Idempotency-Key (same caller) answers the same batch; the same key with another request is 422. Answers 202 and the batch's Location.`,
  request: {
    headers: z.object({ 'Idempotency-Key': IdempotencyKey.optional().meta({ description: 'A retry with the same key (same caller) answers the batch already started' }) }),
    body: { content: { 'application/json': { schema: BatchBody } } },
  },
  responses: {
    202: { description: 'The batch is running', headers: z.object({ Location: z.string() }), content: { 'application/json': { schema: BatchReceipt } } },
    ...problemResponses(400, 401, 403, 404, 413, 415, 422, 503),
  },
});
registry.registerPath({
  method: 'get',
  path: '/api/supervision/batches/{id}',
  operationId: 'getSupervisionBatch',
  summary: "A batch's progress and every case's result",
  description: `A batch is seen in its creator's scope only: by supervisors of the same subdistrict and admins (404 otherwise).`,
  request: { params: z.object({ id: BatchId }) },
  responses: { 200: { description: 'The batch', content: { 'application/json': { schema: BatchView } } }, ...problemResponses(401, 403, 404, 503) },
});

/** What the batch's workflow keeps in its memo, readable without a worker: who made it, in which scope, from what request. */
interface BatchMemo {
  createdBy: string;
  role: string;
  /** The creator's subdistrict; null for an admin's batch (admins only). */
  subdistrictId: string | null;
  /** The request body's digest: the same Idempotency-Key with another request is refused. */
  requestHash: string;
  operation: BatchInput['operation'];
  total: number;
  createdAt: string;
}

const batchNotFound = (batchId: string) => problem(404, `Batch ${batchId} not found`, { type: 'batch-not-found' });
/** gRPC's own words (addresses, internal codes) are not for the caller: Temporal did not answer is what it learns. */
const temporalUnavailable = (_err: unknown) => problem(503, 'Temporal is unavailable; try again shortly', { type: 'temporal-unavailable', headers: { 'Retry-After': '5' } });
const isTemporalDown = (err: unknown) => err instanceof ServiceError || isGrpcServiceError(err);

const digest = (value: unknown) => crypto.createHash('sha256').update(JSON.stringify(value)).digest('hex');

/** Ids of a kind among master data: an assignee named must exist (partners: and be active). */
async function assertAssigneeExists(db: Db, to: BatchBody['to']): Promise<void> {
  if (!to || to.kind === 'staff') return;
  const rows =
    to.kind === 'partner'
      ? await db.select({ id: partners.id }).from(partners).where(and(eq(partners.id, to.id), eq(partners.active, true)))
      : await db.select({ id: departments.id }).from(departments).where(eq(departments.id, to.id));
  if (rows.length === 0) {
    throw problem(422, `Unknown references: to/id is not an active ${to.kind} (${to.id})`, { type: 'unknown-reference', errors: [{ pointer: '#/to/id', detail: `is not an active ${to.kind} (${to.id})` }] });
  }
}

/** The named cases, each known (404) and in the caller's scope (403), as the batch's items. */
async function namedItems(db: Db, p: Principal, body: BatchBody): Promise<BatchItemInput[]> {
  const items: BatchItemInput[] = body.items ?? body.caseIds!.map((caseId) => ({ caseId }));
  const field = body.items ? 'items' : 'caseIds';
  const pointer = (i: number) => (body.items ? `#/items/${i}/caseId` : `#/caseIds/${i}`);
  const rows = await db.select({ id: cases.id, stationId: cases.stationId }).from(cases).where(inArray(cases.id, items.map((i) => i.caseId)));
  const stationOf = new Map(rows.map((r) => [r.id, r.stationId]));
  const unknown = items.flatMap((item, i) => (stationOf.has(item.caseId) ? [] : [{ pointer: pointer(i), detail: `case ${item.caseId} not found`, caseId: item.caseId }]));
  if (unknown.length) {
    throw problem(404, `Cases not found: ${unknown.map((u) => u.caseId).join(', ')}`, { type: 'case-not-found', errors: unknown.map(({ pointer, detail }) => ({ pointer, detail })) });
  }
  const visible = await visibleStations(db, p);
  const outside = visible ? items.flatMap((item, i) => (visible.includes(stationOf.get(item.caseId)!) ? [] : [{ pointer: pointer(i), detail: `case ${item.caseId} is at station ${stationOf.get(item.caseId)}` }])) : [];
  if (outside.length) throw problem(403, `Your ${p.role} token does not cover ${outside.length} of the ${field}`, { type: 'forbidden-scope', errors: outside });
  return items;
}

/** The stuck query's cases now, within the caller's scope (its filter narrowed as GET /stuck would). */
async function filteredItems(deps: AppDeps, p: Principal, body: BatchBody): Promise<BatchItemInput[]> {
  const filter = await scopedFilter(deps.database.db, p, body.filter!);
  const found = await findStuck(deps.database.db, filter, { limit: maxBatchItems }, new Date(), thresholdsOf(deps));
  if (found.length > maxBatchItems) {
    throw problem(422, `The filter matches more than ${maxBatchItems} cases; narrow it (station, reason, department, category, olderThan)`, { type: 'batch-too-large' });
  }
  const urgesTasks = body.operation === 'urge' && body.target === 'task' && !body.taskId;
  return found.map((c) => {
    // Urging tasks by a filter: each case's task whose commitment is overdue.
    const clock = urgesTasks ? c.reasons.map((r) => r.detail.commitment).find((v): v is string => typeof v === 'string' && v.startsWith('task:')) : undefined;
    return { caseId: c.caseId, ...(clock ? { taskId: clock.slice('task:'.length) } : {}) };
  });
}

const statusNames: Record<string, BatchView['status']> = {
  RUNNING: 'running',
  COMPLETED: 'completed',
  FAILED: 'failed',
  TERMINATED: 'terminated',
  CANCELLED: 'cancelled',
  TIMED_OUT: 'timed-out',
  CONTINUED_AS_NEW: 'running',
};

export function batchesRouter(deps: AppDeps): Router {
  const router = Router();
  const { db } = deps.database;
  const timeoutMs = deps.caseUpdateTimeoutMs ?? defaultUpdateTimeoutMs;
  const self = (batchId: string) => `/api/supervision/batches/${batchId}`;

  /** A Temporal call for this request: 503 when Temporal is away, `notFound` when the batch is not there. */
  const temporal = async <T>(call: () => Promise<T>, notFound?: Error): Promise<T> => {
    try {
      return await callTemporal(deps, timeoutMs, call);
    } catch (err) {
      if (notFound && err instanceof WorkflowNotFoundError) throw notFound;
      if (isHttpError(err)) throw err;
      if (isTemporalDown(err)) {
        deps.log.warn({ detail: (err as Error).message }, 'batches: Temporal did not answer');
        throw temporalUnavailable(err);
      }
      throw err;
    }
  };

  /** The batch's memo, when it exists and the caller's scope covers it (404 otherwise: a batch out of scope is not told apart). */
  const visibleBatch = async (p: Principal, batchId: string) => {
    const handle = deps.client.workflow.getHandle(batchWorkflowId(batchId));
    const description = await temporal(() => handle.describe(), batchNotFound(batchId));
    const memo = description.memo as BatchMemo | undefined;
    if (description.type !== batchWorkflowType || !memo) throw batchNotFound(batchId);
    if (p.role !== 'admin' && !(memo.subdistrictId !== null && memo.subdistrictId === p.subdistrictId)) throw batchNotFound(batchId);
    return { handle, description, memo };
  };

  router.post('/', async (req, res) => {
    const p = principalOf(res);
    const key = idempotencyKeyOf(req);
    const body = parseOr400(BatchBody, req.body ?? {});
    await assertAssigneeExists(db, body.to);
    const items = body.filter ? await filteredItems(deps, p, body) : await namedItems(db, p, body);
    if (items.length === 0) throw problem(422, 'No case matches the filter in your scope: there is nothing to do', { type: 'batch-empty' });

    const requestHash = digest(body);
    // The same caller and key name the same batch; without a key every request is a batch of its own.
    const batchId = key ? digest([`${p.role}:${p.id}`, key]).slice(0, 32) : crypto.randomUUID().replace(/-/g, '');
    const createdAt = new Date().toISOString();
    const input: BatchInput = {
      batchId,
      operation: body.operation,
      reason: body.reason,
      ...(body.operation === 'urge' ? { target: body.target ?? 'owner', ...(body.departmentId || body.filter?.department ? { departmentId: body.departmentId ?? body.filter?.department } : {}) } : {}),
      ...(body.to ? { to: body.to } : {}),
      ...(body.taskId ? { taskId: body.taskId } : {}),
      items,
      actor: { id: p.id, role: p.role },
      createdAt,
    };
    const memo: BatchMemo = { createdBy: p.id, role: p.role, subdistrictId: p.role === 'supervisor' ? (p.subdistrictId ?? null) : null, requestHash, operation: body.operation, total: items.length, createdAt };
    try {
      await temporal(() =>
        deps.client.workflow.start<BatchWorkflow>(batchWorkflowType, {
          taskQueue: deps.temporal.taskQueue,
          workflowId: batchWorkflowId(batchId),
          args: [input],
          memo: memo as unknown as Record<string, unknown>,
          // A duplicate request joins the batch running under its key; one that has completed is not run again.
          workflowIdConflictPolicy: 'USE_EXISTING',
          workflowIdReusePolicy: 'REJECT_DUPLICATE',
        }),
      );
    } catch (err) {
      if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
    }
    let answer = memo;
    if (key) {
      // The batch under this key may be an earlier request's: the same request answers it, another is refused.
      answer = (await visibleBatch(p, batchId)).memo;
      if (answer.requestHash !== requestHash) {
        throw problem(422, `Idempotency-Key ${key} was used for another batch request; use a new key for a new batch`, { type: 'idempotency-key-reused' });
      }
    }
    await recordAudit(db, auditActor(req, res), { action: 'batch.submitted', target: { kind: 'batch', id: batchId }, data: { operation: answer.operation, total: answer.total } });
    deps.log.info({ batchId, operation: body.operation, total: answer.total, by: p.id }, 'batch submitted');
    res
      .status(202)
      .location(self(batchId))
      .json({ id: batchId, operation: answer.operation, total: answer.total, createdAt: answer.createdAt, links: { self: self(batchId) } });
  });

  router.get('/:id', async (req, res) => {
    const p = principalOf(res);
    const batchId = String(req.params.id);
    if (!batchIdPattern.test(batchId)) throw batchNotFound(batchId);
    const { handle, description, memo } = await visibleBatch(p, batchId);
    const status = statusNames[description.status.name] ?? 'failed';
    let state: BatchState | undefined;
    if (status === 'completed') state = await temporal(() => handle.result() as Promise<BatchState>);
    else if (status === 'running') {
      try {
        state = await deps.client.connection.withDeadline(Date.now() + 3000, () => handle.query(batchProgressQuery));
      } catch {
        throw problem(503, `No worker answered about batch ${batchId}: its progress is unknown for now (the batch goes on when a worker returns)`, {
          type: 'worker-unavailable',
          headers: { 'Retry-After': '5' },
        });
      }
    }
    const temporalUi = workflowUiUrl(deps.temporal, batchWorkflowId(batchId));
    const view: BatchView = {
      id: batchId,
      operation: memo.operation,
      status: state?.status ?? status,
      createdAt: memo.createdAt,
      ...(state?.completedAt ? { completedAt: state.completedAt } : {}),
      createdBy: { id: memo.createdBy, role: memo.role },
      total: memo.total,
      ...(state
        ? {
            done: state.done,
            applied: state.applied,
            refused: state.refused,
            failed: state.failed,
            items: state.items.map((i) => ({ ...i, links: { case: `/api/cases/${i.caseId}` } })),
          }
        : {}),
      links: {
        self: self(batchId),
        ...(temporalUi ? { temporalUi } : {}),
      },
    };
    res.json(view);
  });

  return router;
}
