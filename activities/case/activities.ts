import { and, eq, lt } from 'drizzle-orm';
import type { Db } from '../../db/client';
import { openingKeys } from '../../db/repeat-keys';
import { caseEvents, cases, notifications, type RecipientKind, stations } from '../../db/schema';
import { caseWorkflowId } from '../../temporal/client';
import type { CaseProjection, OpenCaseInput } from '../../workflows/case/messages';
import type { EventType } from '../../workflows/shared/events';
import type { Actor, NotificationInput, RecipientKind as WorkflowRecipientKind } from '../../workflows/shared/messages';
import type { DeliveryConfig } from '../delivery/config';
import { pushNotice } from '../delivery/activities';
import { storable, writing } from '../shared/projection-errors';

/** The workflows' copy of the schema's recipient kinds names the same kinds (a compile-time check). */
export const recipientKindsMirrored: [RecipientKind, WorkflowRecipientKind] extends [WorkflowRecipientKind, RecipientKind] ? true : never = true;

export interface CaseEventInput {
  caseId: string;
  /** The workflow's event sequence number: the timeline's order and the idempotency key. */
  seq: number;
  type: EventType;
  actor: Actor;
  at: string;
  data: Record<string, unknown>;
  projection: CaseProjection;
}

/** The opening as written; `storable`: after a refusal, what PostgreSQL cannot hold is replaced (U+FFFD). */
export type CaseOpenedInput = OpenCaseInput & { storable?: boolean };

/**
 * Writes a newly opened case into the read model with its first timeline event. Idempotent: a retried
 * activity finds both rows and writes nothing more. Data the database refuses fails it for good
 * (projection-errors.ts); the workflow then asks again with `storable`.
 */
export function recordCaseOpenedActivity(db: Db) {
  return async function recordCaseOpened(given: CaseOpenedInput): Promise<void> {
    const { storable: replace, ...opening } = given;
    const input = replace ? storable(opening) : opening;
    const openedAt = new Date(input.openedAt);
    await writing(`the opening of case ${input.caseId}`, () => db.transaction(async (tx) => {
      await tx
        .insert(cases)
        .values({
          id: input.caseId,
          workflowId: caseWorkflowId(input.caseId),
          stationId: input.stationId,
          serviceCode: input.serviceCode,
          category: input.category as (typeof cases.$inferInsert)['category'],
          deadlineClass: input.deadlineClass,
          channel: input.channel as (typeof cases.$inferInsert)['channel'],
          demand: input.demand,
          resident: input.resident,
          ...openingKeys(input.resident),
          stage: 'accept',
          openedBy: input.openedBy.id,
          openedAt,
          updatedAt: openedAt,
          relatedCaseId: input.relatedCaseId ?? null,
        })
        .onConflictDoNothing();
      await tx
        .insert(caseEvents)
        .values({
          caseId: input.caseId,
          eventKey: 'opened',
          seq: 0,
          type: 'case.opened',
          actor: input.openedBy.id,
          actorRole: input.openedBy.role,
          at: openedAt,
          data: {
            serviceCode: input.serviceCode,
            channel: input.channel,
            deadlineClass: input.deadlineClass,
            ...(input.relatedCaseId ? { relatedCaseId: input.relatedCaseId } : {}),
          },
        })
        .onConflictDoNothing();
    }));
  };
}

/**
 * Appends one event to the case's timeline and brings the case row up to date, in one transaction.
 * Idempotent by (case, seq): a retry writes nothing twice. An older event never overwrites the row
 * after a newer one (activities of one case may finish out of order).
 */
function recordCaseEventActivity(db: Db) {
  return async function recordCaseEvent(e: CaseEventInput): Promise<void> {
    const at = new Date(e.at);
    await writing(`event ${e.seq} (${e.type}) of case ${e.caseId}`, () => db.transaction(async (tx) => {
      const inserted = await tx
        .insert(caseEvents)
        .values({ caseId: e.caseId, eventKey: `e${e.seq}`, seq: e.seq, type: e.type, actor: e.actor.id, actorRole: e.actor.role, at, data: e.data })
        .onConflictDoNothing()
        .returning({ id: caseEvents.id });
      if (inserted.length === 0) return;
      const p = e.projection;
      await tx
        .update(cases)
        .set({
          stage: p.stage,
          overdue: p.overdue,
          nextDueAt: p.nextDueAt ? new Date(p.nextDueAt) : null,
          provisional: p.provisional,
          paused: p.paused,
          resolution: p.resolution,
          ...(p.partnerUnreachable === undefined ? {} : { partnerUnreachable: p.partnerUnreachable }),
          updatedAt: at,
          projectionSeq: e.seq,
        })
        .where(and(eq(cases.id, e.caseId), lt(cases.projectionSeq, e.seq)));
    }));
  };
}

/**
 * Queues a notification in the outbox (idempotent by key) and, for a partner or a department with a
 * registry entry, starts its delivery through their channels (deliveries.ts).
 */
function notifyActivity(db: Db, delivery: DeliveryConfig) {
  return async function notify(given: NotificationInput): Promise<void> {
    const n = await toSubdistrictSupervisors(db, given);
    const what = `notice ${n.kind} of case ${n.caseId}`;
    const [inserted] = await writing(what, () =>
      db
        .insert(notifications)
        .values({ key: n.key, caseId: n.caseId, recipientKind: n.recipient.kind, recipientId: n.recipient.id, kind: n.kind, data: n.data, createdAt: new Date(n.at) })
        .onConflictDoNothing()
        .returning({ notificationId: notifications.notificationId }),
    );
    // Already queued (a retried activity): the row it wrote then.
    const [row] = inserted
      ? [inserted]
      : await writing(what, () => db.select({ notificationId: notifications.notificationId }).from(notifications).where(eq(notifications.key, n.key)));
    await pushNotice(db, delivery, { notificationId: row!.notificationId, caseId: n.caseId, kind: n.kind, recipient: n.recipient });
  };
}

/**
 * Supervisors belong to the subdistrict. Cases opened before they carried their subdistrict name the station
 * (`supervisor:<station>`); such a notice goes to the station's subdistrict's supervisors instead.
 */
async function toSubdistrictSupervisors(db: Db, n: NotificationInput): Promise<NotificationInput> {
  if (n.recipient.kind !== 'supervisor') return n;
  const [station] = await db.select({ subdistrictId: stations.subdistrictId }).from(stations).where(eq(stations.id, n.recipient.id));
  return station ? { ...n, recipient: { kind: 'supervisor', id: station.subdistrictId } } : n;
}

export function caseActivities(db: Db, delivery: DeliveryConfig) {
  return {
    recordCaseOpened: recordCaseOpenedActivity(db),
    recordCaseEvent: recordCaseEventActivity(db),
    notify: notifyActivity(db, delivery),
  };
}
