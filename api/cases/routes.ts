import crypto from 'node:crypto';
import { WithStartWorkflowOperation, WorkflowExecutionAlreadyStartedError, WorkflowUpdateRPCTimeoutOrCancelledError } from '@temporalio/client';
import { recordCaseOpenedActivity } from '../../activities/case/activities';
import { and, asc, desc, eq, gt, inArray, isNull, lt, or, sql, type SQL } from 'drizzle-orm';
import { Router } from 'express';
import { isHttpError } from 'http-errors';
import { z } from 'zod';
import type { Db } from '../../db/client';
import { caseChannels, caseCounters, cases, deadlineClasses, idempotencyKeys, serviceCategories, serviceItems, stations } from '../../db/schema';
import { searchAttributes } from '../../temporal/search-attribute-keys';
import { caseWorkflowId } from '../../temporal/client';
import { type CaseState, type CaseWorkflow, caseWorkflowType, type OpenCaseInput, openedUpdate, stages } from '../../workflows/case/messages';
import { principalOf, type Principal } from '../http/auth';
import { caseActionsRouter } from './actions';
import { caseResetRouter } from './reset';
import { caseDiagnosticsRouter } from './diagnostics';
import { caseToRead } from './lookup';
import { demandLocks, findOpenCase, recordRepeat } from './repeat';
import { callTemporal, defaultUpdateTimeoutMs, IdempotencyKey, idempotencyKeyOf, temporalAway, updateProblem } from '../http/updates';
import { caseClosed } from './updates';
import { CaseId, caseIdPattern, type CaseRow, CaseListItem, CaseSummary, CaseView, caseView, inputSummary, listItem, Resident, rowSummary } from './view';
import { cursorCodec, cursorPart } from '../http/cursor';
import { emptyIsAbsent, idPattern, pageQuery } from '../http/schemas';
import { nextDueAt } from '../../workflows/case/facts';
import type { AppDeps } from '../http/deps';
import { problemResponses, registry } from '../http/openapi';
import { problem, type ProblemExtras } from '../http/problems';
import { assertStationAccess, visibleStations } from './scope';
import { parseOr400 } from '../http/validation';
import { text } from '../http/text';

/* ---------- schemas: validation at the edge, and the OpenAPI document ---------- */

export const OpenCaseBody = z
  .strictObject({
    serviceCode: z.string().trim().min(1).max(100).meta({ description: "A code from the station's service catalogue" }),
    demand: text(4000, 'must describe the demand'),
    channel: z.enum(caseChannels).default('walk-in'),
    deadlineClass: z.string().trim().min(1).max(50).optional().meta({ description: "Overrides the catalogue item's deadline class" }),
    stationId: z.string().trim().min(1).optional().meta({ description: "Staff open cases at their own station; supervisors and admins name it" }),
    resident: Resident,
    newFacts: z.boolean().optional().meta({
      description:
        'The resident brings new facts: open a new case even when the same demand is open (it is linked as relatedCaseId). Without it, a repeated demand gets a progress reply on the open case',
    }),
  })
  .meta({ id: 'OpenCase' });
type OpenCaseBody = z.infer<typeof OpenCaseBody>;

const RepeatedDemand = CaseSummary.extend({
  repeated: z.literal(true),
  repeatOf: CaseId.meta({ description: 'The open case the demand was recorded on' }),
  progress: z.object({ stage: z.enum(stages), nextDueAt: z.iso.datetime({ offset: true }).nullable(), overdue: z.boolean() }),
}).meta({ id: 'RepeatedDemand', description: 'The same demand of the same resident is already open: recorded on that case, no new case' });

