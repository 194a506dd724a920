import { inArray } from 'drizzle-orm';
import { Router } from 'express';
import { z } from 'zod';
import { departments, partners, serviceCategories } from '../../db/schema';
import type { Db } from '../../db/client';
import { principalOf } from '../http/auth';
import { cursorCodec, cursorPart } from '../http/cursor';
import type { AppDeps } from '../http/deps';
import { problemResponses, registry } from '../http/openapi';
import { parseOr400 } from '../http/validation';
import { CaseId, caseIdPattern } from '../cases/view';
import { ageInWords, type FoundReason, type Party, partyKinds, reasonInWords, stuckReasons } from './reasons';
import { findStuck, summarizeStuck } from './stuck';
import { scopedFilter, StuckQuery, SummaryQuery, thresholdsOf } from './filter';
import { batchesRouter } from './batches';

/**
 * Supervisors' questions, answered from the read model: what is stuck, why, whose move
 * (GET /api/supervision/stuck), and how much of it there is where (GET /api/supervision/summary).
 */

const time = z.iso.datetime({ offset: true });

const PartyView = z
  .object({
    kind: z.enum(partyKinds),
    id: z.string().optional(),
    name: z.string().optional().meta({ description: "A department's or partner's name" }),
  })
  .meta({ id: 'ResponsibleParty', description: 'Whose move it is. The resident is never named here' });

const ReasonView = z
  .object({
    reason: z.enum(stuckReasons),
    since: time.meta({ description: 'When the reason began: the deadline passed, the last progress, the pause, the first failure' }),
    ageSeconds: z.number().int(),
    age: z.string().meta({ example: '3 d 4 h' }),
    responsible: PartyView,
    words: z.string().meta({ description: 'The reason as a supervisor reads it' }),
    detail: z.record(z.string(), z.unknown()).meta({ description: 'The commitment, whistle, notice or activity concerned' }),
  })
  .meta({ id: 'StuckReason' });

const StuckItem = z
  .object({
    caseId: CaseId,
    stationId: z.string(),
    serviceCode: z.string(),
    category: z.enum(serviceCategories),
    deadlineClass: z.string(),
    stage: z.string(),
    openedAt: time,
    owner: z.string(),
    stuckSince: time.meta({ description: 'The oldest reason: the list is ordered by it, oldest first' }),
    reasons: z.array(ReasonView),
    links: z.object({ case: z.string(), diagnostics: z.string() }),
  })
  .meta({ id: 'StuckCase' });
const StuckList = z.object({ asOf: time, items: z.array(StuckItem), nextCursor: z.string().optional() }).meta({ id: 'StuckList' });

const SummaryCell = z.object({
  reason: z.enum(stuckReasons),
  stationId: z.string(),
  departmentId: z.string().nullable().meta({ description: "The responsible department, for a department's reasons" }),
  count: z.number().int().meta({ description: 'Reasons found (a case can be overdue on two commitments)' }),
  cases: z.number().int(),
  oldest: z.object({ caseId: CaseId, since: time, age: z.string() }),
});
const Summary = z
  .object({
    asOf: time,
    totals: z.array(z.object({ reason: z.enum(stuckReasons), count: z.number().int(), cases: z.number().int() })),
    cells: z.array(SummaryCell),
  })
  .meta({ id: 'StuckSummary' });

const scopeWords =
  'Supervisors see their subdistrict, staff their station, a department the reasons it is responsible for, admins everything.';
registry.registerPath({
  method: 'get',
  path: '/api/supervision/stuck',
  operationId: 'listStuckCases',
  summary: 'Stuck cases with their reasons, ages and responsible parties, the oldest first',
  description: `Reasons: ${stuckReasons.join(', ')} (README "Supervision"). ${scopeWords} Cursor-paged.`,
  request: { query: StuckQuery },
  responses: { 200: { description: 'A page of stuck cases', content: { 'application/json': { schema: StuckList } } }, ...problemResponses(400, 401, 403) },
});
registry.registerPath({
  method: 'get',
  path: '/api/supervision/summary',
  operationId: 'getStuckSummary',
  summary: 'Stuck reasons counted per reason × station × department, with the oldest of each',
  description: scopeWords,
  request: { query: SummaryQuery },
  responses: { 200: { description: 'The counts', content: { 'application/json': { schema: Summary } } }, ...problemResponses(400, 401, 403) },
});

