import { eq, sql } from 'drizzle-orm';
import { Counter, Gauge } from 'prom-client';
import { cases, channelTypes, deadlineClasses, deliveries, notifications } from '../../db/schema';
import type { Collector } from './collectors';

/**
 * The read model's figures, computed at each scrape, one aggregate query each. The predicates are literals
 * (never parameters) so PostgreSQL can use the partial indexes written with the same predicates
 * (`stage <> 'closed'`, `overdue`, `delivery_status = 'unreachable'`) in every plan. Labels carry ids and
 * fixed vocabularies only.
 */
export const readModelCollector: Collector = (registry, { database }) => {
  const { db } = database;

  new Gauge({
    name: 'stationflow_cases_open',
    help: 'Cases not closed (stage <> closed), by stage and station id',
    labelNames: ['stage', 'station'] as const,
    registers: [registry],
    async collect() {
      const rows = await db
        .select({ stage: cases.stage, station: cases.stationId, n: sql<number>`count(*)::int` })
        .from(cases)
        .where(sql`${cases.stage} <> 'closed'`)
        .groupBy(cases.stage, cases.stationId);
      this.reset();
      for (const r of rows) this.set({ stage: r.stage, station: r.station }, Number(r.n));
    },
  });

  new Gauge({
    name: 'stationflow_cases_overdue',
    help: 'Open cases with a commitment past its deadline (overdue), by deadline class; 0 for a class without any',
    labelNames: ['deadline_class'] as const,
    registers: [registry],
    async collect() {
      const overdue = db
        .select({ deadlineClass: cases.deadlineClass, n: sql<number>`count(*)::int`.as('n') })
        .from(cases)
        .where(sql`${cases.overdue} and ${cases.stage} <> 'closed'`)
        .groupBy(cases.deadlineClass)
        .as('overdue');
      const rows = await db
        .select({ deadlineClass: deadlineClasses.code, n: sql<number>`coalesce(${overdue.n}, 0)::int` })
        .from(deadlineClasses)
        .leftJoin(overdue, eq(overdue.deadlineClass, deadlineClasses.code));
      this.reset();
      for (const r of rows) this.set({ deadline_class: r.deadlineClass }, Number(r.n));
    },
  });

  const undelivered = ['unreachable', 'delivering'] as const;
  new Gauge({
    name: 'stationflow_notifications_undelivered',
    help: 'Notices pushed to partners that are not delivered, by delivery status: unreachable (dead letters, every channel gave up) or delivering (channels being tried)',
    labelNames: ['status'] as const,
    registers: [registry],
    async collect() {
      const rows = await db
        .select({ status: notifications.deliveryStatus, n: sql<number>`count(*)::int` })
        .from(notifications)
        .where(sql`${notifications.deliveryStatus} in ('unreachable', 'delivering')`)
        .groupBy(notifications.deliveryStatus);
      this.reset();
      for (const status of undelivered) this.set({ status }, Number(rows.find((r) => r.status === status)?.n ?? 0));
    },
  });

  new Counter({
    name: 'stationflow_deliveries_failed_total',
    help: 'Channel deliveries that gave up (the delivery log: one per notice, round and channel), by channel; the log only grows, so use increase()',
    labelNames: ['channel'] as const,
    registers: [registry],
    async collect() {
      const rows = await db
        .select({ channel: deliveries.channel, n: sql<number>`count(*)::int` })
        .from(deliveries)
        .where(sql`${deliveries.status} = 'gave-up'`)
        .groupBy(deliveries.channel);
      // A counter set from the table: prom-client counters only add, so start from zero each scrape.
      this.reset();
      for (const channel of channelTypes) this.inc({ channel }, Number(rows.find((r) => r.channel === channel)?.n ?? 0));
    },
  });
};
