import { rowsOf } from '../../db/rows';
import { auditActor, recordAudit } from '../audit/record';
import { and, count, desc, eq, isNotNull, isNull, lt, or, type SQL, sql } from 'drizzle-orm';
import { type Request, Router } from 'express';
import { z } from 'zod';
import { cases, notifications } from '../../db/schema';
import { stages } from '../../workflows/case/messages';
import type { NoticeKind } from '../../workflows/shared/notices';
import { principalOf, type Principal } from '../http/auth';
import { cursorCodec, cursorPart } from '../http/cursor';
import type { AppDeps } from '../http/deps';
import { problemResponses, registry } from '../http/openapi';
import { problem } from '../http/problems';
import { emptyIsAbsent, idPattern, pageQuery } from '../http/schemas';
import { cleanString } from '../http/text';
import { parseOr400 } from '../http/validation';
import { CaseId } from '../cases/view';

/**
 * The supervisor inbox: the notices the workflows address to a subdistrict's supervisors
 * (`notifications` rows with recipient `supervisor:<subdistrict>`), across all the subdistrict's cases,
 * newest first, and their acknowledgement. Supervisors see their own subdistrict's; admins every one.
 * An acknowledgement is kept once: the first one stays (`acknowledged_at`, `acknowledged_by`).
 */

/** Every kind of notice the workflows send to supervisors (grep `supervisors()` in workflows/). */
export const supervisorNoticeKinds = [
  'commitment.breached',
  'escalation.proposed',
  'partner.unreachable',
  'whistle.check-in-missed',
  'whistle.report-overdue',
  'whistle.disputed',
] as const satisfies readonly NoticeKind[];

const kindDescriptions: Record<(typeof supervisorNoticeKinds)[number], string> = {
  'commitment.breached': 'a commitment of the case passed its deadline (督办: the supervisors are urged)',
  'escalation.proposed': 'a breached resolution proposes blowing a whistle (the deadline class escalates on breach)',
  'partner.unreachable': 'a notice to a partner or department reached none of its channels (a dead letter; retry it)',
  'whistle.check-in-missed': "a called department did not check in by the whistle's deadline",
  'whistle.report-overdue': 'a department checked in but did not report by the deadline',
  'whistle.disputed': 'a department disputed its call ("not ours"): the supervisor decides',
};
const kindList = supervisorNoticeKinds.map((k) => `\`${k}\` — ${kindDescriptions[k]}`).join('; ');

export const alertStates = ['unread', 'acknowledged', 'all'] as const;

/** A notification id as the database writes it (lower case); upper case is accepted and lowered. */
const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const isUuid = (v: string) => uuidPattern.test(v.toLowerCase());
const NotificationId = cleanString()
  .refine(isUuid, 'must be a notification id (a UUID)')
  .transform((v) => v.toLowerCase())
  .meta({ description: "The notification's id (`id` of an alert)", format: 'uuid' });

const scopeId = (what: string) => z.string().max(100, 'must be at most 100 characters').regex(idPattern, `must be a ${what} id of letters, digits, ".", "_", ":" or "-"`);

export const ListAlertsQuery = z.strictObject({
  state: z.preprocess(
    emptyIsAbsent,
    z.enum(alertStates).default('unread').meta({ description: 'unread (the default): not yet acknowledged; acknowledged; all' }),
  ),
  kind: z.preprocess(emptyIsAbsent, z.enum(supervisorNoticeKinds).optional()),
  caseId: z.preprocess(emptyIsAbsent, CaseId.optional()),
  stationId: z.preprocess(emptyIsAbsent, scopeId('station').optional().meta({ description: "Only alerts of this station's cases" })),
  subdistrictId: z.preprocess(
    emptyIsAbsent,
    scopeId('subdistrict')
      .optional()
      .meta({ description: "Admins: only this subdistrict's alerts. Supervisors may name their own subdistrict only (another → 403)" }),
  ),
  ...pageQuery,
});

export const AcknowledgeBody = z
  .strictObject({})
  .meta({
    id: 'AlertAcknowledgement',
    description: 'No fields: the acknowledgement records who and when. A note is not kept (there is no place for it yet), so `note` is refused as an unknown field.',
  });

