import { z } from 'zod';
import { caseChannels, cases, serviceCategories } from '../../db/schema';
import { caseWorkflowId, workflowUiUrl } from '../../temporal/client';
import { missingDocuments, nextDueAt } from '../../workflows/case/facts';
import { type CaseState, finalResolutions, type OpenCaseInput, stages, urgeTargets, withdrawalResolution } from '../../workflows/case/messages';
import {
  AcceptanceBody,
  Assignee,
  ClosureBody,
  DiagnosisBody,
  EvaluationBody,
  WithdrawalBody,
} from './commands';
import type { AppDeps } from '../http/deps';
import { clockView, ClockView, ProjectionFailures, readTimeline, TimelineEvent } from '../http/views';
import { line, optionalLine, phoneNumber } from '../http/text';
import { erasedMarker } from '../../workflows/retention/messages';

/**
 * What the API answers about a case: the summary (lists, opening), the list item (plus the read model's
 * progress columns) and the full view (plus the live state of the workflow and the timeline).
 */

export const caseIdPattern = /^[A-Z]{2,8}-\d{8}-\d{4,}$/;
export const CaseId = z.string().regex(caseIdPattern, 'must be a case id like QG-20261123-0001');
const time = z.iso.datetime({ offset: true });

export const Resident = z
  .strictObject({
    name: line(100, 'is required'),
    phone: phoneNumber(/^\+?[0-9][0-9 -]{3,18}[0-9-]$/, 'must be a phone number of digits, spaces or dashes')
      .optional()
      .meta({ description: 'Digits, spaces, dashes and a leading plus; full-width digits are taken as ASCII digits (NFKC)' }),
    address: optionalLine(200).optional(),
  })
  .meta({ id: 'Resident', description: 'Personal data: never logged, never in search attributes or URLs' });

/** The resident as a case shows it: as given, or every field `[erased]` once retention erased it. */
const ResidentView = z
  .object({ name: z.string(), phone: z.string().optional(), address: z.string().optional() })
  .meta({ id: 'ResidentView', description: `Personal data, shown to those who may see the case; "${erasedMarker}" in every field once retention erased it (erasedAt)` });

const CaseLinks = z.object({ self: z.string(), temporalUi: z.string().optional() });

export const CaseSummary = z
  .object({
    id: CaseId,
    stage: z.enum(stages),
    stationId: z.string(),
    serviceCode: z.string(),
    category: z.enum(serviceCategories),
    deadlineClass: z.string(),
    channel: z.enum(caseChannels),
    demand: z.string(),
    openedAt: time,
    updatedAt: time.optional(),
    links: CaseLinks,
  })
  .meta({ id: 'CaseSummary' });
export type CaseSummary = z.infer<typeof CaseSummary>;

const progress = {
  overdue: z.boolean().meta({ description: 'A commitment is past its deadline and not met' }),
  nextDueAt: time.nullable().meta({ description: 'The earliest deadline of a running commitment' }),
  paused: z.boolean().meta({ description: 'The clocks are paused: the case waits on the resident' }),
  resolution: z.enum(finalResolutions).nullable().meta({ description: 'How the case ended: a closure (resolved, unresolved, transferred), or withdrawn / cancelled' }),
  partnerUnreachable: z.boolean().meta({ description: 'A notice to a partner or department reached nobody on any channel (see GET /api/cases/{id}/notifications)' }),
};
export const CaseListItem = CaseSummary.extend(progress).meta({ id: 'CaseListItem' });
export type CaseListItem = z.infer<typeof CaseListItem>;

const by = { by: z.string(), at: time };
const TransferTargetRecord = z
  .object({ kind: z.enum(['department', 'agency']), id: z.string().optional(), name: z.string() })
  .meta({ id: 'TransferTargetRecord' });
const ClosureRecord = ClosureBody.extend({ transferTo: TransferTargetRecord.optional(), ...by }).meta({ id: 'ClosureRecord' });
const EvaluationRecord = EvaluationBody.extend(by).meta({ id: 'EvaluationRecord' });

