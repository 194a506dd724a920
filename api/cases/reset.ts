import crypto from 'node:crypto';
import { isGrpcServiceError, ServiceError, WorkflowNotFoundError } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { Router } from 'express';
import { z } from 'zod';
import { recordOnTimeline } from '../../db/audit';
import { caseWorkflowId } from '../../temporal/client';
import { principalOf, type Principal } from '../http/auth';
import type { AppDeps } from '../http/deps';
import { problemResponses, registry } from '../http/openapi';
import { problem } from '../http/problems';
import { text } from '../http/text';
import { callTemporal } from '../http/updates';
import { parseOr400 } from '../http/validation';
import { caseToActOn } from './lookup';
import { CaseId, type CaseRow } from './view';

/**
 * Resetting a case whose workflow task keeps failing (README "Supervision", the workflow-task-failing
 * reason): the admin's intervention after a bad deploy or a poisonous change, once the cause is understood.
 * Temporal's reset starts a new run of the case's workflow from the last workflow task that completed
 * before the failures began; what came after it in the failing run is re-run by the code deployed now
 * (signals are re-applied; an update that never completed is not, its caller got no answer). Audited
 * on the case's timeline as `case.reset`, with the admin's id and reason.
 */

export const ResetBody = z
  .strictObject({
    reason: text(500, 'must say why the case is reset').meta({ description: 'Why, for the timeline (kept in the read model; Temporal gets only the admin id)' }),
  })
  .meta({ id: 'CaseReset' });

const ResetDone = z
  .object({
    caseId: CaseId,
    fromEventId: z.number().int().meta({ description: 'The WorkflowTaskCompleted event the new run starts after: the last good point' }),
    runId: z.string().meta({ description: 'The failing run, now terminated by the reset' }),
    newRunId: z.string(),
    failedAttempts: z.number().int().meta({ description: "The failing workflow task's attempt when it was reset (0: unknown)" }),
    at: z.iso.datetime({ offset: true }),
  })
  .meta({ id: 'CaseResetDone' });

registry.registerPath({
  method: 'post',
  path: '/api/cases/{id}/reset',
  operationId: 'resetCase',
  summary: "Reset a case whose workflow task keeps failing to its last good point (admins; Temporal's reset)",
  description:
    'The case workflow starts a new run from the last workflow task that completed before the failing one; the reset is recorded on the timeline (case.reset, with the admin and reason). ' +
    '409 nothing-to-reset: no workflow task of the case is failing; 409 case-workflow-ended: the workflow has completed. 503 temporal-unavailable: Temporal did not answer.',
  request: { params: z.object({ id: CaseId }), body: { content: { 'application/json': { schema: ResetBody } } } },
  responses: {
    200: { description: 'The case workflow was reset', content: { 'application/json': { schema: ResetDone } } },
    ...problemResponses(400, 401, 403, 404, 409, 413, 415, 503),
  },
});

const EventType = temporal.api.enums.v1.EventType;
const failedTask = new Set([EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED, EventType.EVENT_TYPE_WORKFLOW_TASK_TIMED_OUT]);

/** How long the reset may wait for Temporal's answers (describe, history, reset) altogether. */
const temporalTimeoutMs = 10_000;

interface ResetPoint {
  runId: string;
  fromEventId: number;
  /** The event id as the history gave it (int64), for the reset request. */
  eventId: NonNullable<temporal.api.history.v1.IHistoryEvent['eventId']>;
  attempt: number;
}

/**
 * Where the failing run goes back to: its last WorkflowTaskCompleted, when a workflow task failed after it
 * (a WorkflowTaskFailed or TimedOut event; later attempts of a failing task are not in the history until one
 * completes, describe's pending workflow task counts them).
 */