export const AcknowledgeManyBody = z
  .strictObject({
    ids: z
      .array(NotificationId)
      .min(1, 'must name at least one alert')
      .max(200, 'must name at most 200 alerts')
      .meta({ description: 'Alert ids (1–200); a repeated id counts once' }),
  })
  .meta({ id: 'AlertsAcknowledgement' });

const time = z.iso.datetime({ offset: true });

export const AlertView = z
  .object({
    id: z.uuid().meta({ description: "The notification's id" }),
    kind: z.string().meta({ description: `One of the supervisor notice kinds: ${kindList}` }),
    caseId: CaseId,
    stationId: z.string().meta({ description: "The case's station" }),
    stage: z.enum(stages).meta({ description: "The case's stage now (read model)" }),
    subdistrictId: z.string().meta({ description: 'The subdistrict whose supervisors the notice is addressed to' }),
    createdAt: time,
    data: z.record(z.string(), z.unknown()).meta({ description: "The notice's data, as the workflow wrote it" }),
    acknowledgedAt: time.nullable().meta({ description: 'When it was first acknowledged; null: unread' }),
    acknowledgedBy: z.string().nullable().meta({ description: 'Who acknowledged it first (the token\'s subject)' }),
    links: z.object({ case: z.string() }),
  })
  .meta({ id: 'SupervisorAlert' });
export type AlertView = z.infer<typeof AlertView>;

const AlertList = z
  .object({
    items: z.array(AlertView),
    unread: z.number().int().meta({ description: 'Unread alerts in the scope and the filters (kind, caseId, stationId, subdistrictId), whatever `state` and the page' }),
    nextCursor: z.string().optional(),
  })
  .meta({ id: 'SupervisorAlertList' });

const AcknowledgedMany = z
  .object({
    acknowledged: z.number().int().meta({ description: 'Alerts this request acknowledged' }),
    alreadyAcknowledged: z.number().int().meta({ description: 'Alerts acknowledged before (their first acknowledgement is kept)' }),
    notFound: z.array(z.string()).meta({ description: 'Ids that are no alert of your scope (unknown, or another subdistrict’s)' }),
  })
  .meta({ id: 'AlertsAcknowledged' });


registry.registerPath({
  method: 'get',
  path: '/api/supervision/alerts',
  operationId: 'listSupervisionAlerts',
  summary: "The supervisor inbox: notices addressed to the subdistrict's supervisors, newest first",
  description: `Across all the subdistrict's cases, with each case's station and current stage, and \`unread\`: how many alerts of the scope and the filters are unread. Kinds: ${kindList}.`,
  request: { query: ListAlertsQuery },
  responses: { 200: { description: 'A page of alerts', content: { 'application/json': { schema: AlertList } } }, ...problemResponses(400, 401, 403) },
});
registry.registerPath({
  method: 'post',
  path: '/api/supervision/alerts/{notificationId}/acknowledgement',
  operationId: 'acknowledgeSupervisionAlert',
  summary: 'Acknowledge an alert',
  description: `Idempotent: acknowledging an acknowledged alert keeps the first acknowledgement (time and person) and answers it with 200. An id that is not an alert of your scope → 404.`,
  request: {
    params: z.object({ notificationId: NotificationId }),
    body: { required: false, content: { 'application/json': { schema: AcknowledgeBody } } },
  },
  responses: {
    200: { description: 'The alert, acknowledged', content: { 'application/json': { schema: AlertView } } },
    ...problemResponses(400, 401, 403, 404, 413, 415),
  },
});
registry.registerPath({
  method: 'post',
  path: '/api/supervision/alerts/acknowledgement',
  operationId: 'acknowledgeSupervisionAlerts',
  summary: 'Acknowledge many alerts at once',
  description: `One statement: every unread alert of your scope among \`ids\` is acknowledged; acknowledged ones keep their first acknowledgement; ids outside your scope are listed in \`notFound\` and left as they are.`,
  request: { body: { content: { 'application/json': { schema: AcknowledgeManyBody } } } },
  responses: {
    200: { description: 'What the request acknowledged', content: { 'application/json': { schema: AcknowledgedMany } } },
    ...problemResponses(400, 401, 403, 413, 415),
  },
});

