import { and, asc, eq, inArray } from 'drizzle-orm';
import { type Request, Router } from 'express';
import { z } from 'zod';
import { channelOutcomes, channelTypes, deliveries, deliveryStatuses, notifications, recipientKinds } from '../../db/schema';
import { deliveryWorkflowId } from '../../temporal/workflow-ids';
import { retryDeliveryUpdate } from '../../workflows/delivery/messages';
import { principalOf } from '../http/auth';
import { caseToActOn } from '../cases/lookup';
import { idempotencyKeyOf, IdempotencyKey, runUpdate } from '../http/updates';
import { CaseId } from '../cases/view';
import type { AppDeps } from '../http/deps';
import { problemResponses, registry } from '../http/openapi';
import { problem } from '../http/problems';
import { text } from '../http/text';
import { parseOr400 } from '../http/validation';
import { recordOnTimeline } from '../../db/audit';

/**
 * A case's notifications and how each reached (or failed to reach) its partner: the delivery log, one
 * row per round and channel. A supervisor retries a dead letter; the delivery workflow does the work.
 */

const time = z.iso.datetime({ offset: true });
const NotificationId = z.uuid().meta({ description: "The notification's id: the webhook's Idempotency-Key" });

/** A retry is a supervisor's intervention: it says why, and the case's timeline keeps it (delivery.retried). */
export const RetryBody = z.strictObject({ reason: text(1000).meta({ description: 'Why: recorded in the timeline with the supervisor' }) }).meta({ id: 'DeliveryRetry' });

const ChannelDelivery = z
  .object({
    round: z.number().int().meta({ description: '1 for the first delivery; each supervisor retry starts the next round' }),
    channel: z.enum(channelTypes),
    status: z.enum(channelOutcomes),
    attempts: z.number().int(),
    lastError: z.string().nullable().meta({ description: "The channel's last failure: a status or error code, never an address" }),
    lastAttemptAt: time.nullable(),
    deliveredAt: time.nullable(),
    gaveUpAt: time.nullable(),
  })
  .meta({ id: 'ChannelDelivery' });

export const NotificationView = z
  .object({
    id: NotificationId,
    kind: z.string(),
    recipient: z.object({ kind: z.enum(recipientKinds), id: z.string() }),
    createdAt: time,
    data: z.record(z.string(), z.unknown()),
    partnerId: z.string().nullable().meta({ description: 'The registry entry the notice is pushed to; null: kept in the inbox only' }),
    delivery: z
      .object({
        status: z.enum(deliveryStatuses),
        deliveredAt: time.nullable(),
        deliveredVia: z.enum(channelTypes).nullable(),
        channels: z.array(ChannelDelivery),
      })
      .nullable(),
  })
  .meta({ id: 'Notification' });
type NotificationView = z.infer<typeof NotificationView>;

registry.registerPath({
  method: 'get',
  path: '/api/cases/{id}/notifications',
  operationId: 'listCaseNotifications',
  summary: "A case's notifications with their delivery log",
  description: 'Oldest first.',
  request: { params: z.object({ id: CaseId }) },
  responses: {
    200: { description: 'Every notification of the case', content: { 'application/json': { schema: z.object({ items: z.array(NotificationView) }) } } },
    ...problemResponses(401, 403, 404, 503),
  },
});
registry.registerPath({
  method: 'post',
  path: '/api/cases/{id}/notifications/{notificationId}/retry',
  operationId: 'retryCaseNotification',
  summary: 'Retry a notice that reached nobody (a supervisor)',
  description:
    "Only a dead letter (delivery status unreachable) is retried: every channel again, in the partner's current preference order. Answers 202 once the new round has started.",
  request: {
    params: z.object({ id: CaseId, notificationId: NotificationId }),
    headers: z.object({ 'Idempotency-Key': IdempotencyKey.optional() }),
    body: { required: true, content: { 'application/json': { schema: RetryBody } } },
  },
  responses: {
    202: { description: 'A new delivery round has started', content: { 'application/json': { schema: NotificationView } } },
    ...problemResponses(400, 401, 403, 404, 409, 503),
  },
});

