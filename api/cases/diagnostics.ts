import { isGrpcServiceError, WorkflowNotFoundError, type WorkflowExecutionDescription } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { eq, inArray, or, sql } from 'drizzle-orm';
import { Router } from 'express';
import { isHttpError } from 'http-errors';
import { z } from 'zod';
import { notifications, whistles, workflowProblems } from '../../db/schema';
import { caseWorkflowId, workflowUiUrl } from '../../temporal/client';
import { clockName } from '../../workflows/case/facts';
import { type CaseState, stages } from '../../workflows/case/messages';
import { waitingOn, waitingPartyKinds } from '../../workflows/case/waiting';
import { principalOf } from '../http/auth';
import type { AppDeps } from '../http/deps';
import { problemResponses, registry } from '../http/openapi';
import { problem } from '../http/problems';
import { callTemporal } from '../http/updates';
import { caseToRead } from './lookup';
import { CaseId, type CaseRow } from './view';

/**
 * GET /api/cases/{id}/diagnostics: why a case is where it is, for supervisors and operators — its live
 * process (stage, open tasks, commitments, escalations), what it waits on in words, its workflow as Temporal
 * describes it (pending activities with their attempts and last failure, the pending workflow task), the
 * activities the worker noted as retrying (local activities are not in Temporal's description), the latest
 * history events and the Temporal UI link.
 *
 * No resident personal data: no resident, demand, task titles, notes, reasons or summaries, and no payload of
 * any history event. The case view (GET /api/cases/{id}) has the rest.
 */

const time = z.iso.datetime({ offset: true });
const AssigneeRef = z.object({ kind: z.enum(['staff', 'partner', 'department']), id: z.string() });

/** How many history events are shown, newest first. */
const recentEventCount = 20;
/** How long the description and the history may take together before the answer is 503. */
const temporalTimeoutMs = 5000;
/** Failure messages are cut to this many characters. */
const messageLimit = 500;

const DiagnosticsCase = z.object({
  id: CaseId,
  stationId: z.string(),
  stage: z.enum(stages),
  status: z.enum(['open', 'paused', 'awaiting-evaluation', 'closed']).meta({
    description: 'From the read model: closed (the workflow ended), awaiting-evaluation (closed by staff, the evaluation not in), paused (for the resident) or open',
  }),
  resolution: z.string().nullable(),
  overdue: z.boolean(),
  updatedAt: time.nullable().meta({ description: 'When the read model last changed (null: not written yet)' }),
});

const LiveProcess = z
  .object({
    stage: z.enum(stages),
    paused: z.object({ since: time, by: z.string() }).nullable().meta({ description: 'Waiting on the resident (the reason is in the case view)' }),
    awaitingRevision: z.boolean(),
    resolution: z.string().nullable(),
    evaluated: z.boolean(),
    openTasks: z.array(z.object({ id: z.string(), assignee: AssigneeRef, dueAt: time, accepted: z.boolean() })),
    commitments: z.array(
      z.object({
        id: z.string().meta({ description: 'response, resolution or task:<task id>' }),
        kind: z.string(),
        assignee: AssigneeRef,
        status: z.enum(['running', 'paused', 'met', 'cancelled']),
        dueAt: time,
        breached: z.boolean(),
        breachedAt: time.optional(),
        provisional: z.boolean(),
      }),
    ),
    escalations: z.array(
      z.object({
        id: z.string(),
        status: z.enum(['proposed', 'open', 'settled']),
        at: time,
        whistleId: z.string().optional(),
        departments: z.array(z.string()).optional(),
        lead: z.string().optional(),
        outcome: z.string().optional().meta({ description: "The whistle's outcome (done, partly-done, cannot, closed)" }),
      }),
    ),
    unreachable: z.array(z.object({ notificationId: z.string(), recipient: z.object({ kind: z.string(), id: z.string() }), kind: z.string(), since: time })),
    projectionFailures: z.number().int().meta({ description: 'Timeline writes the database refused (details in the case view)' }),
    timelineSeq: z.number().int().nullable(),
    runs: z.number().int().meta({ description: 'How many times the workflow continued as new' }),
  })
  .meta({ id: 'CaseLiveProcess', description: "The workflow's live state, the process only (no resident data)" });