const stationIdQuery = z.string().regex(idPattern, 'must be a station id of letters, digits, ".", "_", ":" or "-"');
export const ListCasesQuery = z.strictObject({
  stage: z.preprocess(emptyIsAbsent, z.enum(stages).optional()),
  stationId: z.preprocess(emptyIsAbsent, stationIdQuery.optional()),
  category: z.preprocess(emptyIsAbsent, z.enum(serviceCategories).optional()),
  overdue: z.preprocess(emptyIsAbsent, z.enum(['true', 'false']).optional().meta({ description: 'Only cases past (true) or within (false) their deadlines' })),
  partnerUnreachable: z.preprocess(
    emptyIsAbsent,
    z.enum(['true', 'false']).optional().meta({ description: 'Only cases with (true) or without (false) a notice that reached no partner channel' }),
  ),
  sort: z.preprocess(
    emptyIsAbsent,
    z
      .enum(['newest', 'next-deadline'])
      .optional()
      .meta({ description: 'newest (default): the latest opened first; next-deadline: the soonest next deadline first (overdue ones first), cases without one (closed) last' }),
  ),
  ...pageQuery,
});

const CaseList = z.object({ items: z.array(CaseListItem), nextCursor: z.string().optional() }).meta({ id: 'CaseList' });

registry.registerPath({
  method: 'post',
  path: '/api/cases',
  operationId: 'openCase',
  summary: 'Open a case for a resident demand (station staff)',
  description:
    'A demand whose station, service code and resident match an open case is a repeat (12345 rule): it is recorded on that case and answered 200 with its progress, unless newFacts is true; the same demand sent twice at once opens one case. ' +
      'The 201 comes once the case is on record with its commitments set, so it can be read and acted on at once. ' +
      '503 worker-unavailable: no worker put it on record within 10 s (the problem names the caseId; it opens when a worker returns; retry with the same Idempotency-Key); 503 temporal-unavailable: Temporal did not answer.',
  request: {
    headers: z.object({ 'Idempotency-Key': IdempotencyKey.optional() }),
    body: { content: { 'application/json': { schema: OpenCaseBody } } },
  },
  responses: {
    201: { description: 'The case is open; a retry with the same Idempotency-Key returns the same case', content: { 'application/json': { schema: CaseSummary } } },
    200: { description: 'A repeated demand, recorded on the open case (Location names it)', content: { 'application/json': { schema: RepeatedDemand } } },
    ...problemResponses(400, 401, 403, 413, 415, 422, 503),
  },
});
registry.registerPath({
  method: 'get',
  path: '/api/cases',
  operationId: 'listCases',
  summary: 'List cases from the read model, newest first',
  request: { query: ListCasesQuery },
  responses: { 200: { description: 'A page of cases', content: { 'application/json': { schema: CaseList } } }, ...problemResponses(400, 401, 403) },
});
registry.registerPath({
  method: 'get',
  path: '/api/cases/{id}',
  operationId: 'getCase',
  summary: 'A case: live state from its workflow (or the read model when no worker answers), timeline from the read model',
  request: { params: z.object({ id: CaseId }) },
  responses: { 200: { description: 'The case', content: { 'application/json': { schema: CaseView } } }, ...problemResponses(401, 403, 404, 503) },
});

/* ---------- opening a case ---------- */

/** Case ids read well aloud and on paper: station prefix, the day in Asia/Shanghai, a daily sequence. */
const shanghaiDay = (d: Date) =>
  new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Shanghai', year: 'numeric', month: '2-digit', day: '2-digit' })
    .format(d)
    .replace(/-/g, '');

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