async function notificationViews(deps: AppDeps, caseId: string, notificationId?: string): Promise<NotificationView[]> {
  const { db } = deps.database;
  const rows = await db
    .select()
    .from(notifications)
    .where(notificationId ? and(eq(notifications.caseId, caseId), eq(notifications.notificationId, notificationId)) : eq(notifications.caseId, caseId))
    .orderBy(asc(notifications.createdAt), asc(notifications.id));
  const ids = rows.filter((r) => r.deliveryStatus).map((r) => r.notificationId);
  const log = ids.length
    ? await db.select().from(deliveries).where(inArray(deliveries.notificationId, ids)).orderBy(asc(deliveries.round), asc(deliveries.id))
    : [];
  const iso = (d: Date | null) => d?.toISOString() ?? null;
  return rows.map((n) => ({
    id: n.notificationId,
    kind: n.kind,
    recipient: { kind: n.recipientKind, id: n.recipientId },
    createdAt: n.createdAt.toISOString(),
    data: n.data,
    partnerId: n.partnerId,
    delivery: n.deliveryStatus
      ? {
          status: n.deliveryStatus,
          deliveredAt: iso(n.deliveredAt),
          deliveredVia: n.deliveredVia,
          channels: log
            .filter((d) => d.notificationId === n.notificationId)
            .map((d) => ({
              round: d.round,
              channel: d.channel,
              status: d.status,
              attempts: d.attempts,
              lastError: d.lastError,
              lastAttemptAt: iso(d.lastAttemptAt),
              deliveredAt: iso(d.deliveredAt),
              gaveUpAt: iso(d.gaveUpAt),
            })),
        }
      : null,
  }));
}

const notificationNotFound = (caseId: string, id: string) =>
  problem(404, `Notification ${id} not found in case ${caseId}`, { type: 'notification-not-found' });

function notificationIdOf(req: Request): string {
  const id = String(req.params.notificationId);
  if (!NotificationId.safeParse(id).success) throw notificationNotFound(String(req.params.id), id);
  return id;
}

export function notificationsRouter(deps: AppDeps): Router {
  const router = Router();

  router.get('/:id/notifications', async (req, res) => {
    const id = String(req.params.id);
    const row = await caseToActOn(deps, principalOf(res), id);
    res.json({ items: await notificationViews(deps, row.id) });
  });

  router.post('/:id/notifications/:notificationId/retry', async (req, res) => {
    const p = principalOf(res);
    const id = String(req.params.id);
    const key = idempotencyKeyOf(req);
    const notificationId = notificationIdOf(req);
    const { reason } = parseOr400(RetryBody, req.body ?? {});
    await caseToActOn(deps, p, id);
    const [before] = await notificationViews(deps, id, notificationId);
    if (!before) throw notificationNotFound(id, notificationId);
    if (!before.delivery) throw problem(409, `Notification ${notificationId} is not pushed to a partner: there is no delivery to retry`, { type: 'delivery-conflict' });
    if (before.delivery.status === 'abandoned') {
      throw problem(409, `Notification ${notificationId} was a dead letter for too long and its delivery has ended`, { type: 'delivery-conflict' });
    }
    const state = await runUpdate(deps, {
      caseId: id,
      update: retryDeliveryUpdate,
      command: {},
      target: {
        workflowId: deliveryWorkflowId(notificationId),
        subject: `Notification ${notificationId}`,
        gone: { detail: `Notification ${notificationId} is ${before.delivery.status}: its delivery has ended`, type: 'delivery-conflict' },
      },
      principal: p,
      route: `notifications/${notificationId}/retry`,
      idempotencyKey: key,
    });
    // The same request again (its Idempotency-Key) gives the same round: recorded once.
    await recordOnTimeline(deps.database.db, {
      caseId: id,
      key: `retry:${notificationId}:${state.round}`,
      type: 'delivery.retried',
      actor: { id: p.id, role: p.role },
      data: { notificationId, round: state.round, reason },
    });
    deps.log.info({ caseId: id, notificationId, round: state.round }, 'delivery retried');
    const [after] = await notificationViews(deps, id, notificationId);
    res.status(202).json({ ...after!, delivery: { ...after!.delivery!, status: state.status } });
  });

  return router;
}
