import crypto from 'node:crypto';
import {
  isGrpcServiceError,
  ServiceError,
  WorkflowNotFoundError,
  WorkflowUpdateFailedError,
  WorkflowUpdateRPCTimeoutOrCancelledError,
} from '@temporalio/client';
import { ApplicationFailure, type UpdateDefinition } from '@temporalio/common';
import type { Request } from 'express';
import { isHttpError } from 'http-errors';
import { z } from 'zod';
import { rejections } from '../../workflows/case/messages';
import type { Command } from '../../workflows/shared/messages';
import { deliveryRejections } from '../../workflows/delivery/messages';
import { whistleRejections } from '../../workflows/whistle/messages';
import type { Principal } from './auth';
import { idPattern } from './schemas';
import type { AppDeps } from './deps';
import { problemResponses, registry } from './openapi';
import { problem } from './problems';
import { parseOr400 } from './validation';

/** How long a change waits for the workflow to apply it before the API answers 503. */
export const defaultUpdateTimeoutMs = 10_000;

export const IdempotencyKey = z.string().regex(/^[\x21-\x7e]{1,200}$/, 'must be 1–200 visible ASCII characters');

/** The request's Idempotency-Key header, validated (400), or undefined. */
export function idempotencyKeyOf(req: Request): string | undefined {
  const raw = req.get('Idempotency-Key');
  return raw === undefined ? undefined : parseOr400(IdempotencyKey, raw, 'Idempotency-Key header');
}

/** Names a change for its idempotent update id: the action's path (express syntax) with its parameters filled in. */
export const routeOf = (path: string, req: Request): string => path.replace(/:(\w+)/g, (_m, name: string) => String(req.params[name]));

/**
 * The OpenAPI entry of a POST that runs one workflow update: its path parameters (`id`, then ids like
 * task or department ids), the Idempotency-Key header, the body, and the view it answers with.
 */
export function registerUpdatePath(r: { path: string; operationId: string; summary: string; description: string; id: z.ZodType; body: z.ZodType; view: z.ZodType; subject: string }): void {
  const names = [...r.path.matchAll(/:(\w+)/g)].map((m) => m[1]!);
  registry.registerPath({
    method: 'post',
    path: r.path.replace(/:(\w+)/g, '{$1}'),
    operationId: r.operationId,
    summary: r.summary,
    description: r.description,
    request: {
      params: z.object(Object.fromEntries(names.map((n) => [n, n === 'id' ? r.id : z.string().regex(idPattern)]))),
      headers: z.object({
        'Idempotency-Key': IdempotencyKey.optional().meta({ description: `A retry with the same key (same caller, ${r.subject} and route) applies the change once` }),
      }),
      body: { content: { 'application/json': { schema: r.body } } },
    },
    responses: {
      200: { description: `The change is applied: the ${r.subject} view with its new state`, content: { 'application/json': { schema: r.view } } },
      ...problemResponses(400, 401, 403, 404, 409, 413, 415, 422, 503),
    },
  });
}

/**
 * The update id of a request with an Idempotency-Key: the same caller, case, route and key give the same
 * id, and Temporal applies an update id once per workflow run, so a retried request does not apply twice.
 */
export function idempotentUpdateId(p: Principal, caseId: string, route: string, key: string): string {
  const digest = crypto.createHash('sha256').update(JSON.stringify([`${p.role}:${p.id}`, caseId, route, key])).digest('hex');
  return `api-${digest}`;
}

/** What a workflow Temporal cannot find means to the client (it has completed): the detail and problem type of the 409. */
export interface Gone {
  detail: string;
  type: string;
}

/** The workflow that applies an update: its id, how messages name it ("Case QG-…", "Whistle …"), what its end means. */
export interface UpdateTarget {
  workflowId: string;
  subject: string;
  gone: Gone;
}

/** One update of one workflow, run for a request (api/cases/updates.ts fills the target for the case's own workflow). */
export interface WorkflowUpdate<T, R> {
  target: UpdateTarget;
  /** The case the workflow serves (a case, one of its whistles, one of its deliveries): keys the idempotent update id, names it in the log. */
  caseId: string;
  update: UpdateDefinition<R, [Command<T>]>;
  command: T;
  principal: Principal;
  /** Names the action for the idempotent update id, e.g. "pause" or "tasks/3/completion". */
  route: string;
  idempotencyKey?: string;
}

const FieldErrors = z.array(z.object({ pointer: z.string(), detail: z.string() }));

/** Field errors the workflow attached to a refusal: details[0] is `[{pointer, detail}]` (or `{errors: [...]}`). */
function fieldErrors(failure: ApplicationFailure): z.infer<typeof FieldErrors> | undefined {
  const first = failure.details?.[0];
  const parsed = FieldErrors.safeParse((first as { errors?: unknown } | undefined)?.errors ?? first);
  return parsed.success && parsed.data.length ? parsed.data : undefined;
}

const refusals: Record<string, { status: number; type: string }> = {
  [rejections.conflict]: { status: 409, type: 'case-conflict' },
  [rejections.invalid]: { status: 422, type: 'case-invalid' },
  [rejections.unknownTask]: { status: 404, type: 'task-not-found' },
  [rejections.notAssignee]: { status: 403, type: 'not-task-assignee' },
  [deliveryRejections.conflict]: { status: 409, type: 'delivery-conflict' },
  [whistleRejections.conflict]: { status: 409, type: 'whistle-conflict' },
  [whistleRejections.invalid]: { status: 422, type: 'whistle-invalid' },
  [whistleRejections.notCalled]: { status: 403, type: 'department-not-called' },
};

