import { Context, log } from '@temporalio/activity';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/client';
import { and, eq, sql } from 'drizzle-orm';
import type { Db } from '../../db/client';
import { cases, type ContactChannel, deliveries, type DeliveryStatus, notifications, partners, type RecipientKind, serviceItems } from '../../db/schema';
import { deliveryWorkflowId } from '../../temporal/workflow-ids';
import { type ChannelAttempt, type ChannelType, type DeliveryInput, type DeliveryWorkflow, deliveryWorkflowType } from '../../workflows/delivery/messages';
import type { NoticeKind } from '../../workflows/shared/notices';
import { sendEmail } from './channels/email';
import { rejected } from './channels/outcome';
import { sendSms } from './channels/sms';
import { sendWebhook, type WebhookEvent } from './channels/webhook';
import type { DeliveryConfig } from './config';
import { projectionFailure, writing } from '../shared/projection-errors';
import { type NoticeContext, renderEmail, renderSms } from './templates';
import { redactPersonalData } from '../shared/personal-data';

/** Kinds whose receiver goes to the resident's home: only these carry the address (never a name or phone). */
const needsAddress = new Set<string>(['task.assigned', 'case.transferred'] satisfies NoticeKind[]);

/**
 * Starts the delivery workflow of a notice for a partner, or for a department that has a registry entry
 * (a department without one reads its inbox). Idempotent: the workflow id is the notification id, and a
 * delivery that ran already is never started twice.
 */
export async function pushNotice(db: Db, config: DeliveryConfig, n: { notificationId: string; caseId: string; kind: NoticeKind; recipient: { kind: RecipientKind; id: string } }): Promise<void> {
  const { recipient } = n;
  if (recipient.kind !== 'partner' && recipient.kind !== 'department') return;
  const [partner] = await db
    .select({ id: partners.id })
    .from(partners)
    .where(recipient.kind === 'partner' ? eq(partners.id, recipient.id) : and(eq(partners.departmentId, recipient.id), eq(partners.active, true)));
  if (!partner) return;
  await writing(`the delivery of notice ${n.notificationId}`, () =>
    db
      .update(notifications)
      .set({ partnerId: partner.id, deliveryStatus: sql`coalesce(${notifications.deliveryStatus}, 'delivering')` })
      .where(eq(notifications.notificationId, n.notificationId)),
  );
  const input: DeliveryInput = {
    notificationId: n.notificationId,
    caseId: n.caseId,
    partnerId: partner.id,
    recipient: { kind: recipient.kind, id: recipient.id },
    kind: n.kind,
    policy: {
      // One attempt: the request's timeout (SMTP takes a few round trips) and a margin.
      attemptTimeoutMs: config.timeoutMs * 3 + 5_000,
      initialIntervalMs: config.initialIntervalMs,
      maximumIntervalMs: config.maximumIntervalMs,
      retryWindowMs: config.retryWindowMs,
      deadLetterKeepMs: config.deadLetterKeepMs,
    },
  };
  const { client, info } = Context.current();
  try {
    await client.workflow.start<DeliveryWorkflow>(deliveryWorkflowType, {
      taskQueue: info.taskQueue,
      workflowId: deliveryWorkflowId(n.notificationId),
      args: [input],
      workflowIdReusePolicy: 'REJECT_DUPLICATE',
    });
  } catch (err) {
    if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
  }
}

/** Everything one channel attempt needs, read fresh on every attempt (an admin may have fixed a channel). */
async function loadNotice(db: Db, notificationId: string) {
  const [row] = await db
    .select({
      notification: notifications,
      partner: { id: partners.id, name: partners.name, nameZh: partners.nameZh, active: partners.active, channels: partners.channels, locale: partners.locale, webhookSecret: partners.webhookSecret },
      case: { id: cases.id, stationId: cases.stationId, serviceCode: cases.serviceCode, resident: cases.resident },
      service: { name: serviceItems.name, nameZh: serviceItems.nameZh },
    })
    .from(notifications)
    .innerJoin(partners, eq(partners.id, notifications.partnerId))
    .innerJoin(cases, eq(cases.id, notifications.caseId))
    .leftJoin(serviceItems, eq(serviceItems.code, cases.serviceCode))
    .where(eq(notifications.notificationId, notificationId));
  if (!row) throw rejected(`notification ${notificationId} has no partner to deliver to`);
  return row;
}
type Notice = Awaited<ReturnType<typeof loadNotice>>;

