import crypto from 'node:crypto';
import { WorkflowExecutionAlreadyStartedError, WorkflowNotFoundError } from '@temporalio/client';
import { and, asc, desc, eq, inArray, lt, or, sql, type SQL } from 'drizzle-orm';
import { Router } from 'express';
import { z } from 'zod';
import type { Db } from '../db/client';
import {
  caseChannels,
  caseCounters,
  caseEvents,
  cases,
  deadlineClasses,
  idempotencyKeys,
  serviceCategories,
  serviceItems,
  stations,
} from '../db/schema';
import { searchAttributes } from '../temporal/search-attribute-keys';
import { caseWorkflowId, workflowUiUrl } from '../temporal/client';
import { caseWorkflow } from '../workflows/case';
import { type CaseState, caseStateQuery, type OpenCaseInput, stages } from '../workflows/case-messages';
import { principalOf, type Principal, requireRole } from './auth';
import type { AppDeps } from './deps';
import { problemResponses, registry } from './openapi';
import { problem } from './problems';
import { assertStationAccess, visibleStations } from './scope';
import { parseOr400 } from './validation';

/* ---------- schemas: validation at the edge, and the OpenAPI document ---------- */

export const caseIdPattern = /^[A-Z]{2,8}-\d{8}-\d{4,}$/;
const CaseId = z.string().regex(caseIdPattern, 'must be a case id like QG-20261123-0001');

const Resident = z
  .strictObject({
    name: z.string().trim().min(1, 'is required').max(100),
    phone: z
      .string()
      .trim()
      .regex(/^\+?[0-9][0-9 -]{4,19}$/, 'must be a phone number of digits, spaces or dashes')
      .optional(),
    address: z.string().trim().max(200).optional(),
  })
  .meta({ id: 'Resident', description: 'Personal data: never logged, never in search attributes or URLs' });

export const OpenCaseBody = z
  .strictObject({
    serviceCode: z.string().trim().min(1).max(100).meta({ description: "A code from the station's service catalogue" }),
    demand: z.string().trim().min(1, 'must describe the demand').max(4000),
    channel: z.enum(caseChannels).default('walk-in'),
    deadlineClass: z.string().trim().min(1).max(50).optional().meta({ description: "Overrides the catalogue item's deadline class" }),
    stationId: z.string().trim().min(1).optional().meta({ description: "Staff open cases at their own station; supervisors and admins name it" }),
    resident: Resident,
  })
  .meta({ id: 'OpenCase' });
type OpenCaseBody = z.infer<typeof OpenCaseBody>;

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
    openedAt: z.iso.datetime({ offset: true }),
    updatedAt: z.iso.datetime({ offset: true }).optional(),
    links: CaseLinks,
  })
  .meta({ id: 'CaseSummary' });
type CaseSummary = z.infer<typeof CaseSummary>;

const TimelineEvent = z.object({
  type: z.string(),
  actor: z.string(),
  actorRole: z.string(),
  at: z.iso.datetime({ offset: true }),
  data: z.record(z.string(), z.unknown()),
});

export const CaseDetail = CaseSummary.extend({
  resident: Resident,
  openedBy: z.string(),
  live: z.boolean().meta({ description: 'True when stage comes from the running workflow; false when read from the read model only' }),
  timeline: z.array(TimelineEvent),
}).meta({ id: 'CaseDetail' });

const emptyIsAbsent = (v: unknown) => (v === '' ? undefined : v);
export const ListCasesQuery = z.strictObject({
  stage: z.preprocess(emptyIsAbsent, z.enum(stages).optional()),
  stationId: z.preprocess(emptyIsAbsent, z.string().optional()),
  category: z.preprocess(emptyIsAbsent, z.enum(serviceCategories).optional()),
  limit: z.preprocess(emptyIsAbsent, z.coerce.number().int().min(1).max(100).default(20)),
  cursor: z.preprocess(emptyIsAbsent, z.string().max(200).optional()),
});

const CaseList = z.object({ items: z.array(CaseSummary), nextCursor: z.string().optional() }).meta({ id: 'CaseList' });

const IdempotencyKey = z.string().regex(/^[\x21-\x7e]{1,200}$/, 'must be 1–200 visible ASCII characters');

