import { z } from 'zod';
import { goalUnits, whistleCalls, whistleInboxStates, whistles } from '../../db/schema';
import { whistleWorkflowId, workflowUiUrl } from '../../temporal/client';
import { callDueAt, callInboxState, callRole, checkInLatencySeconds, notifiedCalls, whistleProgress } from '../../workflows/whistle/facts';
import {
  type DepartmentCall,
  disputeDecisions,
  type ReportOutcome,
  reportOutcomes,
  type WhistleState,
  whistleReasons,
} from '../../workflows/whistle/messages';
import { awaitedDepartments } from '../../workflows/whistle/rules';
import { CaseId, caseIdPattern } from '../cases/view';
import { ClockView, clockView, ProjectionFailures, readTimeline, TimelineEvent } from '../http/views';
import type { AppDeps } from '../http/deps';

/**
 * What the API answers about a whistle: the list item (the inbox), and the full view — live from the
 * whistle workflow, or from the read model when no worker answers. Neither holds resident data: a whistle
 * carries the summary and location it was blown with, never the case's resident.
 */

export const whistleIdPattern = new RegExp(`^${caseIdPattern.source.slice(1, -1)}-W\\d+$`);
export const WhistleId = z.string().regex(whistleIdPattern, 'must be a whistle id like QG-20261123-0001-W1');

const time = z.iso.datetime({ offset: true });
const callStatuses = ['awaiting-check-in', 'checked-in', 'disputed', 'reported', 'released'] as const;
const roles = ['lead', 'co-handler'] as const;

const Dispute = z
  .object({
    reason: z.string(),
    at: time,
    by: z.string(),
    decision: z.enum(disputeDecisions).optional().meta({ description: "The supervisor's decision; absent while pending" }),
    decidedAt: time.optional(),
    decidedBy: z.string().optional(),
    note: z.string().optional(),
  })
  .meta({ id: 'WhistleDisputeRecord' });

const Scored = z.object({ score: z.int(), comment: z.string().optional(), at: time.optional(), by: z.string().optional() });

export const WhistleCall = z
  .object({
    departmentId: z.string(),
    role: z.enum(roles),
    status: z.enum(callStatuses),
    state: z.enum(whistleInboxStates).meta({ description: "The department's own inbox state for this whistle" }),
    dueAt: time.nullable().meta({ description: "The department's next deadline here: check-in, then report; null when done" }),
    calledAt: time,
    checkInDueAt: time,
    reportDueAt: time,
    checkedInAt: time.optional().meta({ description: 'The first check-in: checking in again keeps it' }),
    checkInLatencySeconds: z.number().nullable().meta({ description: 'Calendar seconds from the call to the check-in' }),
    missedCheckIns: z.int(),
    disputes: z.array(Dispute),
    report: z
      .object({ outcome: z.enum(reportOutcomes), note: z.string().optional(), at: time, by: z.string().optional(), onTime: z.boolean() })
      .optional(),
    rating: Scored.optional().meta({ description: "The station's rating of the department's response" }),
    feedback: Scored.optional().meta({ description: "The department's rating of the whistle" }),
    releasedAt: time.optional(),
    replacedBy: z.string().optional(),
    replaces: z.string().optional(),
  })
  .meta({ id: 'WhistleCall' });
type WhistleCall = z.infer<typeof WhistleCall>;

const OwnCall = WhistleCall.pick({ role: true, status: true, state: true, dueAt: true, checkInDueAt: true, reportDueAt: true, checkedInAt: true }).meta({
  id: 'WhistleOwnCall',
  description: "A department's own call on the whistle (departments' inbox only)",
});

const outcomes = [...reportOutcomes, 'closed'] as const;

const summaryShape = {
  id: WhistleId,
  caseId: CaseId,
  stationId: z.string(),
  subdistrictId: z.string(),
  reason: z.enum(whistleReasons),
  urgency: z.string(),
  summary: z.string(),
  location: z.string().nullable(),
  serviceCode: z.string(),
  initiatedBy: z.string(),
  initiatedAt: time,
  status: z.enum(['open', 'completed', 'finished']).meta({ description: 'open → completed (outcome known) → finished (rating window closed)' }),
  state: z.enum(whistleInboxStates),
  lead: z.string(),
  awaitingDepartments: z.array(z.string()),
  nextDueAt: time.nullable(),
  overdue: z.boolean(),
  outcome: z.enum(outcomes).nullable(),
  links: z.object({ self: z.string(), case: z.string(), temporalUi: z.string().optional() }),
};

