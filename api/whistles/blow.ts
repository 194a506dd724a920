import { eq } from 'drizzle-orm';
import { Router } from 'express';
import { z } from 'zod';
import type { Db } from '../../db/client';
import { stations, whistleUrgencies } from '../../db/schema';
import { stages } from '../../workflows/case/messages';
import { whistleWorkflowId } from '../../temporal/workflow-ids';
import { blowWhistleUpdate, type WhistleBlown, type WhistleRequest, type WhistleRules, whistleOpenedUpdate } from '../../workflows/whistle/messages';
import { principalOf, type Principal } from '../http/auth';
import { caseToActOn } from '../cases/lookup';
import { callTemporal, defaultUpdateTimeoutMs, IdempotencyKey, idempotencyKeyOf } from '../http/updates';
import { runCaseUpdate } from '../cases/updates';
import { CaseId, type CaseRow } from '../cases/view';
import type { AppDeps } from '../http/deps';
import { departmentErrors, unknownReferences } from '../http/master-data';
import { problemResponses, registry } from '../http/openapi';
import { problem } from '../http/problems';
import { leaksPersonalData, personalDataDetail } from '../../activities/shared/personal-data';
import { parseOr400 } from '../http/validation';
import { BlowWhistleBody } from './commands';
import { callRows, whistleRow } from './lookup';
import { WhistleView, whistleView } from './view';

/**
 * Blowing a whistle from a case (街乡吹哨): the station escalates the matter to departments of its
 * subdistrict. The case workflow starts the whistle as its child; the answer is the new whistle.
 */

const BlownWhistle = WhistleView.extend({
  escalationId: z.string().meta({ description: 'The escalation of the case this whistle opened (or answered)' }),
  caseStage: z.enum(stages).meta({ description: "The case's stage once the whistle is blown" }),
}).meta({ id: 'BlownWhistle' });
type BlownWhistle = z.infer<typeof BlownWhistle>;

registry.registerPath({
  method: 'post',
  path: '/api/cases/{id}/whistles',
  operationId: 'blowWhistle',
  summary: 'Blow a whistle (街乡吹哨): call departments of the subdistrict to check in and work on the case’s problem',
  description:
    "Roles: staff of the case's station, supervisors of its subdistrict, admins. Allowed from diagnose to coordinate; the case's coordinate step waits until the whistle completes, and the case cannot close while it is open. " +
    "The urgency's deadlines are copied into the whistle when it is blown. The summary and location are all the departments learn of the matter: they must not contain the resident's name (or its given name), phone number, ID number or address (building, unit, room) — in any spacing, letter case or full-width form.",
  request: {
    params: z.object({ id: CaseId }),
    headers: z.object({ 'Idempotency-Key': IdempotencyKey.optional().meta({ description: 'A retry with the same key blows the whistle once' }) }),
    body: { content: { 'application/json': { schema: BlowWhistleBody } } },
  },
  responses: {
    201: { description: 'The whistle is blown; Location names it', content: { 'application/json': { schema: BlownWhistle } } },
    ...problemResponses(400, 401, 403, 404, 409, 413, 415, 422, 503),
  },
});

/**
 * The summary and location go to departments: they must not identify the resident. 422 when they carry the
 * case's resident's name, phone number or address (its building, unit and room), or anything shaped like a
 * mobile or ID number (api/http/personal-data.ts: after NFKC-style folding, in any letter case and spacing).
 */
function assertNoPersonalData(body: z.infer<typeof BlowWhistleBody>, c: CaseRow): void {
  const errors = (['summary', 'location'] as const).flatMap((field) => {
    const text = body[field];
    if (!text) return [];
    return leaksPersonalData(text, c.resident, { address: true }) ? [{ pointer: `#/${field}`, detail: personalDataDetail }] : [];
  });
  if (errors.length) {
    throw problem(422, "Departments receive the summary and location: leave out the resident's name, phone number, ID number and address", {
      type: 'personal-data',
      errors,
    });
  }
}

