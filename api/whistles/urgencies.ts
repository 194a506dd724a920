import { asc } from 'drizzle-orm';
import { auditActor, recordAudit } from '../audit/record';
import { Router } from 'express';
import { z } from 'zod';
import { goalUnits, whistleUrgencies } from '../../db/schema';
import { principalOf } from '../http/auth';
import { line } from '../http/text';
import type { AppDeps } from '../http/deps';
import { problemResponses, registry } from '../http/openapi';
import { parseOr400 } from '../http/validation';

/**
 * Whistle urgencies: how soon a called department must check in and report (Pinggu's rule: check in
 * within 30 minutes when urgent). Admins configure them; everyone signed in may read them.
 */

export const urgencyCodePattern = /^[a-z][a-z0-9-]{0,39}$/;
const UrgencyCode = z.string().regex(urgencyCodePattern, 'must be a code of lower-case letters, digits and "-" (1–40, starting with a letter)');

/** The longest check-in or report goal, in days (working days count as days). */
const maxGoalDays = 366;
const perDay: Record<(typeof goalUnits)[number], number> = { minutes: 1440, hours: 24, days: 1, 'working-days': 1 };

const maxGoal = 100_000;
const goal = (what: string) => z.number().positive('must be greater than 0').max(maxGoal).meta({ description: `${what}, in its unit; may be fractional` });

/** A goal's largest value in each unit (a year), as JSON Schema: one branch per unit. */
const goalLimit = (goal: string, unit: string) => ({
  // `required` (the body requires the unit anyway) makes the branches visibly exclusive: one per unit.
  oneOf: goalUnits.map((u) => ({ required: [unit], properties: { [unit]: { const: u }, [goal]: { maximum: Math.min(maxGoal, maxGoalDays * perDay[u]) } } })),
});

export const WhistleUrgencyBody = z
  .strictObject({
    name: line(100),
    nameZh: line(100),
    checkInGoal: goal('How soon a called department checks in (报到)'),
    checkInUnit: z.enum(goalUnits),
    reportGoal: goal('How soon it reports the outcome'),
    reportUnit: z.enum(goalUnits),
    ratingWindowHours: z
      .number()
      .positive('must be greater than 0')
      .max(24 * 366)
      .default(360)
      .meta({ description: 'Hours after completion during which the station and the departments rate each other' }),
  })
  .superRefine((b, ctx) => {
    // A deadline is placed that far from the blow: at most a year, well inside what the clocks count.
    for (const [goal, unit] of [['checkInGoal', 'checkInUnit'], ['reportGoal', 'reportUnit']] as const) {
      if (b[goal] / perDay[b[unit]] > maxGoalDays) ctx.addIssue({ code: 'custom', path: [goal], message: `must be at most ${maxGoalDays} days (${maxGoalDays * 24} hours)` });
    }
  })
  // The same rule in the document: each goal's maximum by its unit.
  .meta({ id: 'WhistleUrgencyInput', allOf: [goalLimit('checkInGoal', 'checkInUnit'), goalLimit('reportGoal', 'reportUnit')] });

const WhistleUrgency = z
  .object({
    code: UrgencyCode,
    name: z.string(),
    nameZh: z.string(),
    checkInGoal: z.number(),
    checkInUnit: z.enum(goalUnits),
    reportGoal: z.number(),
    reportUnit: z.enum(goalUnits),
    ratingWindowHours: z.number(),
  })
  .meta({ id: 'WhistleUrgency' });

const kept = 'A running whistle keeps the deadlines it was blown with: the workflow input snapshots them, so a change applies to whistles blown afterwards.';

registry.registerPath({
  method: 'get',
  path: '/api/whistle-urgencies',
  operationId: 'listWhistleUrgencies',
  summary: 'Whistle urgencies and their check-in and report deadlines',
  description: kept,
  responses: {
    200: { description: 'Every urgency, by code', content: { 'application/json': { schema: z.object({ items: z.array(WhistleUrgency) }) } } },
    ...problemResponses(401),
  },
});
registry.registerPath({
  method: 'put',
  path: '/api/whistle-urgencies/{code}',
  operationId: 'setWhistleUrgency',
  summary: "Create or change an urgency's deadlines (admin)",
  description: kept,
  request: { params: z.object({ code: UrgencyCode }), body: { content: { 'application/json': { schema: WhistleUrgencyBody } } } },
  responses: {
    200: { description: 'The urgency as stored', content: { 'application/json': { schema: WhistleUrgency } } },
    ...problemResponses(400, 401, 403, 413, 415),
  },
});

export function whistleUrgenciesRouter(deps: AppDeps): Router {
  const router = Router();
  const { db } = deps.database;

  router.get('/', async (_req, res) => {
    res.json({ items: await db.select().from(whistleUrgencies).orderBy(asc(whistleUrgencies.code)) });
  });

  router.put('/:code', async (req, res) => {
    const p = principalOf(res);
    const { code } = parseOr400(z.object({ code: UrgencyCode }), { code: req.params.code }, 'path');
    const body = parseOr400(WhistleUrgencyBody, req.body ?? {});
    const row = await db.transaction(async (tx) => {
      const [stored] = await tx
        .insert(whistleUrgencies)
        .values({ code, ...body })
        .onConflictDoUpdate({ target: whistleUrgencies.code, set: body })
        .returning();
      await recordAudit(tx, auditActor(req, res), { action: 'whistle-urgency.configured', target: { kind: 'whistle-urgency', id: code }, data: { fields: Object.keys(body) } });
      return stored;
    });
    deps.log.info({ code, by: p.id }, 'whistle urgency configured');
    res.json(row);
  });

  return router;
}