export const WhistleListItem = z.object({ ...summaryShape, call: OwnCall.optional() }).meta({ id: 'WhistleListItem' });
export type WhistleListItem = z.infer<typeof WhistleListItem>;

export const WhistleView = z
  .object({
    ...summaryShape,
    live: z.boolean().meta({ description: 'True when the whistle workflow answered; false: read model only (no clocks, no rules)' }),
    rules: z
      .object({
        urgency: z.string(),
        checkInGoal: z.number(),
        checkInUnit: z.enum(goalUnits),
        reportGoal: z.number(),
        reportUnit: z.enum(goalUnits),
        ratingWindowHours: z.number(),
      })
      .optional()
      .meta({ description: "The urgency's deadlines as they stood when the whistle was blown" }),
    completion: z
      .object({ outcome: z.enum(outcomes), note: z.string(), at: time, by: z.string().optional() })
      .optional()
      .meta({ description: "The lead's report, or the supervisor's closure" }),
    calls: z.array(WhistleCall),
    clocks: z.array(ClockView).optional(),
    projectionFailures: ProjectionFailures,
    timeline: z.array(TimelineEvent).meta({ description: "The whistle's own events, in its own sequence" }),
  })
  .meta({ id: 'WhistleView' });
export type WhistleView = z.infer<typeof WhistleView>;

export type WhistleRow = typeof whistles.$inferSelect;
export type CallRow = typeof whistleCalls.$inferSelect;
type Timeline = WhistleView['timeline'];
type Deps = Pick<AppDeps, 'temporal' | 'database'>;

const links = (deps: Pick<AppDeps, 'temporal'>, w: { id: string; caseId: string }) => ({
  self: `/api/whistles/${w.id}`,
  case: `/api/cases/${w.caseId}`,
  temporalUi: workflowUiUrl(deps.temporal, whistleWorkflowId(w.id)),
});
const iso = (d: Date | null) => d?.toISOString() ?? undefined;

/* ---------- from the read model ---------- */

export function listItem(deps: Pick<AppDeps, 'temporal'>, row: WhistleRow, own?: CallRow): WhistleListItem {
  return {
    id: row.id,
    caseId: row.caseId,
    stationId: row.stationId,
    subdistrictId: row.subdistrictId,
    reason: row.reason as WhistleListItem['reason'],
    urgency: row.urgency,
    summary: row.summary,
    location: row.location,
    serviceCode: row.serviceCode,
    initiatedBy: row.initiatedBy,
    initiatedAt: row.initiatedAt.toISOString(),
    status: row.status as WhistleListItem['status'],
    state: row.state,
    lead: row.leadDepartmentId,
    awaitingDepartments: row.awaitingDepartments,
    nextDueAt: row.nextDueAt?.toISOString() ?? null,
    overdue: row.overdue,
    outcome: row.outcome as WhistleListItem['outcome'],
    links: links(deps, row),
    ...(own
      ? {
          call: {
            role: own.role,
            status: own.status as WhistleCall['status'],
            state: own.state,
            dueAt: own.dueAt?.toISOString() ?? null,
            checkInDueAt: own.checkInDueAt.toISOString(),
            reportDueAt: own.reportDueAt.toISOString(),
            checkedInAt: iso(own.checkedInAt),
          },
        }
      : {}),
  };
}

/** A department's disputes and their decisions, rebuilt from the whistle's timeline (the rows only count them). */
function disputesOf(timeline: Timeline, departmentId: string): WhistleCall['disputes'] {
  const disputes: WhistleCall['disputes'] = [];
  for (const e of timeline.filter((x) => x.data.departmentId === departmentId)) {
    const pending = disputes.at(-1);
    if (e.type === 'whistle.disputed') disputes.push({ reason: String(e.data.reason), at: e.at, by: e.actor });
    else if (e.type === 'whistle.decided' && pending && !pending.decision) {
      Object.assign(pending, { decision: e.data.decision, decidedAt: e.at, decidedBy: e.actor, ...(e.data.note ? { note: e.data.note } : {}) });
    }
  }
  return disputes;
}