registry.registerPath({
  method: 'post',
  path: '/api/cases',
  summary: 'Open a case for a resident demand (station staff)',
  request: {
    headers: z.object({ 'Idempotency-Key': IdempotencyKey.optional() }),
    body: { content: { 'application/json': { schema: OpenCaseBody } } },
  },
  responses: {
    201: { description: 'The case is open; a retry with the same Idempotency-Key returns the same case', content: { 'application/json': { schema: CaseSummary } } },
    ...problemResponses(400, 401, 403, 413, 415, 422),
  },
});
registry.registerPath({
  method: 'get',
  path: '/api/cases',
  summary: 'List cases from the read model, newest first',
  request: { query: ListCasesQuery },
  responses: { 200: { description: 'A page of cases', content: { 'application/json': { schema: CaseList } } }, ...problemResponses(400, 401, 403) },
});
registry.registerPath({
  method: 'get',
  path: '/api/cases/{id}',
  summary: "A case: live stage from its workflow, timeline from the read model",
  request: { params: z.object({ id: CaseId }) },
  responses: { 200: { description: 'The case', content: { 'application/json': { schema: CaseDetail } } }, ...problemResponses(401, 403, 404) },
});

/* ---------- opening a case ---------- */

/** Case ids read well aloud and on paper: station prefix, the day in Asia/Shanghai, a daily sequence. */
const shanghaiDay = (d: Date) =>
  new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Shanghai', year: 'numeric', month: '2-digit', day: '2-digit' })
    .format(d)
    .replace(/-/g, '');

class IdempotencyRace extends Error {}

function fingerprint(body: OpenCaseBody, stationId: string): string {
  return crypto.createHash('sha256').update(JSON.stringify({ ...body, stationId })).digest('hex');
}

async function resolveStation(db: Db, p: Principal, requested: string | undefined): Promise<{ id: string; casePrefix: string }> {
  const stationId = requested ?? p.stationId;
  if (!stationId) throw problem(422, 'Name the station (stationId): your token is not tied to one', { type: 'station-required' });
  const [station] = await db.select({ id: stations.id, casePrefix: stations.casePrefix }).from(stations).where(eq(stations.id, stationId));
  if (!station) throw problem(422, `Unknown station ${stationId}`, { type: 'unknown-station' });
  await assertStationAccess(db, p, station.id);
  return station;
}

async function openCaseInput(db: Db, p: Principal, body: OpenCaseBody, station: { id: string; casePrefix: string }, now: Date) {
  const [item] = await db.select().from(serviceItems).where(eq(serviceItems.code, body.serviceCode));
  if (!item || !item.active) {
    throw problem(422, `Unknown service code ${body.serviceCode}: it is not in the service catalogue`, {
      type: 'unknown-service-code',
      errors: [{ pointer: '#/serviceCode', detail: 'not in the service catalogue' }],
    });
  }
  const deadlineClass = body.deadlineClass ?? item.deadlineClass;
  const [klass] = await db.select({ code: deadlineClasses.code }).from(deadlineClasses).where(eq(deadlineClasses.code, deadlineClass));
  if (!klass) {
    throw problem(422, `Unknown deadline class ${deadlineClass}`, {
      type: 'unknown-deadline-class',
      errors: [{ pointer: '#/deadlineClass', detail: 'not a configured deadline class' }],
    });
  }
  return (caseId: string): OpenCaseInput => ({
    caseId,
    stationId: station.id,
    serviceCode: item.code,
    category: item.category,
    deadlineClass,
    channel: body.channel,
    demand: body.demand,
    resident: body.resident,
    openedBy: { id: p.id, role: p.role },
    openedAt: now.toISOString(),
  });
}

/** Allocates the case id and, with an Idempotency-Key, records what the key stands for, in one transaction. */
async function allocateCase(
  db: Db,
  station: { id: string; casePrefix: string },
  now: Date,
  build: (caseId: string) => OpenCaseInput,
  idempotency?: { principal: string; key: string; hash: string },
): Promise<OpenCaseInput> {
  return db.transaction(async (tx) => {
    const day = shanghaiDay(now);
    const [counter] = await tx
      .insert(caseCounters)
      .values({ stationId: station.id, day, last: 1 })
      .onConflictDoUpdate({ target: [caseCounters.stationId, caseCounters.day], set: { last: sql`${caseCounters.last} + 1` } })
      .returning({ last: caseCounters.last });
    const input = build(`${station.casePrefix}-${day}-${String(counter!.last).padStart(4, '0')}`);
    if (idempotency) {
      const inserted = await tx
        .insert(idempotencyKeys)
        .values({ principal: idempotency.principal, key: idempotency.key, requestHash: idempotency.hash, caseId: input.caseId, input })
        .onConflictDoNothing()
        .returning({ caseId: idempotencyKeys.caseId });
      if (inserted.length === 0) throw new IdempotencyRace();
    }
    return input;
  });
}