async function resetPoint(deps: AppDeps, caseId: string): Promise<ResetPoint> {
  const handle = deps.client.workflow.getHandle(caseWorkflowId(caseId));
  const described = await handle.describe();
  if (described.status.name !== 'RUNNING') {
    throw problem(409, `Case ${caseId}'s workflow has ${described.status.name.toLowerCase()}: there is no run to reset`, { type: 'case-workflow-ended' });
  }
  const attempt = described.raw.pendingWorkflowTask?.attempt ?? 0;
  const history = await deps.client.workflow.getHandle(caseWorkflowId(caseId), described.runId).fetchHistory();
  let lastCompleted: ResetPoint['eventId'] | undefined;
  let failedSince = false;
  for (const e of history.events ?? []) {
    if (e.eventType === EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED && e.eventId != null) {
      lastCompleted = e.eventId;
      failedSince = false;
    } else if (e.eventType != null && failedTask.has(e.eventType)) failedSince = true;
  }
  if (lastCompleted === undefined || !(failedSince || attempt > 1)) {
    throw problem(409, `No workflow task of case ${caseId} is failing: there is nothing to reset`, { type: 'nothing-to-reset' });
  }
  return { runId: described.runId, fromEventId: Number(lastCompleted), eventId: lastCompleted, attempt };
}

/** The request id of one reset: the same run and point give the same id, so a repeated request resets once. */
function requestIdOf(caseId: string, point: ResetPoint): string {
  const h = crypto.createHash('sha256').update(JSON.stringify(['case-reset', caseId, point.runId, point.fromEventId])).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}

async function resetCase(deps: AppDeps, p: Principal, row: CaseRow, reason: string): Promise<z.infer<typeof ResetDone>> {
  const caseId = row.id;
  let point: ResetPoint;
  let newRunId: string;
  try {
    ({ point, newRunId } = await callTemporal(deps, temporalTimeoutMs, async () => {
      const found = await resetPoint(deps, caseId);
      const res = await deps.client.workflowService.resetWorkflowExecution({
        namespace: deps.temporal.namespace,
        workflowExecution: { workflowId: caseWorkflowId(caseId), runId: found.runId },
        // Temporal keeps who asked, not why: the reason may name people, and stays in the read model.
        reason: `stationflow: reset by admin ${p.id}`,
        workflowTaskFinishEventId: found.eventId,
        requestId: requestIdOf(caseId, found),
      });
      return { point: found, newRunId: res.runId ?? '' };
    }));
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) throw problem(409, `Case ${caseId}'s workflow has ended: there is no run to reset`, { type: 'case-workflow-ended' });
    if (err instanceof ServiceError || isGrpcServiceError(err)) {
      // gRPC's own words (addresses, internal codes) go to the log, not to the caller.
      deps.log.warn({ caseId, detail: err.message }, 'reset: Temporal did not answer');
      throw problem(503, 'Temporal is unavailable; try again shortly', { type: 'temporal-unavailable', headers: { 'Retry-After': '5' } });
    }
    throw err;
  }
  const at = new Date();
  const data = { reason, fromEventId: point.fromEventId, runId: point.runId, newRunId };
  try {
    // A person's action its workflow does not record: on the timeline after the case's latest event (db/audit.ts).
    await recordOnTimeline(deps.database.db, { caseId, key: `reset:${newRunId}`, type: 'case.reset', actor: p, at, data });
  } catch (err) {
    // The reset is done and cannot be undone: the log keeps what the timeline could not (not the reason: free text).
    const { reason: _reason, ...facts } = data;
    deps.log.error({ caseId, admin: p.id, ...facts, err: (err as Error).message }, 'case reset not recorded on the timeline');
    throw err;
  }
  deps.log.warn({ caseId, admin: p.id, fromEventId: point.fromEventId, runId: point.runId, newRunId, attempt: point.attempt }, 'case workflow reset');
  return { caseId, fromEventId: point.fromEventId, runId: point.runId, newRunId, failedAttempts: point.attempt, at: at.toISOString() };
}

export function caseResetRouter(deps: AppDeps): Router {
  const router = Router();
  router.post('/:id/reset', async (req, res) => {
    const p = principalOf(res);
    const body = parseOr400(ResetBody, req.body ?? {});
    const row = await caseToActOn(deps, p, String(req.params.id));
    res.json(await resetCase(deps, p, row, body.reason));
  });
  return router;
}