/** Checks the catalogue item and deadline class; returns how to build the workflow input once the id is known. */
async function openCaseInput(db: Db, p: Principal, body: OpenCaseBody, station: { id: string }, now: Date) {
  const [item] = await db.select().from(serviceItems).where(eq(serviceItems.code, body.serviceCode));
  if (!item || !item.active) {
    throw problem(422, `Unknown service code ${body.serviceCode}: it is not in the service catalogue`, {
      type: 'unknown-service-code',
      errors: [{ pointer: '#/serviceCode', detail: 'not in the service catalogue' }],
    });
  }
  const deadlineClass = body.deadlineClass ?? item.deadlineClass;
  const [klass] = await db.select().from(deadlineClasses).where(eq(deadlineClasses.code, deadlineClass));
  if (!klass) {
    throw problem(422, `Unknown deadline class ${deadlineClass}`, {
      type: 'unknown-deadline-class',
      errors: [{ pointer: '#/deadlineClass', detail: 'not a configured deadline class' }],
    });
  }
  // Supervisors belong to the subdistrict: the case carries it, so its supervisor notices reach them.
  const [{ subdistrictId } = { subdistrictId: undefined }] = await db.select({ subdistrictId: stations.subdistrictId }).from(stations).where(eq(stations.id, station.id));
  return (caseId: string, relatedCaseId?: string): OpenCaseInput => ({
    caseId,
    stationId: station.id,
    ...(subdistrictId ? { subdistrictId } : {}),
    serviceCode: item.code,
    category: item.category,
    deadlineClass,
    channel: body.channel,
    demand: body.demand,
    resident: body.resident,
    openedBy: { id: p.id, role: p.role },
    openedAt: now.toISOString(),
    // Snapshots: later edits of the catalogue or the deadline class do not change a running case.
    catalogue: {
      name: item.name,
      handlingMode: item.handlingMode,
      requiredDocuments: item.requiredDocuments,
      needsHomeVisit: item.needsHomeVisit,
      issuesCertificate: item.issuesCertificate,
    },
    rules: {
      responseGoal: klass.responseGoal,
      responseUnit: klass.responseUnit,
      resolutionGoal: klass.resolutionGoal,
      resolutionUnit: klass.resolutionUnit,
      escalateOnBreach: klass.escalateOnBreach,
      callBackAfterHours: klass.callBackAfterHours,
      reopenWindowHours: klass.reopenWindowHours,
    },
    ...(relatedCaseId ? { relatedCaseId } : {}),
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
      // Taken by a concurrent request with the same key (it holds the same lock, so only across a crash).
      if (inserted.length === 0) throw problem(409, `Idempotency-Key ${idempotency.key} is being used by another request; retry it`, { type: 'idempotency-key-in-use' });
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

/** The case workflow's start as the API sends it (update-with-start): its id, policies and search attributes. */
export function caseStart(input: OpenCaseInput, taskQueue: string): WithStartWorkflowOperation<CaseWorkflow> {
  return new WithStartWorkflowOperation<CaseWorkflow>(caseWorkflowType, {
    taskQueue,
    workflowId: caseWorkflowId(input.caseId),
    args: [input],
    workflowIdConflictPolicy: 'USE_EXISTING',
    // A case id is never reused: a retry after its workflow finished must not start a second run.
    workflowIdReusePolicy: 'REJECT_DUPLICATE',
    typedSearchAttributes: [
      { key: searchAttributes.stage, value: 'accept' },
      { key: searchAttributes.stationId, value: input.stationId },
      { key: searchAttributes.category, value: input.category },
      { key: searchAttributes.deadlineClass, value: input.deadlineClass },
      { key: searchAttributes.overdue, value: false },
      { key: searchAttributes.lastProgressAt, value: new Date(input.openedAt) },
    ],
  });
}

/**
 * Starts the case workflow and waits, in the same call (update-with-start), until the case is on record
 * with its commitments set: after that the 201 means the case can be read, listed and acted on. A retry
 * (same input) attaches to the workflow already running. 503 when no worker answers in time or Temporal
 * is unreachable: the start may have been taken, and the same Idempotency-Key applies it once.
 */
async function openCaseWorkflow(deps: AppDeps, input: OpenCaseInput): Promise<void> {
  const timeoutMs = deps.caseUpdateTimeoutMs ?? defaultUpdateTimeoutMs;
  const startWorkflowOperation = caseStart(input, deps.temporal.taskQueue);
  try {
    await callTemporal(deps, timeoutMs, () => deps.client.workflow.executeUpdateWithStart(openedUpdate, { updateId: 'opened', startWorkflowOperation }));
  } catch (err) {
    // A retried request whose case has run to its end already: the case exists, which is the goal.
    if (err instanceof WorkflowExecutionAlreadyStartedError) return;
    const mapped = isHttpError(err) ? err : ((await temporalAway(deps, err)) ?? updateProblem(err, `Case ${input.caseId}`, timeoutMs, caseClosed(input.caseId)));
    if (!mapped) throw err;
    if (err instanceof WorkflowUpdateRPCTimeoutOrCancelledError) await recordStarted(deps, input);
    deps.log.warn({ caseId: input.caseId, status: mapped.status, reason: (err as Error).name }, 'case opening not confirmed');
    // The case id the opening took: the client can follow it, or retry with the same Idempotency-Key.
    const withId = mapped as { problem?: ProblemExtras };
    withId.problem = { ...withId.problem, caseId: input.caseId };
    throw mapped;
  }
}

/**
 * No worker put the case on record in time, but Temporal took the start: the API writes the case's row
 * and its opening event itself (the same idempotent write as the workflow's first activity), so the
 * case is listed during the outage and a repeat of the demand finds it. Best effort: the workflow's own
 * write follows when a worker returns.
 */
async function recordStarted(deps: AppDeps, input: OpenCaseInput): Promise<void> {
  try {
    await deps.client.connection.withDeadline(Date.now() + 2000, () => deps.client.workflow.getHandle(caseWorkflowId(input.caseId)).describe());
    await recordCaseOpenedActivity(deps.database.db)(input);
  } catch (err) {
    deps.log.warn({ caseId: input.caseId, reason: (err as Error).name }, 'opening not written ahead of the worker');
  }
}

function repeatedDemand(deps: AppDeps, open: typeof cases.$inferSelect, state: CaseState): z.infer<typeof RepeatedDemand> {
  return {
    ...rowSummary(deps, open, state.stage),
    repeated: true,
    repeatOf: open.id,
    progress: { stage: state.stage, nextDueAt: nextDueAt(state.clocks) ?? null, overdue: state.overdue ?? false },
  };
}

type Opening = { input: OpenCaseInput; replayed: boolean; repeat?: undefined } | { repeat: { open: CaseRow; state: CaseState } };

/**
 * A demand at the window: the case it opens (or, for a retry with the same Idempotency-Key, opened
 * already), or the open case it repeats. The repeat check and the opening are one step per resident and
 * matter — the same demand sent twice at once opens one case and is recorded on it once — on every
 * process of the service (Database.withLock).
 */
async function openDemand(
  deps: AppDeps,
  p: Principal,
  body: OpenCaseBody,
  station: { id: string; casePrefix: string },
  idempotency?: { principal: string; key: string; hash: string },
): Promise<Opening> {
  const { db } = deps.database;
  const retried = () => (idempotency ? findIdempotent(db, idempotency.principal, idempotency.key, idempotency.hash) : Promise.resolve(undefined));
  const again = async (input: OpenCaseInput): Promise<Opening> => {
    // Started again in case its first attempt could not: the workflow id makes that the same case.
    await openCaseWorkflow(deps, input);
    return { input, replayed: true };
  };
  const earlier = await retried();
  if (earlier) return again(earlier);
  return deps.database.withLock(demandLocks(station.id, body.serviceCode, body.resident), async () => {
    const raced = await retried();
    if (raced) return again(raced);
    const now = new Date();
    const build = await openCaseInput(db, p, body, station, now);
    const open = await findOpenCase(db, station.id, body.serviceCode, body.resident);
    if (open && !body.newFacts) {
      const state = await recordRepeat(deps, p, open, { demand: body.demand, channel: body.channel }, idempotency?.key);
      if (state) return { repeat: { open, state } };
    }
    const input = await allocateCase(db, station, now, (caseId) => build(caseId, open?.id), idempotency);
    await openCaseWorkflow(deps, input);
    return { input, replayed: false };
  });
}

/* ---------- reading cases ---------- */

/** Keyset pagination on (openedAt desc, id desc). */
const caseCursor = cursorCodec<{ openedAt: Date; id: string }>({ openedAt: cursorPart.instant, id: cursorPart.id(caseIdPattern) });
/** Keyset pagination on (nextDueAt asc, nulls last; id asc), tagged so that a cursor of the other order is refused. */
const deadlineCursor = cursorCodec<{ order: string; nextDueAt: Date | null; id: string }>({
  order: cursorPart.id(/^next-deadline$/),
  nextDueAt: cursorPart.optionalInstant,
  id: cursorPart.id(caseIdPattern),
});

/* ---------- routes ---------- */

export function casesRouter(deps: AppDeps): Router {
  const router = Router();
  const { db } = deps.database;

  router.post('/', async (req, res) => {
    const p = principalOf(res);
    const key = idempotencyKeyOf(req);
    const body = parseOr400(OpenCaseBody, req.body);
    const station = await resolveStation(db, p, body.stationId);
    const principal = `${p.role}:${p.id}`;
    const hash = fingerprint(body, station.id);

    const outcome = await openDemand(deps, p, body, station, key ? { principal, key, hash } : undefined);
    if (outcome.repeat) {
      const { open, state } = outcome.repeat;
      deps.log.info({ caseId: open.id, stationId: open.stationId, serviceCode: open.serviceCode }, 'repeated demand recorded on the open case');
      res.status(200).location(`/api/cases/${open.id}`).json(repeatedDemand(deps, open, state));
      return;
    }
    const { input, replayed } = outcome;
    deps.log.info(
      { caseId: input.caseId, stationId: input.stationId, serviceCode: input.serviceCode, relatedCaseId: input.relatedCaseId, replayed },
      'case opened',
    );
    if (replayed) res.setHeader('Idempotent-Replayed', 'true');
    res.status(201).location(`/api/cases/${input.caseId}`).json(inputSummary(deps, input, 'accept'));
  });

  router.get('/', async (req, res) => {
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
    if (q.overdue) where.push(eq(cases.overdue, q.overdue === 'true'));
    if (q.partnerUnreachable) where.push(eq(cases.partnerUnreachable, q.partnerUnreachable === 'true'));
    const byDeadline = q.sort === 'next-deadline';
    if (q.cursor && byDeadline) {
      const c = deadlineCursor.decode(q.cursor);
      where.push(
        c.nextDueAt === null
          ? and(isNull(cases.nextDueAt), gt(cases.id, c.id))
          : or(gt(cases.nextDueAt, c.nextDueAt), and(eq(cases.nextDueAt, c.nextDueAt), gt(cases.id, c.id)), isNull(cases.nextDueAt)),
      );
    } else if (q.cursor) {
      const c = caseCursor.decode(q.cursor);
      where.push(or(lt(cases.openedAt, c.openedAt), and(eq(cases.openedAt, c.openedAt), lt(cases.id, c.id))));
    }
    const rows = await db
      .select()
      .from(cases)
      .where(and(...where))
      .orderBy(...(byDeadline ? [sql`${cases.nextDueAt} asc nulls last`, asc(cases.id)] : [desc(cases.openedAt), desc(cases.id)]))
      .limit(q.limit + 1);
    const page = rows.slice(0, q.limit);
    const last = page.at(-1);
    res.json({
      items: page.map((r) => listItem(deps, r)),
      nextCursor:
        rows.length > q.limit && last
          ? byDeadline
            ? deadlineCursor.encode({ order: 'next-deadline', nextDueAt: last.nextDueAt, id: last.id })
            : caseCursor.encode(last)
          : undefined,
    });
  });

  router.get('/:id', async (req, res) => {
    const { row, state } = await caseToRead(deps, principalOf(res), String(req.params.id));
    res.json(await caseView(deps, row, state));
  });

  router.use(caseDiagnosticsRouter(deps));
  router.use(caseActionsRouter(deps));
  router.use(caseResetRouter(deps));
  return router;
}