async function findIdempotent(db: Db, principal: string, key: string, hash: string): Promise<OpenCaseInput | undefined> {
  const [row] = await db
    .select()
    .from(idempotencyKeys)
    .where(and(eq(idempotencyKeys.principal, principal), eq(idempotencyKeys.key, key)));
  if (!row) return undefined;
  if (row.requestHash !== hash) {
    throw problem(422, `Idempotency-Key ${key} was already used for a different request (case ${row.caseId})`, {
      type: 'idempotency-key-reused',
    });
  }
  return row.input;
}

function summaryOf(deps: AppDeps, c: Omit<CaseSummary, 'links'>): CaseSummary {
  return { ...c, links: { self: `/api/cases/${c.id}`, temporalUi: workflowUiUrl(deps.temporal, caseWorkflowId(c.id)) } };
}

async function startCaseWorkflow(deps: AppDeps, input: OpenCaseInput): Promise<void> {
  try {
    await deps.client.workflow.start(caseWorkflow, {
      taskQueue: deps.temporal.taskQueue,
      workflowId: caseWorkflowId(input.caseId),
      args: [input],
      typedSearchAttributes: [
        { key: searchAttributes.stage, value: 'accept' },
        { key: searchAttributes.stationId, value: input.stationId },
        { key: searchAttributes.category, value: input.category },
        { key: searchAttributes.deadlineClass, value: input.deadlineClass },
        { key: searchAttributes.overdue, value: false },
        { key: searchAttributes.lastProgressAt, value: new Date(input.openedAt) },
      ],
    });
  } catch (err) {
    // A retried request whose first attempt already started the workflow: the case exists, which is the goal.
    if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
  }
}

/* ---------- reading cases ---------- */

type CaseRow = typeof cases.$inferSelect;

