import { and, asc, eq, gte, lt, type SQL, sql } from 'drizzle-orm';
import type { PgColumn } from 'drizzle-orm/pg-core';
import { Router } from 'express';
import { z } from 'zod';
import type { Db } from '../../db/client';
import { departments, whistleCalls as wc, whistles as w } from '../../db/schema';
import { principalOf, type Principal } from '../http/auth';
import { idPattern } from '../http/schemas';
import type { AppDeps } from '../http/deps';
import { problemResponses, registry } from '../http/openapi';
import { problem } from '../http/problems';
import { parseOr400 } from '../http/validation';
import { QueryInstant, supportedRange } from '../http/instants';

/**
 * The departments' assessment (双向考核): how they answered whistles — check-in on time and its latency,
 * missed check-ins, reports and outcomes, disputes and their decisions — and how both sides rated; and how often
 * supervisors urged it (督办). Computed in SQL from the read model over the calls made in [from, to), the urges
 * from the timeline (case.urged events at a time in [from, to)).
 */

export const AssessmentQuery = z
  .strictObject({
    from: QueryInstant.meta({ description: `Calls made at or after this time; a date means 00:00 Asia/Shanghai; ${supportedRange.description}` }),
    to: QueryInstant.meta({ description: `Calls made before this time; must be after from; ${supportedRange.description}` }),
  })
  .refine((q) => q.to.getTime() > q.from.getTime(), { path: ['to'], message: 'must be after from' });

const count = z.int();
const mean = z.number().nullable();
const Figures = {
  calls: count.meta({ description: 'Calls of the department by whistles (released and replaced ones included)' }),
  checkedIn: count,
  checkedInOnTime: count.meta({ description: 'Checked in by the check-in deadline' }),
  missedCheckIns: count.meta({ description: 'Check-in deadlines missed (a call can miss again after an insisted dispute)' }),
  callsWithMissedCheckIn: count,
  averageCheckInLatencySeconds: mean.meta({ description: 'From the call to the check-in; null without check-ins' }),
  medianCheckInLatencySeconds: mean,
  reports: count,
  reportsOnTime: count,
  outcomes: z.object({ done: count, 'partly-done': count, cannot: count }),
  notReported: count.meta({ description: 'Calls of completed whistles, not released, without a report' }),
  disputes: count,
  disputeDecisions: z
    .object({ release: count, replace: count, insist: count, pending: count })
    .meta({ description: "Calls by the decision on their latest dispute" }),
  released: count.meta({ description: 'Calls released or replaced' }),
  ratings: z.object({ count, average: mean }).meta({ description: "The station's ratings of the department (1–5)" }),
  feedbackGiven: z.object({ count, average: mean }).meta({ description: "The department's ratings of the whistles (1–5)" }),
  urged: count.meta({
    description:
      'Times supervisors urged (督办) the department in the period — on a whistle that called it, or on a task assigned to it — by the time of the urge (case.urged timeline events naming it as the party)',
  }),
};
const Period = z.object({ from: z.iso.datetime({ offset: true }), to: z.iso.datetime({ offset: true }) });

export const DepartmentAssessment = z
  .object({ department: z.object({ id: z.string(), name: z.string(), nameZh: z.string() }), period: Period, ...Figures })
  .meta({ id: 'DepartmentAssessment' });
type DepartmentAssessment = z.infer<typeof DepartmentAssessment>;

registry.registerPath({
  method: 'get',
  path: '/api/departments/{id}/assessment',
  operationId: 'getDepartmentAssessment',
  summary: "A department's whistle assessment over a period",
  request: { params: z.object({ id: z.string().regex(idPattern) }), query: AssessmentQuery },
  responses: {
    200: { description: 'The figures', content: { 'application/json': { schema: DepartmentAssessment } } },
    ...problemResponses(400, 401, 403, 404),
  },
});
registry.registerPath({
  method: 'get',
  path: '/api/assessments/departments',
  operationId: 'listDepartmentAssessments',
  summary: 'The whistle assessment of every department over a period, by department id (zero calls included)',
  request: { query: AssessmentQuery },
  responses: {
    200: {
      description: 'The figures per department',
      content: { 'application/json': { schema: z.object({ period: Period, items: z.array(DepartmentAssessment) }).meta({ id: 'DepartmentAssessments' }) } },
    },
    ...problemResponses(400, 401, 403),
  },
});

/* ---------- the figures, in SQL ---------- */

const int = (expr: SQL) => sql<number>`(${expr})::int`;
const calls = (where: SQL) => int(sql`count(*) filter (where ${where})`);
const countOf = (c: PgColumn) => int(sql`count(${c})`);
const sumOf = (c: PgColumn) => int(sql`coalesce(sum(${c}), 0)`);
const avgOf = (c: PgColumn) => sql<number | null>`avg(${c})::float8`;