const TaskView = z
  .object({
    id: z.string(),
    title: z.string(),
    assignee: Assignee,
    dueAt: time,
    status: z.enum(['open', 'completed', 'cancelled']),
    revision: z.number().int(),
    outcome: z.enum(['done', 'not-done']).optional(),
    note: z.string().optional(),
    completedAt: time.optional(),
    completedBy: z.string().optional(),
    acceptedAt: time.optional().meta({ description: 'The partner or department confirmed it takes the task on' }),
    acceptedBy: z.string().optional(),
    declines: z
      .array(z.object({ assignee: Assignee, by: z.string(), at: time, note: z.string().optional() }))
      .optional()
      .meta({ description: 'Assignees that declined: each decline handed the task back to the station' }),
  })
  .meta({ id: 'Task' });

const PlanRevision = z
  .object({ revision: z.number().int(), goals: z.array(z.string()), taskIds: z.array(z.string()), reason: z.string().optional(), ...by })
  .meta({ id: 'PlanRevision' });

export const CaseView = CaseListItem.extend({
  live: z.boolean().meta({ description: 'True when the workflow answered; false: read model only, and the live-only parts are absent' }),
  resident: ResidentView,
  erasedAt: time.optional().meta({ description: `When retention erased the personal data (RETENTION_AFTER_CLOSE after closing): the resident, the demand and free text read "${erasedMarker}"; the live-only parts are absent` }),
  openedBy: z.string(),
  relatedCaseId: z.string().nullable(),
  owner: z.string().optional(),
  acceptance: AcceptanceBody.extend({ transferTo: TransferTargetRecord.optional(), ...by }).meta({ id: 'AcceptanceRecord' }).optional(),
  diagnosis: DiagnosisBody.extend(by).meta({ id: 'DiagnosisRecord' }).optional(),
  plans: z.array(PlanRevision).optional(),
  tasks: z.array(TaskView).optional(),
  documents: z.array(z.string()).optional(),
  missingDocuments: z.array(z.string()).optional().meta({ description: "The catalogue item's required documents not yet received" }),
  pause: z.object({ reason: z.string(), since: time, by: z.string() }).optional().meta({ description: 'Why and since when the case is paused' }),
  clocks: z.array(ClockView).optional(),
  closure: ClosureRecord.optional(),
  withdrawal: WithdrawalBody.extend(by).optional().meta({ description: 'The case ended without a closure: withdrawn by the resident, or cancelled' }),
  urges: z
    .array(
      z.object({
        target: z.enum(urgeTargets),
        party: Assignee,
        taskId: z.string().optional(),
        whistleId: z.string().optional(),
        reason: z.string(),
        count: z.number().int().meta({ description: "The party's urges on this case so far, this one included" }),
        ...by,
      }),
    )
    .optional()
    .meta({ description: 'Every urge (督办) of a responsible party by a supervisor' }),
  evaluation: EvaluationRecord.optional(),
  callBack: z.object({ dueAt: time, recordedAt: time }).optional(),
  reopenings: z
    .array(z.object({ at: time, evaluation: EvaluationRecord, closure: ClosureRecord }))
    .optional()
    .meta({ description: 'Every time an unsatisfied evaluation reopened the case, with the closure it undid' }),
  awaitingRevision: z.boolean().optional().meta({ description: 'Reopened: execution waits for a revised plan' }),
  repeats: z
    .array(z.object({ demand: z.string(), channel: z.string(), receivedAt: time, by: z.string() }))
    .optional()
    .meta({ description: 'The same demand again while the case was open (a progress reply, not a new case)' }),
  escalations: z
    .array(
      z.object({
        id: z.string(),
        status: z.enum(['proposed', 'open', 'settled']),
        reason: z.string(),
        at: time,
        whistleId: z.string().optional().meta({ description: 'The whistle blown for it: GET /api/whistles/{whistleId}' }),
        departments: z.array(z.string()).optional(),
        lead: z.string().optional(),
        outcome: z.object({ outcome: z.string(), note: z.string(), at: time, by: z.string() }).optional(),
      }),
    )
    .optional()
    .meta({ description: 'Proposed by a breached commitment, open while a whistle is out, settled with its outcome' }),
  unreachable: z
    .array(z.object({ notificationId: z.string(), recipient: z.object({ kind: z.enum(['partner', 'department']), id: z.string() }), kind: z.string(), since: time }))
    .optional()
    .meta({ description: 'Notices that reached nobody (dead letters) until a retry gets them through' }),
  projectionFailures: ProjectionFailures,
  timeline: z.array(TimelineEvent),
}).meta({ id: 'CaseView' });
export type CaseView = z.infer<typeof CaseView>;

/* ---------- building them ---------- */

export type CaseRow = typeof cases.$inferSelect;