/**
 * The resident's address, for the kinds that need it: without the resident's name, phone or ID number
 * (staff type it as free text, sometimes with a "c/o" name or a phone to call at the gate).
 */
const address = (notice: Notice) => {
  const a = needsAddress.has(notice.notification.kind) ? notice.case.resident.address : undefined;
  return a ? redactPersonalData(a, notice.case.resident) : undefined;
};

/** Free text of a notice's data (a task's title, a whistle's summary, an urge's reason): typed by staff. */
const freeText = new Set(['title', 'note', 'demand', 'summary', 'location', 'reason', 'comment', 'finding']);

/**
 * The notice's data as it leaves the service: its free text without the resident's name, phone, ID number
 * or address (what the API refuses in a whistle or an urge, caught here for every other text and for rows
 * written before the filter held).
 */
function noticeData(notice: Notice): Record<string, unknown> {
  const { caseId: _caseId, ...data } = notice.notification.data;
  return Object.fromEntries(
    Object.entries(data).map(([k, v]) => [k, freeText.has(k) && typeof v === 'string' ? redactPersonalData(v, notice.case.resident, { address: true }) : v]),
  );
}
const replyUrl = (config: DeliveryConfig) => (config.publicUrl ? `${config.publicUrl.replace(/\/$/, '')}/api/partner-replies` : undefined);

function templateContext(notice: Notice, config: DeliveryConfig): NoticeContext {
  const zh = notice.partner.locale === 'zh-CN';
  const data = noticeData(notice);
  return {
    notificationId: notice.notification.notificationId,
    kind: notice.notification.kind,
    caseId: notice.case.id,
    serviceName: (zh ? notice.service?.nameZh : notice.service?.name) ?? undefined,
    recipientName: zh ? notice.partner.nameZh : notice.partner.name,
    data,
    address: address(notice),
    replyUrl: replyUrl(config),
  };
}

/** The webhook's versioned event (README "Partner notifications" documents it). */
function webhookEvent(notice: Notice, config: DeliveryConfig): WebhookEvent {
  const n = notice.notification;
  const data = noticeData(notice);
  const taskId = typeof data.taskId === 'string' ? data.taskId : undefined;
  const url = replyUrl(config);
  return {
    version: 1,
    id: n.notificationId,
    type: n.kind,
    occurredAt: n.createdAt.toISOString(),
    recipient: { kind: n.recipientKind, id: n.recipientId },
    case: { id: notice.case.id, stationId: notice.case.stationId, serviceCode: notice.case.serviceCode, service: notice.service?.name ?? null, address: address(notice) ?? null },
    data,
    ...(taskId ? { reply: { ...(url ? { url } : {}), caseId: notice.case.id, taskId, statuses: ['accepted', 'declined', 'done'] } } : {}),
  };
}

type Sender = (notice: Notice, channel: ContactChannel) => Promise<void>;