const stuckCursor = cursorCodec<{ since: Date; caseId: string }>({ since: cursorPart.instant, caseId: cursorPart.id(caseIdPattern) });

/** Names of the departments and partners among the parties (master data), by kind and id. */
async function partyNames(db: Db, parties: Party[]): Promise<Map<string, string>> {
  const ids = (kind: string) => [...new Set(parties.filter((x) => x.kind === kind && x.id).map((x) => x.id!))];
  const [deps, parts] = await Promise.all([
    ids('department').length ? db.select({ id: departments.id, name: departments.name }).from(departments).where(inArray(departments.id, ids('department'))) : [],
    ids('partner').length ? db.select({ id: partners.id, name: partners.name }).from(partners).where(inArray(partners.id, ids('partner'))) : [],
  ]);
  return new Map([...deps.map((d) => [`department:${d.id}`, d.name] as const), ...parts.map((x) => [`partner:${x.id}`, x.name] as const)]);
}

function reasonView(r: FoundReason, names: Map<string, string>, now: Date): z.infer<typeof ReasonView> {
  const name = r.party.id ? names.get(`${r.party.kind}:${r.party.id}`) : undefined;
  const party = name ? { ...r.party, name } : r.party;
  const ms = now.getTime() - r.since.getTime();
  return {
    reason: r.reason,
    since: r.since.toISOString(),
    ageSeconds: Math.max(0, Math.floor(ms / 1000)),
    age: ageInWords(ms),
    responsible: party,
    words: reasonInWords({ ...r, party }, now),
    detail: r.detail,
  };
}


export function supervisionRouter(deps: AppDeps): Router {
  const router = Router();
  const { db } = deps.database;
  router.use('/batches', batchesRouter(deps));

  router.get('/stuck', async (req, res) => {
    const p = principalOf(res);
    const q = parseOr400(StuckQuery, req.query, 'query');
    const after = q.cursor ? stuckCursor.decode(q.cursor) : undefined;
    const filter = await scopedFilter(db, p, q);
    const now = new Date();
    const rows = await findStuck(db, filter, { limit: q.limit, after }, now, thresholdsOf(deps));
    const page = rows.slice(0, q.limit);
    const names = await partyNames(db, page.flatMap((c) => c.reasons.map((r) => r.party)));
    const last = page.at(-1);
    res.json({
      asOf: now.toISOString(),
      items: page.map((c) => ({
        caseId: c.caseId,
        stationId: c.stationId,
        serviceCode: c.serviceCode,
        category: c.category,
        deadlineClass: c.deadlineClass,
        stage: c.stage,
        openedAt: c.openedAt.toISOString(),
        owner: c.owner,
        stuckSince: c.firstSince.toISOString(),
        reasons: c.reasons.map((r) => reasonView(r, names, now)),
        links: { case: `/api/cases/${c.caseId}`, diagnostics: `/api/cases/${c.caseId}/diagnostics` },
      })),
      nextCursor: rows.length > q.limit && last ? stuckCursor.encode({ since: last.firstSince, caseId: last.caseId }) : undefined,
    });
  });

  router.get('/summary', async (req, res) => {
    const p = principalOf(res);
    const q = parseOr400(SummaryQuery, req.query, 'query');
    const filter = await scopedFilter(db, p, q);
    const now = new Date();
    const rows = await summarizeStuck(db, filter, now, thresholdsOf(deps));
    const cells = rows.filter((r) => !r.total);
    res.json({
      asOf: now.toISOString(),
      totals: rows.filter((r) => r.total).sort((a, b) => stuckReasons.indexOf(a.reason) - stuckReasons.indexOf(b.reason)).map((r) => ({ reason: r.reason, count: r.count, cases: r.cases })),
      cells: cells.map((c) => ({
        reason: c.reason,
        stationId: c.stationId,
        departmentId: c.departmentId,
        count: c.count,
        cases: c.cases,
        oldest: { caseId: c.oldestCaseId, since: c.oldestSince.toISOString(), age: ageInWords(now.getTime() - c.oldestSince.getTime()) },
      })),
    });
  });
  return router;
}