const PendingActivity = z.object({
  activityId: z.string(),
  activityType: z.string(),
  state: z.string().meta({ example: 'SCHEDULED' }),
  attempt: z.number().int(),
  maximumAttempts: z.number().int().meta({ description: '0: unlimited' }),
  lastFailure: z.string().nullable().meta({ description: 'The last failure’s message, at most 500 characters' }),
  scheduledTime: time.nullable(),
  lastStartedTime: time.nullable(),
  lastAttemptCompleteTime: time.nullable(),
  nextAttemptScheduleTime: time.nullable(),
});

const WorkflowDescription = z
  .object({
    workflowId: z.string(),
    runId: z.string(),
    type: z.string(),
    status: z.string().meta({ example: 'RUNNING' }),
    taskQueue: z.string(),
    historyLength: z.number().int(),
    startTime: time,
    closeTime: time.nullable(),
    pendingActivities: z.array(PendingActivity),
    pendingWorkflowTask: z
      .object({ state: z.string(), attempt: z.number().int(), scheduledTime: time.nullable(), startedTime: time.nullable() })
      .nullable()
      .meta({ description: 'A workflow task failing again and again shows here with attempt > 1' }),
  })
  .meta({ id: 'CaseWorkflowDescription' });

const RetryingActivity = z.object({
  workflowId: z.string().meta({ description: "The case's workflow, one of its whistles' or one of its notices' delivery" }),
  activityId: z.string(),
  activityType: z.string(),
  local: z.boolean(),
  attempt: z.number().int(),
  lastFailure: z.string(),
  firstFailedAt: time,
  lastFailedAt: time,
});

const HistoryEvent = z.object({
  eventId: z.number().int(),
  eventTime: time.nullable(),
  eventType: z.string().meta({ example: 'WorkflowTaskFailed' }),
  failure: z.string().optional().meta({ description: "A failure event's message, at most 500 characters" }),
});

export const CaseDiagnostics = z
  .object({
    case: DiagnosticsCase,
    live: LiveProcess.nullable().meta({ description: 'null when no worker answered the query within 3 s' }),
    waitingOn: z
      .object({ words: z.string(), on: z.array(z.object({ kind: z.enum(waitingPartyKinds), id: z.string().optional() })) })
      .nullable()
      .meta({ description: 'What the case waits on, in words and parties (null without the live state)' }),
    workflow: WorkflowDescription.nullable().meta({ description: 'null when Temporal no longer has the workflow' }),
    retryingActivities: z.array(RetryingActivity).meta({
      description: 'Activities (local ones included) of the case, its whistles and its deliveries that failed and are being retried, as the worker noted them',
    }),
    recentEvents: z.array(HistoryEvent).meta({ description: `The latest ${recentEventCount} history events of the current run, newest first; never their payloads` }),
    links: z.object({ case: z.string(), temporalUi: z.string().optional() }),
  })
  .meta({ id: 'CaseDiagnostics' });
type CaseDiagnostics = z.infer<typeof CaseDiagnostics>;

registry.registerPath({
  method: 'get',
  path: '/api/cases/{id}/diagnostics',
  operationId: 'getCaseDiagnostics',
  summary: 'Why a case is where it is: live process, what it waits on, its workflow (pending activities and workflow task), retrying activities, latest history events',
  description:
    'For supervisors (their subdistrict), staff (their station) and admins. Carries no resident personal data and no event payloads. ' +
    '503 temporal-unavailable when Temporal does not answer.',
  request: { params: z.object({ id: CaseId }) },
  responses: { 200: { description: 'The diagnostics', content: { 'application/json': { schema: CaseDiagnostics } } }, ...problemResponses(401, 403, 404, 503) },
});

