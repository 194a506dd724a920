import { and, eq, ne } from 'drizzle-orm';
import { auditActor, recordAudit } from '../audit/record';
import { Router } from 'express';
import { z } from 'zod';
import { CalendarImportError, importCalendarYear, readCalendarYear } from '../../db/calendar';
import { calendarDayKinds, cases } from '../../db/schema';
import { caseWorkflowId } from '../../temporal/client';
import { calendarChangedSignal } from '../../workflows/case/messages';
import { principalOf } from '../http/auth';
import type { AppDeps } from '../http/deps';
import { problemResponses, registry } from '../http/openapi';
import { problem } from '../http/problems';
import { parseOr400 } from '../http/validation';
import { line } from '../http/text';

/* ---------- schemas: validation at the edge, and the OpenAPI document ---------- */

export const minCalendarYear = 2000;
export const maxCalendarYear = 2100;

const Year = z.int().min(minCalendarYear).max(maxCalendarYear).meta({ description: 'A calendar year, 2000–2100' });

const CalendarDay = z
  .strictObject({
    date: z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'must be a date YYYY-MM-DD'),
    kind: z.enum(calendarDayKinds).meta({ description: 'holiday: a day off; workday: an adjusted working day on a weekend (调休)' }),
    name: line(100, 'must name the holiday'),
  })
  .meta({ id: 'CalendarDay', description: 'An exception to the weekday rule on one day in Asia/Shanghai' });

export const CalendarImportBody = z
  .strictObject({
    source: line(200, 'must name where the data comes from').meta({ description: "e.g. the State Council notice's number" }),
    days: z.array(CalendarDay).max(366),
  })
  .meta({ id: 'CalendarImport', description: "A year's holidays and adjusted working days; replaces what the year had" });

const CalendarYear = z
  .object({
    year: Year,
    official: z.boolean().meta({ description: 'The State Council notice is loaded; otherwise the weekday rule applies and deadlines are provisional' }),
    source: z.string().optional(),
    importedAt: z.iso.datetime({ offset: true }).optional(),
    days: z.array(CalendarDay),
  })
  .meta({ id: 'CalendarYear' });

const CalendarImportResult = z
  .object({
    year: Year,
    days: z.int().meta({ description: 'Days stored for the year' }),
    recomputedCases: z.int().meta({ description: 'Open cases with provisional deadlines told to recompute them' }),
  })
  .meta({ id: 'CalendarImportResult' });

const YearParams = z.object({ year: Year });

registry.registerPath({
  method: 'get',
  path: '/api/calendar/{year}',
  operationId: 'getCalendar',
  summary: "A year of China's official working-day calendar: holidays and adjusted working days",
  request: { params: YearParams },
  responses: { 200: { description: 'The year', content: { 'application/json': { schema: CalendarYear } } }, ...problemResponses(400, 401) },
});
registry.registerPath({
  method: 'put',
  path: '/api/calendar/{year}',
  operationId: 'importCalendar',
  summary: "Import a year's official calendar (admin); open cases with provisional deadlines recompute them",
  request: { params: YearParams, body: { content: { 'application/json': { schema: CalendarImportBody } } } },
  responses: {
    200: { description: 'The year is imported and official', content: { 'application/json': { schema: CalendarImportResult } } },
    ...problemResponses(400, 401, 403, 413, 415, 422),
  },
});

/** The path's year, or a 400 problem. */
function parseYear(raw: string): number {
  const year = /^\d{4}$/.test(raw) ? Number(raw) : Number.NaN;
  if (!(year >= minCalendarYear && year <= maxCalendarYear)) {
    throw problem(400, `Invalid request path: year: must be a year from ${minCalendarYear} to ${maxCalendarYear} (got ${JSON.stringify(raw)})`, {
      type: 'validation-failed',
    });
  }
  return year;
}

/** Tells every open case with a provisional deadline that the calendar changed; returns how many were told. */
async function signalProvisionalCases(deps: AppDeps, year: number): Promise<number> {
  const open = await deps.database.db
    .select({ id: cases.id })
    .from(cases)
    .where(and(eq(cases.provisional, true), ne(cases.stage, 'closed')));
  let signalled = 0;
  for (const { id } of open) {
    try {
      await deps.client.workflow.getHandle(caseWorkflowId(id)).signal(calendarChangedSignal, { years: [year] });
      signalled++;
    } catch (err) {
      // One case that cannot be told (its workflow is gone) must not fail the import, which is done.
      deps.log.warn({ caseId: id, year, err: (err as Error).name }, 'case not told of the calendar change');
    }
  }
  return signalled;
}

/* ---------- routes ---------- */

export function calendarRouter(deps: AppDeps): Router {
  const router = Router();
  const { db } = deps.database;

  router.get('/:year', async (req, res) => {
    const year = parseYear(String(req.params.year));
    const { meta, days } = await readCalendarYear(db, year);
    res.json({ year, official: meta !== undefined, source: meta?.source, importedAt: meta?.importedAt.toISOString(), days });
  });

  router.put('/:year', async (req, res) => {
    const p = principalOf(res);
    const year = parseYear(String(req.params.year));
    const body = parseOr400(CalendarImportBody, req.body);
    let stored: number;
    try {
      stored = await importCalendarYear(db, year, body.days, { source: body.source, importedBy: p.id, at: new Date() });
    } catch (err) {
      if (!(err instanceof CalendarImportError)) throw err;
      throw problem(422, err.message, {
        type: 'invalid-calendar-days',
        errors: err.issues.map((i) => ({ pointer: `#/days/${i.index}/${i.field}`, detail: i.detail })),
      });
    }
    await recordAudit(db, auditActor(req, res), { action: 'calendar-year.replaced', target: { kind: 'calendar-year', id: String(year) }, data: { days: stored } });
    const recomputedCases = await signalProvisionalCases(deps, year);
    deps.log.info({ year, days: stored, source: body.source, recomputedCases }, 'calendar year imported');
    res.json({ year, days: stored, recomputedCases });
  });

  return router;
}