function rowCall(row: WhistleRow, c: CallRow, timeline: Timeline): WhistleCall {
  const reported = timeline.find((e) => e.type === 'whistle.reported' && e.data.departmentId === c.departmentId);
  const scored = (score: number | null, comment: string | null) => (score === null ? undefined : { score, ...(comment ? { comment } : {}) });
  return {
    departmentId: c.departmentId,
    role: c.departmentId === row.leadDepartmentId ? 'lead' : 'co-handler',
    status: c.status as WhistleCall['status'],
    state: c.state,
    dueAt: c.dueAt?.toISOString() ?? null,
    calledAt: c.calledAt.toISOString(),
    checkInDueAt: c.checkInDueAt.toISOString(),
    reportDueAt: c.reportDueAt.toISOString(),
    checkedInAt: iso(c.checkedInAt),
    checkInLatencySeconds: c.checkInLatencySeconds,
    missedCheckIns: c.missedCheckIns,
    disputes: disputesOf(timeline, c.departmentId),
    report:
      c.reportOutcome && c.reportedAt
        ? { outcome: c.reportOutcome as ReportOutcome, note: reported?.data.note as string | undefined, at: c.reportedAt.toISOString(), by: reported?.actor, onTime: c.reportOnTime ?? false }
        : undefined,
    rating: scored(c.rating, c.ratingComment),
    feedback: scored(c.feedback, c.feedbackComment),
    releasedAt: iso(c.releasedAt),
    replacedBy: c.replacedBy ?? undefined,
    replaces: c.replaces ?? undefined,
  };
}

function rowView(deps: Deps, row: WhistleRow, calls: CallRow[], timeline: Timeline): WhistleView {
  const { call: _none, ...item } = listItem(deps, row);
  const completion =
    row.outcome && row.completedAt ? { outcome: row.outcome as ReportOutcome | 'closed', note: row.outcomeNote ?? '', at: row.completedAt.toISOString() } : undefined;
  return { ...item, live: false, completion, calls: calls.map((c) => rowCall(row, c, timeline)), timeline };
}

/* ---------- from the live state ---------- */

/** A call as the workflow holds it, with the facts the read model projects (workflows/whistle/facts.ts). */
function liveCall(s: WhistleState, c: DepartmentCall): WhistleCall {
  const { checkedInBy: _by, ...call } = c;
  const state = callInboxState(s, c);
  return {
    ...call,
    role: callRole(s, c),
    state,
    dueAt: callDueAt(c, state),
    checkInLatencySeconds: checkInLatencySeconds(c),
  };
}

function liveView(deps: Deps, s: WhistleState, timeline: Timeline, now: number): WhistleView {
  // A department is on the whistle from its first moment; it shows here once notified, with its deadlines.
  const calls = notifiedCalls(s).map((c) => liveCall(s, c));
  const progress = whistleProgress(s);
  return {
    id: s.whistleId,
    caseId: s.caseId,
    stationId: s.stationId,
    subdistrictId: s.subdistrictId,
    reason: s.reason,
    urgency: s.rules.urgency,
    summary: s.summary,
    location: s.location ?? null,
    serviceCode: s.serviceCode,
    initiatedBy: s.initiatedBy.id,
    initiatedAt: s.initiatedAt,
    status: s.status,
    state: progress.state,
    lead: s.lead,
    awaitingDepartments: awaitedDepartments(s),
    nextDueAt: progress.nextDueAt,
    overdue: progress.overdue,
    outcome: s.completion?.outcome ?? null,
    links: links(deps, { id: s.whistleId, caseId: s.caseId }),
    live: true,
    rules: s.rules,
    completion: s.completion,
    calls,
    clocks: s.clocks.map((c) => clockView(c, now)),
    projectionFailures: s.projectionFailures ?? [],
    timeline,
  };
}

/**
 * The full view of a whistle with its own timeline: from the live state when the workflow answered,
 * else from the read model's rows (`live: false`).
 */
export async function whistleView(
  deps: Deps,
  source: { state: WhistleState } | { row: WhistleRow; calls: CallRow[] },
  now = Date.now(),
): Promise<WhistleView> {
  if ('state' in source) return liveView(deps, source.state, await readTimeline(deps.database.db, source.state.caseId, source.state.whistleId), now);
  const timeline = await readTimeline(deps.database.db, source.row.caseId, source.row.id);
  return rowView(deps, source.row, source.calls, timeline);
}