/* ---------- scope, rows, views ---------- */

/**
 * The alerts a caller may see: supervisor notices of the supervisor's own subdistrict, or (admins) of
 * every subdistrict or the one named.
 */
function scopeOf(p: Principal, subdistrictId?: string): SQL {
  if (p.role === 'supervisor' && subdistrictId !== undefined && subdistrictId !== p.subdistrictId) {
    throw problem(403, `Your supervisor token does not cover subdistrict ${subdistrictId}`, { type: 'forbidden-scope' });
  }
  const subdistrict = p.role === 'supervisor' ? (p.subdistrictId ?? '') : subdistrictId;
  return and(eq(notifications.recipientKind, 'supervisor'), subdistrict === undefined ? undefined : eq(notifications.recipientId, subdistrict))!;
}

const alertColumns = {
  id: notifications.notificationId,
  kind: notifications.kind,
  caseId: notifications.caseId,
  subdistrictId: notifications.recipientId,
  createdAt: notifications.createdAt,
  data: notifications.data,
  acknowledgedAt: notifications.acknowledgedAt,
  acknowledgedBy: notifications.acknowledgedBy,
  stationId: cases.stationId,
  stage: cases.stage,
};
interface AlertRow {
  id: string;
  kind: string;
  caseId: string;
  subdistrictId: string;
  createdAt: Date;
  data: Record<string, unknown>;
  acknowledgedAt: Date | null;
  acknowledgedBy: string | null;
  stationId: string;
  stage: string;
}

function alertView(r: AlertRow): AlertView {
  return {
    id: r.id,
    kind: r.kind,
    caseId: r.caseId,
    stationId: r.stationId,
    stage: r.stage as AlertView['stage'],
    subdistrictId: r.subdistrictId,
    createdAt: r.createdAt.toISOString(),
    data: r.data,
    acknowledgedAt: r.acknowledgedAt?.toISOString() ?? null,
    acknowledgedBy: r.acknowledgedBy,
    links: { case: `/api/cases/${r.caseId}` },
  };
}

/** Keyset pagination on (createdAt desc, notification id desc). */
const alertCursor = cursorCodec<{ createdAt: Date; id: string }>({ createdAt: cursorPart.instant, id: cursorPart.id(uuidPattern) });

const alertNotFound = (id: string) => problem(404, `Alert ${id} not found`, { type: 'alert-not-found' });

/** The path's id: anything but a UUID is no alert (404, never handed to the database). */
function alertIdOf(req: Request): string {
  const raw = String(req.params.notificationId);
  const parsed = NotificationId.safeParse(raw);
  // Named in the problem only when it is an id: hostile text is not echoed back.
  if (!parsed.success) throw problem(404, 'Alert not found: not an alert id', { type: 'alert-not-found' });
  return parsed.data;
}

/* ---------- routes ---------- */

