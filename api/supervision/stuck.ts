import { type SQL, sql } from 'drizzle-orm';
import type { Db } from '../../db/client';
import { dateOf, rowsOf } from '../../db/rows';
import type { FoundReason, PartyKind, StuckReason, StuckThresholds } from './reasons';

/**
 * The stuck query: every reason a case is stuck, found in the read model alone, one small partial index
 * per reason (db/schema.ts, "the stuck query's candidates"), so it stays fast as cases grow. Temporal is
 * asked nothing here; only the diagnostics of one case describe its workflow.
 */

export interface StuckFilter {
  /** The stations the caller may see; undefined: all. */
  visibleStations?: string[];
  reasons?: StuckReason[];
  stationId?: string;
  /** Only reasons whose responsible party is this department. */
  departmentId?: string;
  category?: string;
  /** Only reasons older than this. */
  olderThanMs?: number;
}

const list = (values: string[]) => sql.join(values.map((v) => sql`${v}`), sql`, `);
const ms = (n: number) => sql`(${n}::double precision * interval '1 millisecond')`;

/**
 * One row per reason: (case_id, reason, since, party_kind, party_id, detail). `now` is a parameter, so one
 * request judges every reason at the same instant.
 */
function reasonsSql(now: Date, t: StuckThresholds): SQL {
  const at = sql`${now.toISOString()}::timestamptz`;
  return sql`
    -- overdue: each running commitment past its deadline, owed by its assignee
    SELECT c.id AS case_id, 'overdue' AS reason, (oc->>'dueAt')::timestamptz AS since,
      oc->'assignee'->>'kind' AS party_kind, oc->'assignee'->>'id' AS party_id,
      jsonb_build_object('commitment', oc->>'clock', 'kind', oc->>'kind', 'dueAt', oc->>'dueAt') AS detail
    FROM cases c CROSS JOIN LATERAL jsonb_array_elements(c.overdue_commitments) oc
    WHERE c.overdue
    UNION ALL
    -- overdue, projected before the list of overdue commitments existed: owed by the owner
    SELECT c.id, 'overdue', coalesce(c.next_due_at, c.updated_at), 'staff', coalesce(c.owner, c.opened_by), '{}'::jsonb
    FROM cases c WHERE c.overdue AND jsonb_array_length(c.overdue_commitments) = 0
    UNION ALL
    -- a called department has not checked in by its deadline
    SELECT w.case_id, 'check-in-missed', wc.check_in_due_at, 'department', wc.department_id,
      jsonb_build_object('whistleId', w.id, 'role', wc.role, 'calledAt', wc.called_at, 'dueAt', wc.check_in_due_at)
    FROM whistle_calls wc JOIN whistles w ON w.id = wc.whistle_id
    WHERE wc.state <> 'done' AND wc.due_at < ${at} AND wc.status = 'awaiting-check-in' AND w.status = 'open'
    UNION ALL
    -- a department checked in and has not reported by its deadline
    SELECT w.case_id, 'report-overdue', wc.report_due_at, 'department', wc.department_id,
      jsonb_build_object('whistleId', w.id, 'role', wc.role, 'checkedInAt', wc.checked_in_at, 'dueAt', wc.report_due_at)
    FROM whistle_calls wc JOIN whistles w ON w.id = wc.whistle_id
    WHERE wc.state <> 'done' AND wc.due_at < ${at} AND wc.status = 'checked-in' AND w.status = 'open'
    UNION ALL
    -- a notice reached no channel (dead letter), until a retry gets it through
    SELECT n.case_id, 'partner-unreachable',
      coalesce((SELECT max(d.gave_up_at) FROM deliveries d WHERE d.notification_id = n.notification_id), n.created_at),
      n.recipient_kind, n.recipient_id,
      jsonb_build_object('notificationId', n.notification_id, 'kind', n.kind, 'partnerId', n.partner_id)
    FROM notifications n WHERE n.delivery_status = 'unreachable'
    UNION ALL
    -- an activity of the case, one of its whistles or one of its deliveries keeps failing
    SELECT coalesce(cw.id, ww.case_id, nn.case_id),
      CASE WHEN p.activity_type = 'workflow-task' THEN 'workflow-task-failing' ELSE 'activity-retrying' END,
      p.first_failed_at, 'operator', NULL,
      jsonb_build_object('workflowId', p.workflow_id, 'activityId', p.activity_id, 'activityType', p.activity_type, 'local', p.local,
        'attempt', p.attempt, 'lastFailure', p.last_failure, 'lastFailedAt', p.last_failed_at)
    FROM workflow_problems p
      LEFT JOIN cases cw ON cw.workflow_id = p.workflow_id
      LEFT JOIN whistles ww ON ww.workflow_id = p.workflow_id
      LEFT JOIN notifications nn ON nn.notification_id =
        (CASE WHEN p.workflow_id ~ '^notification-[0-9a-f-]{36}$' THEN substr(p.workflow_id, 14)::uuid END)
    WHERE p.attempt >= (CASE WHEN p.activity_type = 'workflow-task' THEN ${t.workflowTaskAttempts}::int ELSE ${t.activityAttempts}::int END)
      -- a note no attempt renewed for an hour is stale (retries are at most a minute apart)
      AND p.last_failed_at > ${at} - interval '1 hour'
    UNION ALL
    -- open, not waiting on the resident, and no person's action for longer than the class allows
    SELECT c.id, 'idle', c.last_progress_at, 'staff', coalesce(c.owner, c.opened_by),
      jsonb_build_object('stage', c.stage, 'deadlineClass', c.deadline_class,
        'idleAfterMs', coalesce(dc.idle_after_hours * 3600000, ${t.idleAfterMs}::double precision))
    FROM cases c JOIN deadline_classes dc ON dc.code = c.deadline_class
    WHERE c.resolution IS NULL AND c.stage <> 'closed' AND NOT c.paused
      -- the shortest threshold of any class first: a bound the partial index can use
      AND c.last_progress_at < ${at} - (SELECT least(${t.idleAfterMs}::double precision, min(idle_after_hours) * 3600000) * interval '1 millisecond' FROM deadline_classes)
      AND c.last_progress_at < ${at} - coalesce(dc.idle_after_hours * 3600000, ${t.idleAfterMs}::double precision) * interval '1 millisecond'
    UNION ALL
    -- paused for the resident longer than the threshold: the owner follows up
    SELECT c.id, 'awaiting-resident', c.paused_since, 'resident', NULL, jsonb_build_object('owner', coalesce(c.owner, c.opened_by))
    FROM cases c WHERE c.paused AND c.paused_since < ${at} - ${ms(t.awaitingResidentAfterMs)}
    UNION ALL
    -- closed, the evaluation not in by the call-back time: the owner calls back
    SELECT c.id, 'call-back-due', c.call_back_due_at, 'staff', coalesce(c.owner, c.opened_by), jsonb_build_object('dueAt', c.call_back_due_at)
    FROM cases c WHERE c.call_back_due_at IS NOT NULL AND c.call_back_due_at < ${at}`;
}