export const temporalUnavailableDetail = 'Temporal is unavailable; try again shortly';
const retryLater = (detail: string, type: string) => problem(503, detail, { type, headers: { 'Retry-After': '5' } });

/** What a failed update means to the client: a problem with a 4xx for refusals, 503 when Temporal or a worker is away. */
export function updateProblem(err: unknown, subject: string, timeoutMs: number, gone: Gone) {
  if (err instanceof WorkflowUpdateFailedError) {
    const failure = err.cause;
    if (failure instanceof ApplicationFailure) {
      const refusal = refusals[failure.type ?? ''] ?? { status: 409, type: 'case-update-refused' };
      return problem(refusal.status, failure.message || `${subject} refused the change`, { type: refusal.type, errors: fieldErrors(failure) });
    }
    return problem(409, `${subject} refused the change: ${failure?.message ?? err.message}`, { type: 'case-update-refused' });
  }
  if (err instanceof WorkflowUpdateRPCTimeoutOrCancelledError) {
    // The server keeps an update it has admitted and hands it to the next worker that polls, so a change
    // that timed out here may still be applied later (on the dev server, one sent while no worker ran was
    // applied when a worker started ~50 s later) — whole: nothing is half-applied.
    // A client retries with the same Idempotency-Key: the same update id, applied at most once.
    return retryLater(
      `${subject} did not confirm the change within ${timeoutMs / 1000} s: no worker is answering, or it is still being applied. It may yet be applied when a worker returns; retry with the same Idempotency-Key so that it applies once`,
      'worker-unavailable',
    );
  }
  // The workflow's subject is in the read model (checked before), so a workflow Temporal cannot find has finished.
  if (err instanceof WorkflowNotFoundError) return problem(409, gone.detail, { type: gone.type });
  // gRPC's own words (addresses, internal codes) are not for the caller.
  if (err instanceof ServiceError || isGrpcServiceError(err)) return retryLater(temporalUnavailableDetail, 'temporal-unavailable');
  return undefined;
}

/** A short call that needs no worker: a problem when Temporal does not answer it, undefined when it does. */
async function probeTemporal(deps: AppDeps): Promise<ReturnType<typeof problem> | undefined> {
  try {
    await deps.client.connection.withDeadline(Date.now() + 2000, () => deps.client.workflowService.getSystemInfo({}));
    return undefined;
  } catch (probe) {
    deps.log.warn({ detail: (probe as Error).message }, 'Temporal did not answer');
    return retryLater(temporalUnavailableDetail, 'temporal-unavailable');
  }
}

/** After a change timed out: was it the worker (503 worker-unavailable, from updateProblem) or Temporal itself? */
export async function temporalAway(deps: AppDeps, err: unknown): Promise<ReturnType<typeof problem> | undefined> {
  if (!(err instanceof WorkflowUpdateRPCTimeoutOrCancelledError)) return undefined;
  return probeTemporal(deps);
}

/** How long a call to Temporal may go unanswered before a probe asks whether Temporal is there at all. */
const probeAfterMs = 2000;

/**
 * A call to Temporal within `timeoutMs`. One that has not answered after two seconds is checked by a
 * probe: when Temporal itself is away, the call is given up and the caller gets 503 temporal-unavailable
 * then, instead of waiting out the deadline (what reached Temporal before it went away still counts).
 */
export async function callTemporal<T>(deps: AppDeps, timeoutMs: number, call: () => Promise<T>): Promise<T> {
  const { connection } = deps.client;
  const giveUp = new AbortController();
  const running = connection.withAbortSignal(giveUp.signal, () => connection.withDeadline(Date.now() + timeoutMs, call));
  let timer: NodeJS.Timeout | undefined;
  const away = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () =>
        void probeTemporal(deps).then((p) => {
          if (!p) return;
          reject(p);
          giveUp.abort();
        }),
      probeAfterMs,
    );
  });
  try {
    return await Promise.race([running, away]);
  } finally {
    clearTimeout(timer);
    running.catch(() => undefined); // given up: its cancellation is no one's concern
  }
}

/**
 * Runs an update of a workflow (a case's, a whistle's, a delivery's) on behalf of the principal and returns
 * what the update answered (the workflow's new state); a refusal or an absent Temporal or worker is thrown
 * as its problem (updateProblem, temporalAway).
 */
export async function runUpdate<T, R>(deps: AppDeps, u: WorkflowUpdate<T, R>): Promise<R> {
  const timeoutMs = deps.caseUpdateTimeoutMs ?? defaultUpdateTimeoutMs;
  const handle = deps.client.workflow.getHandle(u.target.workflowId);
  const args: [Command<T>] = [{ ...u.command, actor: { id: u.principal.id, role: u.principal.role } }];
  const updateId = u.idempotencyKey ? idempotentUpdateId(u.principal, u.caseId, u.route, u.idempotencyKey) : undefined;
  try {
    return await callTemporal(deps, timeoutMs, () => handle.executeUpdate(u.update, { args, updateId }));
  } catch (err) {
    const mapped = isHttpError(err) ? err : ((await temporalAway(deps, err)) ?? updateProblem(err, u.target.subject, timeoutMs, u.target.gone));
    if (!mapped) throw err;
    // The failure's type, never its message: a refusal may quote what the request said.
    const reason = err instanceof WorkflowUpdateFailedError && err.cause instanceof ApplicationFailure ? err.cause.type : (err as Error).name;
    deps.log.info({ caseId: u.caseId, update: u.update.name, status: mapped.status, reason }, 'case update not applied');
    throw mapped;
  }
}