export function supervisionAlertsRouter(deps: AppDeps): Router {
  const router = Router();
  const { db } = deps.database;

  const readAlert = async (id: string, scope: SQL): Promise<AlertRow | undefined> => {
    const [row] = await db
      .select(alertColumns)
      .from(notifications)
      .innerJoin(cases, eq(cases.id, notifications.caseId))
      .where(and(eq(notifications.notificationId, id), scope));
    return row;
  };

  router.get('/', async (req, res) => {
    const p = principalOf(res);
    const q = parseOr400(ListAlertsQuery, req.query, 'query');
    const cursor = q.cursor ? alertCursor.decode(q.cursor) : undefined;
    const selection = and(
      scopeOf(p, q.subdistrictId),
      q.kind ? eq(notifications.kind, q.kind) : undefined,
      q.caseId ? eq(notifications.caseId, q.caseId) : undefined,
      q.stationId ? eq(cases.stationId, q.stationId) : undefined,
    );
    const state = q.state === 'unread' ? isNull(notifications.acknowledgedAt) : q.state === 'acknowledged' ? isNotNull(notifications.acknowledgedAt) : undefined;
    const after = cursor
      ? or(lt(notifications.createdAt, cursor.createdAt), and(eq(notifications.createdAt, cursor.createdAt), lt(notifications.notificationId, cursor.id)))
      : undefined;
    const [rows, [unread]] = await Promise.all([
      db
        .select(alertColumns)
        .from(notifications)
        .innerJoin(cases, eq(cases.id, notifications.caseId))
        .where(and(selection, state, after))
        .orderBy(desc(notifications.createdAt), desc(notifications.notificationId))
        .limit(q.limit + 1),
      db
        .select({ n: count() })
        .from(notifications)
        .innerJoin(cases, eq(cases.id, notifications.caseId))
        .where(and(selection, isNull(notifications.acknowledgedAt))),
    ]);
    const page = rows.slice(0, q.limit);
    const last = page.at(-1);
    res.json({
      items: page.map(alertView),
      unread: Number(unread?.n ?? 0),
      nextCursor: rows.length > q.limit && last ? alertCursor.encode({ createdAt: last.createdAt, id: last.id }) : undefined,
    });
  });

  router.post('/acknowledgement', async (req, res) => {
    const p = principalOf(res);
    const body = parseOr400(AcknowledgeManyBody, req.body ?? {});
    const ids = [...new Set(body.ids)];
    const scope = scopeOf(p);
    const now = new Date();
    // One statement: the alerts of the scope among the ids, and which of them this statement acknowledged.
    // An alert acknowledged meanwhile by another request is skipped by the update's own "is null" check
    // (re-read after its row lock), so it counts as acknowledged before.
    const found = await rowsOf<{ id: string; acknowledged: boolean }>(db, sql`
      with target as (
        select ${notifications.id} as row_id, ${notifications.notificationId} as notification_id
        from ${notifications}
        where ${and(sql`${notifications.notificationId} in (${sql.join(
          ids.map((id) => sql`${id}::uuid`),
          sql`, `,
        )})`, scope)}
      ), acked as (
        update ${notifications} set acknowledged_at = ${now.toISOString()}::timestamptz, acknowledged_by = ${p.id}
        from target
        where ${notifications.id} = target.row_id and ${notifications.acknowledgedAt} is null
        returning ${notifications.notificationId} as notification_id
      )
      select target.notification_id::text as id, exists (select 1 from acked where acked.notification_id = target.notification_id) as acknowledged
      from target`);
    const acknowledged = found.filter((r) => r.acknowledged).length;
    await recordAudit(db, auditActor(req, res), ...found.filter((r) => r.acknowledged).map((r) => ({ action: 'alert.acknowledged', target: { kind: 'alert' as const, id: r.id } })));
    const known = new Set(found.map((r) => r.id));
    deps.log.info({ role: p.role, acknowledged, asked: ids.length }, 'alerts acknowledged');
    res.json({ acknowledged, alreadyAcknowledged: found.length - acknowledged, notFound: ids.filter((id) => !known.has(id)) });
  });

  router.post('/:notificationId/acknowledgement', async (req, res) => {
    const p = principalOf(res);
    const id = alertIdOf(req);
    parseOr400(AcknowledgeBody, req.body ?? {});
    const scope = scopeOf(p);
    // The first acknowledgement stays: a second (or a simultaneous one) finds it set and changes nothing.
    const [acked] = await db
      .update(notifications)
      .set({ acknowledgedAt: new Date(), acknowledgedBy: p.id })
      .where(and(eq(notifications.notificationId, id), scope, isNull(notifications.acknowledgedAt)))
      .returning({ caseId: notifications.caseId });
    const row = await readAlert(id, scope);
    if (!row) throw alertNotFound(id);
    if (acked) await recordAudit(db, auditActor(req, res), { action: 'alert.acknowledged', target: { kind: 'alert', id } });
    if (acked) deps.log.info({ notificationId: id, caseId: row.caseId, kind: row.kind, role: p.role }, 'alert acknowledged');
    res.json(alertView(row));
  });

  return router;
}