/* ---------- Temporal's answers, without payloads ---------- */

type Timestamp = { seconds?: number | { toNumber(): number } | string | null; nanos?: number | null } | null | undefined;

/** A protobuf timestamp as ISO text (null when absent). */
function isoOf(ts: Timestamp): string | null {
  if (!ts || ts.seconds === undefined || ts.seconds === null) return null;
  const s = ts.seconds;
  const seconds = typeof s === 'number' ? s : typeof s === 'string' ? Number(s) : s.toNumber();
  const ms = seconds * 1000 + Math.floor((ts.nanos ?? 0) / 1e6);
  return Number.isFinite(ms) && ms > 0 ? new Date(ms).toISOString() : null;
}

const numberOf = (v: number | { toNumber(): number } | string | null | undefined): number =>
  typeof v === 'number' ? v : typeof v === 'string' ? Number(v) : v ? v.toNumber() : 0;

const cut = (text: string | null | undefined): string | null => {
  if (!text) return null;
  return text.length > messageLimit ? `${text.slice(0, messageLimit - 3)}...` : text;
};

/** An enum value's name without its prefix: PENDING_ACTIVITY_STATE_SCHEDULED → SCHEDULED. */
const enumName = (names: Record<number, string>, value: number | null | undefined, prefix: string): string =>
  (names[value ?? 0] ?? String(value)).replace(prefix, '');

/** EVENT_TYPE_WORKFLOW_TASK_FAILED → WorkflowTaskFailed. */
const eventTypeName = (value: number | null | undefined): string =>
  enumName(temporal.api.enums.v1.EventType as unknown as Record<number, string>, value, 'EVENT_TYPE_')
    .toLowerCase()
    .split('_')
    .map((w) => w.charAt(0).toUpperCase() + w.slice(1))
    .join('');

function describeView(d: WorkflowExecutionDescription): z.infer<typeof WorkflowDescription> {
  const { PendingActivityState, PendingWorkflowTaskState } = temporal.api.enums.v1;
  const task = d.raw.pendingWorkflowTask;
  return {
    workflowId: d.workflowId,
    runId: d.runId,
    type: d.type,
    status: d.status.name,
    taskQueue: d.taskQueue,
    historyLength: d.historyLength,
    startTime: d.startTime.toISOString(),
    closeTime: d.closeTime?.toISOString() ?? null,
    pendingActivities: (d.raw.pendingActivities ?? []).map((a) => ({
      activityId: a.activityId ?? '',
      activityType: a.activityType?.name ?? '',
      state: enumName(PendingActivityState as unknown as Record<number, string>, a.state, 'PENDING_ACTIVITY_STATE_'),
      attempt: a.attempt ?? 0,
      maximumAttempts: a.maximumAttempts ?? 0,
      lastFailure: cut(a.lastFailure?.message),
      scheduledTime: isoOf(a.scheduledTime),
      lastStartedTime: isoOf(a.lastStartedTime),
      lastAttemptCompleteTime: isoOf(a.lastAttemptCompleteTime),
      nextAttemptScheduleTime: isoOf(a.nextAttemptScheduleTime),
    })),
    pendingWorkflowTask: task
      ? {
          state: enumName(PendingWorkflowTaskState as unknown as Record<number, string>, task.state, 'PENDING_WORKFLOW_TASK_STATE_'),
          attempt: task.attempt ?? 0,
          scheduledTime: isoOf(task.scheduledTime),
          startedTime: isoOf(task.startedTime),
        }
      : null,
  };
}

type RawEvent = temporal.api.history.v1.IHistoryEvent;