/** The urgency's deadlines, checked with the departments against master data: 422 with a pointer to each miss. */
async function whistleRequest(db: Db, body: z.infer<typeof BlowWhistleBody>, c: CaseRow): Promise<WhistleRequest> {
  assertNoPersonalData(body, c);
  if (!body.departments.includes(body.lead)) {
    throw problem(422, `The lead ${body.lead} must be one of the departments called`, {
      type: 'whistle-invalid',
      errors: [{ pointer: '#/lead', detail: 'must be one of departments' }],
    });
  }
  const [[station], [urgency]] = await Promise.all([
    db.select({ subdistrictId: stations.subdistrictId }).from(stations).where(eq(stations.id, c.stationId)),
    db.select().from(whistleUrgencies).where(eq(whistleUrgencies.code, body.urgency)),
  ]);
  const subdistrictId = station!.subdistrictId;
  const errors = [
    ...(urgency ? [] : [{ pointer: '#/urgency', detail: `is not a whistle urgency (${body.urgency})` }]),
    ...(await departmentErrors(db, subdistrictId, body.departments.map((id, i) => ({ pointer: `#/departments/${i}`, id })))),
  ];
  if (errors.length || !urgency) throw unknownReferences(errors);
  // A snapshot: later edits of the urgency do not change this whistle's deadlines.
  const { code, checkInGoal, checkInUnit, reportGoal, reportUnit, ratingWindowHours } = urgency;
  const rules: WhistleRules = { urgency: code, checkInGoal, checkInUnit, reportGoal, reportUnit, ratingWindowHours };
  const { urgency: _u, ...rest } = body;
  return { ...rest, subdistrictId, rules };
}

/**
 * The new whistle's view, once every department called is on record (the whistle's `opened` update), so
 * that the departments can act on it at once; when no worker confirms that in time, from the read model,
 * else from what the request and the case tell (no calls yet).
 */
async function blownView(deps: AppDeps, p: Principal, c: CaseRow, request: WhistleRequest, blown: WhistleBlown): Promise<BlownWhistle> {
  const { db } = deps.database;
  const extra = { escalationId: blown.escalationId, caseStage: blown.stage };
  const id = blown.whistleId;
  const timeoutMs = deps.caseUpdateTimeoutMs ?? defaultUpdateTimeoutMs;
  const opened = () => deps.client.workflow.getHandle(whistleWorkflowId(id)).executeUpdate(whistleOpenedUpdate, { updateId: 'opened' });
  const live = await callTemporal(deps, timeoutMs, opened).catch((err: unknown) => {
    deps.log.warn({ whistleId: id, reason: (err as Error).name }, 'whistle opening not confirmed; answering from the read model');
    return undefined;
  });
  if (live) return { ...(await whistleView(deps, { state: live })), ...extra };
  const row = await whistleRow(db, id);
  if (row) return { ...(await whistleView(deps, { row, calls: await callRows(db, id) })), ...extra };
  return {
    id,
    caseId: c.id,
    stationId: c.stationId,
    subdistrictId: request.subdistrictId,
    reason: request.reason,
    urgency: request.rules.urgency,
    summary: request.summary,
    location: request.location ?? null,
    serviceCode: c.serviceCode,
    initiatedBy: p.id,
    initiatedAt: new Date().toISOString(),
    status: 'open',
    state: 'awaiting-check-in',
    lead: request.lead,
    awaitingDepartments: request.departments,
    nextDueAt: null,
    overdue: false,
    outcome: null,
    links: { self: `/api/whistles/${id}`, case: `/api/cases/${c.id}` },
    live: false,
    rules: request.rules,
    calls: [],
    timeline: [],
    ...extra,
  };
}

export function blowWhistleRouter(deps: AppDeps): Router {
  const router = Router();
  router.post('/:id/whistles', async (req, res) => {
    const p = principalOf(res);
    const caseId = String(req.params.id);
    const key = idempotencyKeyOf(req);
    const body = parseOr400(BlowWhistleBody, req.body ?? {});
    const row = await caseToActOn(deps, p, caseId);
    const command = await whistleRequest(deps.database.db, body, row);
    const blown = await runCaseUpdate<WhistleRequest, WhistleBlown>(deps, {
      caseId,
      update: blowWhistleUpdate,
      command,
      principal: p,
      route: 'whistles',
      idempotencyKey: key,
    });
    deps.log.info({ caseId, whistleId: blown.whistleId, escalationId: blown.escalationId }, 'whistle blown');
    res.status(201).location(`/api/whistles/${blown.whistleId}`).json(await blownView(deps, p, row, command, blown));
  });
  return router;
}