const figures = {
  calls: countOf(wc.whistleId),
  checkedIn: countOf(wc.checkedInAt),
  checkedInOnTime: calls(sql`${wc.checkedInAt} <= ${wc.checkInDueAt}`),
  missedCheckIns: sumOf(wc.missedCheckIns),
  callsWithMissedCheckIn: calls(sql`${wc.missedCheckIns} > 0`),
  averageCheckInLatencySeconds: avgOf(wc.checkInLatencySeconds),
  // percentile_cont skips nulls (calls not checked in); null when there is none.
  medianCheckInLatencySeconds: sql<number | null>`percentile_cont(0.5) within group (order by ${wc.checkInLatencySeconds})`,
  reports: countOf(wc.reportedAt),
  reportsOnTime: calls(sql`${wc.reportOnTime}`),
  done: calls(sql`${wc.reportOutcome} = 'done'`),
  partlyDone: calls(sql`${wc.reportOutcome} = 'partly-done'`),
  cannot: calls(sql`${wc.reportOutcome} = 'cannot'`),
  notReported: calls(sql`${w.status} in ('completed', 'finished') and ${wc.status} <> 'released' and ${wc.reportedAt} is null`),
  disputes: sumOf(wc.disputes),
  release: calls(sql`${wc.disputeDecision} = 'release'`),
  replace: calls(sql`${wc.disputeDecision} = 'replace'`),
  insist: calls(sql`${wc.disputeDecision} = 'insist'`),
  pending: calls(sql`${wc.disputeDecision} = 'pending'`),
  released: calls(sql`${wc.status} = 'released'`),
  ratingCount: countOf(wc.rating),
  ratingAverage: avgOf(wc.rating),
  feedbackCount: countOf(wc.feedback),
  feedbackAverage: avgOf(wc.feedback),
};

/**
 * Urges of the department in [from, to): the timeline's case.urged events whose party is it, read through the
 * interventions' partial index on (type, at) (migration 0006). Per department, beside the grouped calls.
 */
const urgedIn = (from: Date, to: Date) =>
  int(sql`(select count(*) from case_events e where e.type = 'case.urged'
    and e.at >= ${from.toISOString()}::timestamptz and e.at < ${to.toISOString()}::timestamptz
    and e.data->'party'->>'kind' = 'department' and e.data->'party'->>'id' = ${departments.id})`);

/** The figures of each department `which` selects, over the calls made in [from, to): departments without calls get zeros. */
async function assess(db: Db, which: SQL | undefined, from: Date, to: Date): Promise<DepartmentAssessment[]> {
  const rows = await db
    .select({ id: departments.id, name: departments.name, nameZh: departments.nameZh, ...figures, urged: urgedIn(from, to) })
    .from(departments)
    .leftJoin(wc, and(eq(wc.departmentId, departments.id), gte(wc.calledAt, from), lt(wc.calledAt, to)))
    .leftJoin(w, eq(w.id, wc.whistleId))
    .where(which)
    .groupBy(departments.id)
    .orderBy(asc(departments.id));
  const num = (v: unknown) => (v === null || v === undefined ? null : Number(v));
  return rows.map(({ id, name, nameZh, done, partlyDone, cannot, release, replace, insist, pending, ratingCount, ratingAverage, feedbackCount, feedbackAverage, ...r }) => ({
    department: { id, name, nameZh },
    period: { from: from.toISOString(), to: to.toISOString() },
    ...r,
    averageCheckInLatencySeconds: num(r.averageCheckInLatencySeconds),
    medianCheckInLatencySeconds: num(r.medianCheckInLatencySeconds),
    outcomes: { done, 'partly-done': partlyDone, cannot },
    disputeDecisions: { release, replace, insist, pending },
    ratings: { count: ratingCount, average: num(ratingAverage) },
    feedbackGiven: { count: feedbackCount, average: num(feedbackAverage) },
  }));
}

/** The department to assess, or 404; 403 outside the caller's scope. */
async function departmentInScope(db: Db, p: Principal, id: string): Promise<void> {
  const [d] = idPattern.test(id) ? await db.select().from(departments).where(eq(departments.id, id)) : [];
  if (!d) throw problem(404, `Department ${id} not found`, { type: 'department-not-found' });
  if (p.role === 'admin' || (p.role === 'department' && p.departmentId === id) || (p.role === 'supervisor' && p.subdistrictId === d.subdistrictId)) return;
  const scope = p.role === 'department' ? 'its own department only' : `subdistrict ${p.subdistrictId ?? '(none)'}`;
  throw problem(403, `Your ${p.role} token covers ${scope}, not department ${id}`, { type: 'forbidden-scope' });
}

export function assessmentRouter(deps: AppDeps): Router {
  const router = Router();
  const { db } = deps.database;

  router.get('/departments/:id/assessment', async (req, res) => {
    const p = principalOf(res);
    const id = String(req.params.id);
    const { from, to } = parseOr400(AssessmentQuery, req.query, 'query');
    await departmentInScope(db, p, id);
    const [assessment] = await assess(db, eq(departments.id, id), from, to);
    res.json(assessment);
  });

  router.get('/assessments/departments', async (req, res) => {
    const p = principalOf(res);
    const { from, to } = parseOr400(AssessmentQuery, req.query, 'query');
    const which = p.role === 'supervisor' ? eq(departments.subdistrictId, p.subdistrictId ?? '') : undefined;
    res.json({ period: { from: from.toISOString(), to: to.toISOString() }, items: await assess(db, which, from, to) });
  });

  return router;
}