/** The failure an event carries (a failed workflow task, activity, local activity's marker, child, the run itself), message only. */
function failureOf(e: RawEvent): string | undefined {
  for (const [key, value] of Object.entries(e)) {
    if (!key.endsWith('Attributes') || !value || typeof value !== 'object') continue;
    const message = (value as { failure?: { message?: string | null } | null }).failure?.message;
    if (message) return cut(message) ?? undefined;
  }
  return undefined;
}

const eventView = (e: RawEvent): z.infer<typeof HistoryEvent> => {
  const failure = failureOf(e);
  return { eventId: numberOf(e.eventId), eventTime: isoOf(e.eventTime), eventType: eventTypeName(e.eventType), ...(failure ? { failure } : {}) };
};

/** The workflow's description and its latest events: null when Temporal has no such workflow; 503 when Temporal does not answer. */
async function askTemporal(deps: AppDeps, workflowId: string): Promise<Pick<CaseDiagnostics, 'workflow' | 'recentEvents'>> {
  try {
    return await callTemporal(deps, temporalTimeoutMs, async () => {
      const described = await deps.client.workflow.getHandle(workflowId).describe();
      // Newest first, one page: the whole history is never read.
      const history = await deps.client.workflowService.getWorkflowExecutionHistoryReverse({
        namespace: deps.client.options.namespace,
        execution: { workflowId, runId: described.runId },
        maximumPageSize: recentEventCount,
      });
      return { workflow: describeView(described), recentEvents: (history.history?.events ?? []).slice(0, recentEventCount).map(eventView) };
    });
  } catch (err) {
    if (isHttpError(err)) throw err;
    if (err instanceof WorkflowNotFoundError || (isGrpcServiceError(err) && err.code === 5)) return { workflow: null, recentEvents: [] };
    deps.log.warn({ workflowId, reason: (err as Error).name, detail: (err as Error).message }, 'diagnostics: Temporal did not answer');
    throw problem(503, 'Temporal is unavailable; try again shortly', { type: 'temporal-unavailable', headers: { 'Retry-After': '5' } });
  }
}

/* ---------- the read model and the live state ---------- */

/** The worker's notes of failing activities of the case's workflow, its whistles' and its notices' deliveries. */
async function retryingActivities(deps: AppDeps, caseId: string, workflowId: string): Promise<CaseDiagnostics['retryingActivities']> {
  const { db } = deps.database;
  const rows = await db
    .select()
    .from(workflowProblems)
    .where(
      or(
        eq(workflowProblems.workflowId, workflowId),
        inArray(workflowProblems.workflowId, db.select({ id: whistles.workflowId }).from(whistles).where(eq(whistles.caseId, caseId))),
        inArray(
          workflowProblems.workflowId,
          db
            .select({ id: sql<string>`'notification-' || ${notifications.notificationId}::text` })
            .from(notifications)
            .where(eq(notifications.caseId, caseId)),
        ),
      ),
    )
    .orderBy(workflowProblems.firstFailedAt);
  return rows.map((r) => ({
    workflowId: r.workflowId,
    activityId: r.activityId,
    activityType: r.activityType,
    local: r.local,
    attempt: r.attempt,
    lastFailure: r.lastFailure,
    firstFailedAt: r.firstFailedAt.toISOString(),
    lastFailedAt: r.lastFailedAt.toISOString(),
  }));
}

/** Resolutions that end a case without an evaluation (a supervisor's withdrawal). */
const withoutEvaluation = ['withdrawn', 'cancelled'];

function caseStatus(stage: string, resolution: string | null | undefined, paused: boolean): z.infer<typeof DiagnosticsCase>['status'] {
  if (stage === 'closed' || (resolution && withoutEvaluation.includes(resolution))) return 'closed';
  if (resolution) return 'awaiting-evaluation';
  return paused ? 'paused' : 'open';
}