/** The conditions on a reason `r` of a case `c` that the filter asks for. */
function whereSql(f: StuckFilter, now: Date): SQL {
  const conditions: SQL[] = [sql`r.case_id IS NOT NULL`];
  if (f.visibleStations) conditions.push(f.visibleStations.length ? sql`c.station_id IN (${list(f.visibleStations)})` : sql`false`);
  if (f.stationId) conditions.push(sql`c.station_id = ${f.stationId}`);
  if (f.category) conditions.push(sql`c.category = ${f.category}`);
  if (f.reasons?.length) conditions.push(sql`r.reason IN (${list(f.reasons)})`);
  if (f.departmentId) conditions.push(sql`r.party_kind = 'department' AND r.party_id = ${f.departmentId}`);
  if (f.olderThanMs !== undefined) conditions.push(sql`r.since < ${now.toISOString()}::timestamptz - ${ms(f.olderThanMs)}`);
  return sql.join(conditions, sql` AND `);
}

export interface StuckCase {
  caseId: string;
  stationId: string;
  serviceCode: string;
  category: string;
  deadlineClass: string;
  stage: string;
  openedAt: Date;
  owner: string;
  /** The oldest reason's start: what the list is ordered by. */
  firstSince: Date;
  reasons: FoundReason[];
}

/** Keyset of the stuck list: the oldest reason's start, then the case id. */
export interface StuckCursor {
  since: Date;
  caseId: string;
}

interface RawReason {
  reason: StuckReason;
  since: string;
  partyKind: PartyKind;
  partyId: string | null;
  detail: Record<string, unknown>;
}

const foundReason = (r: RawReason): FoundReason => ({
  reason: r.reason,
  since: dateOf(r.since),
  party: { kind: r.partyKind, ...(r.partyId ? { id: r.partyId } : {}) },
  detail: r.detail,
});