function rowSummary(deps: AppDeps, row: CaseRow, stage: CaseSummary['stage'] = row.stage as CaseSummary['stage']): CaseSummary {
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

/** Live state from the workflow; undefined when no worker answers in time (the read model still does). */
async function queryLiveState(deps: AppDeps, caseId: string): Promise<CaseState | 'not-found' | undefined> {
  const handle = deps.client.workflow.getHandle(caseWorkflowId(caseId));
  try {
    return await deps.client.connection.withDeadline(Date.now() + 3000, () => handle.query(caseStateQuery));
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return 'not-found';
    deps.log.warn({ caseId, err: (err as Error).message }, 'case query unanswered; serving the read model');
    return undefined;
  }
}

const encodeCursor = (row: { openedAt: Date; id: string }) => Buffer.from(`${row.openedAt.toISOString()}|${row.id}`).toString('base64url');
function decodeCursor(cursor: string): { openedAt: Date; id: string } {
  const [at, id] = Buffer.from(cursor, 'base64url').toString('utf8').split('|');
  const openedAt = new Date(at ?? '');
  if (!id || Number.isNaN(openedAt.getTime())) {
    throw problem(400, 'Invalid request query: cursor: not a cursor this API returned', { type: 'validation-failed' });
  }
  return { openedAt, id };
}

/* ---------- routes ---------- */

export function casesRouter(deps: AppDeps): Router {
  const router = Router();
  const { db } = deps.database;

  router.post('/', requireRole('staff', 'supervisor', 'admin'), async (req, res) => {
    const p = principalOf(res);
    const rawKey = req.get('Idempotency-Key');
    const key = rawKey === undefined ? undefined : parseOr400(IdempotencyKey, rawKey, 'Idempotency-Key header');
    const body = parseOr400(OpenCaseBody, req.body);
    const station = await resolveStation(db, p, body.stationId);
    const principal = `${p.role}:${p.id}`;
    const hash = fingerprint(body, station.id);

    let input = key ? await findIdempotent(db, principal, key, hash) : undefined;
    const replayed = input !== undefined;
    if (!input) {
      const now = new Date();
      const build = await openCaseInput(db, p, body, station, now);
      try {
        input = await allocateCase(db, station, now, build, key ? { principal, key, hash } : undefined);
      } catch (err) {
        if (!(err instanceof IdempotencyRace) || !key) throw err;
        input = await findIdempotent(db, principal, key, hash);
        if (!input) throw err;
      }
    }
    await startCaseWorkflow(deps, input);
    deps.log.info({ caseId: input.caseId, stationId: input.stationId, serviceCode: input.serviceCode, replayed }, 'case opened');
    if (replayed) res.setHeader('Idempotent-Replayed', 'true');
    res
      .status(201)
      .location(`/api/cases/${input.caseId}`)
      .json(
        summaryOf(deps, {
          id: input.caseId,
          stage: 'accept',
          stationId: input.stationId,
          serviceCode: input.serviceCode,
          category: input.category as CaseSummary['category'],
          deadlineClass: input.deadlineClass,
          channel: input.channel as CaseSummary['channel'],
          demand: input.demand,
          openedAt: input.openedAt,
        }),
      );
  });

  router.get('/', requireRole('staff', 'supervisor', 'admin'), async (req, res) => {
    const p = principalOf(res);
    const q = parseOr400(ListCasesQuery, req.query, 'query');
    const visible = await visibleStations(db, p);
    if (q.stationId && visible && !visible.includes(q.stationId)) {
      throw problem(403, `Your ${p.role} token does not cover station ${q.stationId}`, { type: 'forbidden-scope' });
    }
    const where: (SQL | undefined)[] = [];
    if (q.stationId) where.push(eq(cases.stationId, q.stationId));
    else if (visible) where.push(visible.length ? inArray(cases.stationId, visible) : sql`false`);
    if (q.stage) where.push(eq(cases.stage, q.stage));
    if (q.category) where.push(eq(cases.category, q.category));
    if (q.cursor) {
      const c = decodeCursor(q.cursor);
      where.push(or(lt(cases.openedAt, c.openedAt), and(eq(cases.openedAt, c.openedAt), lt(cases.id, c.id))));
    }
    const rows = await db
      .select()
      .from(cases)
      .where(and(...where))
      .orderBy(desc(cases.openedAt), desc(cases.id))
      .limit(q.limit + 1);
    const page = rows.slice(0, q.limit);
    const last = page.at(-1);
    res.json({
      items: page.map((r) => rowSummary(deps, r)),
      nextCursor: rows.length > q.limit && last ? encodeCursor(last) : undefined,
    });
  });

  router.get('/:id', requireRole('staff', 'supervisor', 'admin'), async (req, res) => {
    const p = principalOf(res);
    const id = String(req.params.id);
    const notFound = () => problem(404, `Case ${id} not found`, { type: 'case-not-found' });
    if (!caseIdPattern.test(id)) throw notFound();

    const [row] = await db.select().from(cases).where(eq(cases.id, id));
    // Authorise on the read model before asking the workflow anything.
    if (row) await assertStationAccess(db, p, row.stationId);
    const live = await queryLiveState(deps, id);
    if (!row) {
      if (live === undefined) {
        throw problem(503, `Case ${id} is being opened and no worker answered yet; try again shortly`, {
          type: 'case-not-ready',
          headers: { 'Retry-After': '2' },
        });
      }
      if (live === 'not-found') throw notFound();
      await assertStationAccess(db, p, live.stationId);
    }
    const timeline = await db.select().from(caseEvents).where(eq(caseEvents.caseId, id)).orderBy(asc(caseEvents.at), asc(caseEvents.id));
    const state = live === 'not-found' ? undefined : live;
    const base = row
      ? rowSummary(deps, row, state?.stage)
      : summaryOf(deps, {
          id,
          stage: state!.stage,
          stationId: state!.stationId,
          serviceCode: state!.serviceCode,
          category: state!.category as CaseSummary['category'],
          deadlineClass: state!.deadlineClass,
          channel: state!.channel as CaseSummary['channel'],
          demand: state!.demand,
          openedAt: state!.openedAt,
        });
    res.json({
      ...base,
      resident: state?.resident ?? row!.resident,
      openedBy: state?.openedBy.id ?? row!.openedBy,
      live: state !== undefined,
      timeline: timeline.map((e) => ({ type: e.type, actor: e.actor, actorRole: e.actorRole, at: e.at.toISOString(), data: e.data })),
    });
  });

  return router;
}