export function deliveryActivities(db: Db, config: DeliveryConfig) {
  const logKey = (a: ChannelAttempt) => and(eq(deliveries.notificationId, a.notificationId), eq(deliveries.round, a.round), eq(deliveries.channel, a.channel));

  /**
   * One attempt on one channel, logged idempotently: the row's attempts is the activity's attempt
   * number. An attempt that finds the row delivered (the previous one succeeded but its completion was
   * lost with a worker) sends nothing again.
   */
  const attempt = (channel: ChannelType, send: Sender) =>
    async function (a: ChannelAttempt): Promise<void> {
      const { attempt: n } = Context.current().info;
      const notice = await loadNotice(db, a.notificationId);
      const now = new Date();
      const what = `the delivery log of notice ${a.notificationId} (${channel}, round ${a.round})`;
      const [row] = await writing(what, () => db
        .insert(deliveries)
        .values({ notificationId: a.notificationId, caseId: notice.case.id, partnerId: notice.partner.id, round: a.round, channel, status: 'trying', attempts: n, lastAttemptAt: now })
        .onConflictDoUpdate({
          target: [deliveries.notificationId, deliveries.round, deliveries.channel],
          set: { attempts: sql`greatest(${deliveries.attempts}, excluded.attempts)`, lastAttemptAt: now },
        })
        .returning({ status: deliveries.status }));
      if (row?.status === 'delivered') return;
      const about = { notificationId: a.notificationId, caseId: notice.case.id, partnerId: notice.partner.id, channel, round: a.round, attempt: n };
      try {
        const contact = notice.partner.channels.find((c) => c.type === channel);
        if (!contact) throw rejected(`the partner has no ${channel} channel any more`);
        if (!notice.partner.active) throw rejected('the partner is inactive');
        await send(notice, contact);
      } catch (err) {
        const message = (err as Error).message;
        // The channel's failure is what the workflow acts on; a failed log write must not replace it.
        await db.update(deliveries).set({ lastError: message }).where(logKey(a)).catch((logErr: unknown) => {
          log.warn('delivery log not written', { ...about, error: projectionFailure(logErr, what).message });
        });
        log.warn('notice not delivered', { ...about, error: message });
        throw err;
      }
      const at = new Date();
      await writing(what, () => db.transaction(async (tx) => {
        await tx.update(deliveries).set({ status: 'delivered', deliveredAt: at }).where(logKey(a));
        await tx
          .update(notifications)
          .set({ deliveryStatus: 'delivered', deliveredAt: at, deliveredVia: channel })
          .where(eq(notifications.notificationId, a.notificationId));
      }));
      log.info('notice delivered', about);
    };

  return {
    /** The partner's channels in preference order, read afresh each round (none when it is inactive). */
    async deliveryChannels(a: { notificationId: string; round: number }): Promise<ChannelType[]> {
      const notice = await loadNotice(db, a.notificationId);
      return notice.partner.active ? notice.partner.channels.map((c) => c.type) : [];
    },

    deliverByWebhook: attempt('webhook', (notice, c) =>
      sendWebhook({ url: (c as { url: string }).url, secret: notice.partner.webhookSecret, event: webhookEvent(notice, config), timeoutMs: config.timeoutMs, outbound: config.outbound }),
    ),

    deliverByEmail: attempt('email', (notice, c) => {
      const mail = renderEmail(templateContext(notice, config), notice.partner.locale);
      return sendEmail(
        { smtpUrl: config.smtpUrl, from: config.mailFrom, dir: config.mailDir, timeoutMs: config.timeoutMs },
        { to: (c as { address: string }).address, notificationId: notice.notification.notificationId, ...mail },
      );
    }),

    deliverBySms: attempt('sms', (notice, c) =>
      sendSms({
        gatewayUrl: config.smsGatewayUrl,
        token: config.smsGatewayToken,
        phone: (c as { phone: string }).phone,
        text: renderSms(templateContext(notice, config), notice.partner.locale),
        reference: notice.notification.notificationId,
        timeoutMs: config.timeoutMs,
        outbound: config.outbound,
      }),
    ),

    /** A channel gave up: the row keeps its last failure over the bare timeout that ended it. Returns the reason kept. */
    async recordChannelGaveUp(a: ChannelAttempt & { error: string }): Promise<string> {
      const what = `the delivery log of notice ${a.notificationId} (${a.channel}, round ${a.round})`;
      const [row] = await writing(what, () => db
        .update(deliveries)
        .set({ status: 'gave-up', gaveUpAt: sql`coalesce(${deliveries.gaveUpAt}, now())`, lastError: sql`coalesce(${deliveries.lastError}, ${a.error})` })
        .where(logKey(a))
        .returning({ lastError: deliveries.lastError }));
      if (row) return row.lastError ?? a.error;
      // Gave up before any attempt was logged (e.g. its retry window passed while no worker ran).
      const notice = await loadNotice(db, a.notificationId);
      await writing(what, () =>
        db
          .insert(deliveries)
          .values({ notificationId: a.notificationId, caseId: notice.case.id, partnerId: notice.partner.id, round: a.round, channel: a.channel, status: 'gave-up', lastError: a.error, gaveUpAt: new Date() })
          .onConflictDoNothing(),
      );
      return a.error;
    },

    async recordDeliveryStatus(a: { notificationId: string; status: DeliveryStatus }): Promise<void> {
      await writing(`the delivery status of notice ${a.notificationId}`, () =>
        db.update(notifications).set({ deliveryStatus: a.status }).where(eq(notifications.notificationId, a.notificationId)),
      );
    },
  };
}