/** A page of stuck cases, the oldest reason first; `limit + 1` rows tell whether another page follows. */
export async function findStuck(db: Db, f: StuckFilter, page: { limit: number; after?: StuckCursor }, now: Date, t: StuckThresholds): Promise<StuckCase[]> {
  const after = page.after ? sql`HAVING (min(r.since), r.case_id) > (${page.after.since.toISOString()}::timestamptz, ${page.after.caseId})` : sql``;
  // The page's cases first, from the reasons' keys alone; then the particulars of those cases' reasons only.
  const rows = await rowsOf<Record<string, unknown>>(
    db,
    sql`WITH r AS NOT MATERIALIZED (${reasonsSql(now, t)}),
      page AS (
        SELECT r.case_id, min(r.since) AS first_since
        FROM r JOIN cases c ON c.id = r.case_id
        WHERE ${whereSql(f, now)}
        GROUP BY r.case_id
        ${after}
        ORDER BY first_since, r.case_id
        LIMIT ${page.limit + 1}::int)
      SELECT c.id, c.station_id, c.service_code, c.category, c.deadline_class, c.stage, c.opened_at, coalesce(c.owner, c.opened_by) AS owner,
        p.first_since,
        jsonb_agg(jsonb_build_object('reason', r.reason, 'since', r.since, 'partyKind', r.party_kind, 'partyId', r.party_id, 'detail', r.detail)
          ORDER BY r.since, r.reason) AS reasons
      FROM page p JOIN cases c ON c.id = p.case_id JOIN r ON r.case_id = p.case_id
      WHERE ${whereSql(f, now)}
      GROUP BY c.id, p.first_since
      ORDER BY p.first_since, c.id`,
  );
  return rows.map((row) => ({
    caseId: String(row.id),
    stationId: String(row.station_id),
    serviceCode: String(row.service_code),
    category: String(row.category),
    deadlineClass: String(row.deadline_class),
    stage: String(row.stage),
    openedAt: dateOf(row.opened_at),
    owner: String(row.owner),
    firstSince: dateOf(row.first_since),
    reasons: (typeof row.reasons === 'string' ? (JSON.parse(row.reasons) as RawReason[]) : (row.reasons as RawReason[])).map(foundReason),
  }));
}

export interface SummaryRow {
  /** The reason's row over all stations and departments. */
  total: boolean;
  reason: StuckReason;
  stationId: string;
  /** The responsible department, for reasons that are a department's. */
  departmentId: string | null;
  /** Reasons found (a case can be overdue on two commitments). */
  count: number;
  cases: number;
  oldestSince: Date;
  oldestCaseId: string;
}

/** Counts per reason × station × department, with the oldest of each: the first screen of a supervisor's morning. */
export async function summarizeStuck(db: Db, f: StuckFilter, now: Date, t: StuckThresholds): Promise<SummaryRow[]> {
  const rows = await rowsOf<Record<string, unknown>>(
    db,
    sql`WITH r AS (${reasonsSql(now, t)})
      SELECT r.reason, c.station_id, CASE WHEN r.party_kind = 'department' THEN r.party_id END AS department_id,
        grouping(c.station_id) = 1 AS total,
        count(*)::int AS count, count(DISTINCT r.case_id)::int AS cases, min(r.since) AS oldest_since,
        (array_agg(r.case_id ORDER BY r.since, r.case_id))[1] AS oldest_case_id
      FROM r JOIN cases c ON c.id = r.case_id
      WHERE ${whereSql(f, now)}
      -- each reason × station × department, and each reason over all (its cases counted once)
      GROUP BY GROUPING SETS ((r.reason, c.station_id, CASE WHEN r.party_kind = 'department' THEN r.party_id END), (r.reason))
      ORDER BY 1, 2, 3`,
  );
  return rows.map((row) => ({
    total: row.total === true || row.total === 't',
    reason: row.reason as StuckReason,
    stationId: String(row.station_id),
    departmentId: row.department_id === null || row.department_id === undefined ? null : String(row.department_id),
    count: Number(row.count),
    cases: Number(row.cases),
    oldestSince: dateOf(row.oldest_since),
    oldestCaseId: String(row.oldest_case_id),
  }));
}

/**
 * Stuck cases per reason (each case once per reason), over every station: GET /metrics's
 * stationflow_stuck_cases. The same reasons as the list and the summary, without their particulars.
 */
export async function countStuckByReason(db: Db, now: Date, t: StuckThresholds): Promise<Map<StuckReason, number>> {
  const rows = await rowsOf<Record<string, unknown>>(
    db,
    sql`WITH r AS (${reasonsSql(now, t)})
      SELECT r.reason, count(DISTINCT r.case_id)::int AS cases FROM r WHERE r.case_id IS NOT NULL GROUP BY r.reason`,
  );
  return new Map(rows.map((row) => [row.reason as StuckReason, Number(row.cases)]));
}