function caseView(id: string, row: CaseRow | undefined, state: CaseState | undefined): z.infer<typeof DiagnosticsCase> {
  if (row) {
    const stage = stages.includes(row.stage as never) ? (row.stage as z.infer<typeof DiagnosticsCase>['stage']) : 'accept';
    return {
      id,
      stationId: row.stationId,
      stage,
      status: caseStatus(row.stage, row.resolution, row.paused),
      resolution: row.resolution,
      overdue: row.overdue,
      updatedAt: row.updatedAt.toISOString(),
    };
  }
  // Not in the read model yet (just opened): the live state answered.
  const s = state!;
  return {
    id,
    stationId: s.stationId,
    stage: s.stage,
    status: caseStatus(s.stage, resolutionOf(s), s.paused !== undefined),
    resolution: resolutionOf(s),
    overdue: s.overdue ?? false,
    updatedAt: null,
  };
}

/** How the case ended or is ending: its closure's resolution, or withdrawn / cancelled. */
const resolutionOf = (s: CaseState): string | null =>
  s.closure?.resolution ?? (s.withdrawal ? (s.withdrawal.kind === 'resident-withdrew' ? 'withdrawn' : 'cancelled') : null);

/** The live state's process, field by field: nothing of the resident, no free text. */
function liveView(s: CaseState): z.infer<typeof LiveProcess> {
  return {
    stage: s.stage,
    paused: s.paused ? { since: s.paused.since, by: s.paused.by } : null,
    awaitingRevision: s.awaitingRevision ?? false,
    resolution: resolutionOf(s),
    evaluated: s.evaluation !== undefined,
    openTasks: (s.tasks ?? [])
      .filter((t) => t.status === 'open')
      .map((t) => ({ id: t.id, assignee: { kind: t.assignee.kind, id: t.assignee.id }, dueAt: t.dueAt, accepted: t.acceptedAt !== undefined })),
    commitments: (s.clocks ?? []).map((c) => ({
      id: clockName(c),
      kind: c.kind,
      assignee: { kind: c.assignee.kind, id: c.assignee.id },
      status: c.status,
      dueAt: c.dueAt,
      breached: c.breachedAt !== undefined,
      ...(c.breachedAt ? { breachedAt: c.breachedAt } : {}),
      provisional: c.provisional,
    })),
    escalations: (s.escalations ?? []).map((e) => ({
      id: e.id,
      status: e.status,
      at: e.at,
      ...(e.whistleId ? { whistleId: e.whistleId } : {}),
      ...(e.departments ? { departments: e.departments } : {}),
      ...(e.lead ? { lead: e.lead } : {}),
      ...(e.outcome ? { outcome: e.outcome.outcome } : {}),
    })),
    unreachable: (s.unreachable ?? []).map((u) => ({ notificationId: u.notificationId, recipient: { kind: u.recipient.kind, id: u.recipient.id }, kind: u.kind, since: u.since })),
    projectionFailures: s.projectionFailures?.length ?? 0,
    timelineSeq: s.seq ?? null,
    runs: s.runs ?? 0,
  };
}

export function caseDiagnosticsRouter(deps: AppDeps): Router {
  const router = Router();
  router.get('/:id/diagnostics', async (req, res) => {
    const id = String(req.params.id);
    // Scope first (on the read model's row, else the live state), as the case view does: 404 / 403 before anything else.
    const { row, state } = await caseToRead(deps, principalOf(res), id);
    const workflowId = caseWorkflowId(id);
    const [temporalSide, retrying] = await Promise.all([askTemporal(deps, workflowId), retryingActivities(deps, id, workflowId)]);
    const body: CaseDiagnostics = {
      case: caseView(id, row, state),
      live: state ? liveView(state) : null,
      waitingOn: state ? waitingOn(state, Date.now()) : null,
      ...temporalSide,
      retryingActivities: retrying,
      links: { case: `/api/cases/${id}`, temporalUi: workflowUiUrl(deps.temporal, workflowId) },
    };
    res.json(body);
  });
  return router;
}