export function summaryOf(deps: Pick<AppDeps, 'temporal'>, c: Omit<CaseSummary, 'links'>): CaseSummary {
  return { ...c, links: { self: `/api/cases/${c.id}`, temporalUi: workflowUiUrl(deps.temporal, caseWorkflowId(c.id)) } };
}

export function rowSummary(deps: Pick<AppDeps, 'temporal'>, row: CaseRow, stage = row.stage as CaseSummary['stage']): CaseSummary {
  return summaryOf(deps, {
    id: row.id,
    stage,
    stationId: row.stationId,
    serviceCode: row.serviceCode,
    category: row.category,
    deadlineClass: row.deadlineClass,
    channel: row.channel,
    demand: row.demand,
    openedAt: row.openedAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  });
}

/** The summary of a case from what its workflow was started with (or its live state). */
export function inputSummary(
  deps: Pick<AppDeps, 'temporal'>,
  c: Pick<OpenCaseInput, 'caseId' | 'stationId' | 'serviceCode' | 'category' | 'deadlineClass' | 'channel' | 'demand' | 'openedAt'>,
  stage: CaseSummary['stage'],
): CaseSummary {
  return summaryOf(deps, {
    id: c.caseId,
    stage,
    stationId: c.stationId,
    serviceCode: c.serviceCode,
    category: c.category as CaseSummary['category'],
    deadlineClass: c.deadlineClass,
    channel: c.channel as CaseSummary['channel'],
    demand: c.demand,
    openedAt: c.openedAt,
  });
}

export function listItem(deps: Pick<AppDeps, 'temporal'>, row: CaseRow): CaseListItem {
  return {
    ...rowSummary(deps, row),
    overdue: row.overdue,
    nextDueAt: row.nextDueAt?.toISOString() ?? null,
    paused: row.paused,
    resolution: (row.resolution as CaseListItem['resolution']) ?? null,
    partnerUnreachable: row.partnerUnreachable,
  };
}

function liveParts(state: CaseState, now: number) {
  const received = state.documents ?? [];
  return {
    owner: state.owner,
    acceptance: state.acceptance,
    diagnosis: state.diagnosis,
    plans: state.plans ?? [],
    tasks: state.tasks ?? [],
    documents: received,
    missingDocuments: state.catalogue ? missingDocuments(state) : undefined,
    pause: state.paused,
    clocks: (state.clocks ?? []).map((c) => clockView(c, now)),
    closure: state.closure,
    withdrawal: state.withdrawal,
    urges: state.urges ?? [],
    evaluation: state.evaluation,
    callBack: state.callBack,
    reopenings: state.reopenings ?? [],
    awaitingRevision: state.awaitingRevision ?? false,
    repeats: state.repeats ?? [],
    escalations: state.escalations ?? [],
    unreachable: state.unreachable ?? [],
    projectionFailures: state.projectionFailures ?? [],
  };
}

/**
 * The full view of a case. With the live state (the workflow answered) the progress comes from it;
 * without (live: false) from the read model row, and the live-only parts are left out.
 */
export async function caseView(
  deps: Pick<AppDeps, 'temporal' | 'database'>,
  row: CaseRow | undefined,
  state: CaseState | undefined,
  now = Date.now(),
): Promise<CaseView> {
  const timeline = await readTimeline(deps.database.db, row?.id ?? state!.caseId);
  if (!state) {
    const erased = row!.erasedAt ? { erasedAt: row!.erasedAt.toISOString() } : {};
    return { ...listItem(deps, row!), live: false, resident: row!.resident, ...erased, openedBy: row!.openedBy, relatedCaseId: row!.relatedCaseId ?? null, timeline };
  }
  const base = row ? rowSummary(deps, row, state.stage) : inputSummary(deps, state, state.stage);
  return {
    ...base,
    overdue: state.overdue ?? row?.overdue ?? false,
    nextDueAt: state.clocks ? (nextDueAt(state.clocks) ?? null) : (row?.nextDueAt?.toISOString() ?? null),
    paused: state.paused !== undefined,
    resolution: state.closure?.resolution ?? (state.withdrawal ? withdrawalResolution(state.withdrawal.kind) : null),
    partnerUnreachable: (state.unreachable ?? []).length > 0,
    live: true,
    resident: state.resident,
    openedBy: state.openedBy.id,
    relatedCaseId: state.relatedCaseId ?? row?.relatedCaseId ?? null,
    ...liveParts(state, now),
    timeline,
  };
}
