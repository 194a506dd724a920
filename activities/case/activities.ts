import { Context } from '@temporalio/activity';
import { and, eq, lt, sql } from 'drizzle-orm';
import type { Db } from '../../db/client';
import { openingKeys } from '../../db/repeat-keys';
import { caseEvents, cases, notifications, type RecipientKind, stations } from '../../db/schema';
import { caseWorkflowId } from '../../temporal/client';
import type { CaseProjection, OpenCaseInput } from '../../workflows/case/messages';
import type { EventType } from '../../workflows/shared/events';
import type { Actor, NotificationInput, RecipientKind as WorkflowRecipientKind } from '../../workflows/shared/messages';
import type { DeliveryConfig } from '../delivery/config';
import { pushNotice } from '../delivery/activities';
import { isPermanent, projectionFailure, sqlStateOf, storable, writing } from '../shared/projection-errors';

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
    await writing(`the opening of case ${given.caseId}`, () => db.transaction((tx) => insertOpening(tx, given)));
  };
}

/** A transaction (or a savepoint inside one) of the read model's database. */
type Tx = Parameters<Parameters<Db['transaction']>[0]>[0];

/** The case row and its first timeline event (both skipped when already there). */
async function insertOpening(tx: Tx, given: CaseOpenedInput): Promise<void> {
  const { storable: replace, ...opening } = given;
  const input = replace ? storable(opening) : opening;
  const openedAt = new Date(input.openedAt);
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
      owner: input.openedBy.id,
      lastProgressAt: openedAt,
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
}

/**
 * Appends one event to the case's timeline and brings the case row up to date, in one transaction.
 * Idempotent by (case, seq): a retry writes nothing twice. An older event never overwrites the row
 * after a newer one (activities of one case may finish out of order).
 */
function recordCaseEventActivity(db: Db) {
  return async function recordCaseEvent(e: CaseEventInput): Promise<void> {
    await writing(`event ${e.seq} (${e.type}) of case ${e.caseId}`, () =>
      db.transaction(async (tx) => {
        if (await insertEvent(tx, e)) await projectCase(tx, e);
      }),
    );
  };
}

/** Appends the event to the timeline; false when it is there already (a retry). */
async function insertEvent(tx: Tx, e: CaseEventInput): Promise<boolean> {
  const inserted = await tx
    .insert(caseEvents)
    .values({ caseId: e.caseId, eventKey: `e${e.seq}`, seq: e.seq, type: e.type, actor: e.actor.id, actorRole: e.actor.role, at: new Date(e.at), data: e.data })
    .onConflictDoNothing()
    .returning({ id: caseEvents.id });
  return inserted.length > 0;
}

/** Brings the case row up to the event's projection, unless a newer event already has. */
async function projectCase(tx: Tx, e: CaseEventInput): Promise<void> {
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
      ...supervisionColumns(p),
      // Retention counts from the closure (kept while the case stays closed; a reopening clears it).
      closedAt: p.stage === 'closed' ? sql`coalesce(${cases.closedAt}, ${new Date(e.at).toISOString()}::timestamptz)` : null,
      updatedAt: new Date(e.at),
      projectionSeq: e.seq,
    })
    .where(and(eq(cases.id, e.caseId), lt(cases.projectionSeq, e.seq)));
}

const instant = (iso: string | null | undefined) => (iso ? new Date(iso) : null);

/** Supervision's columns, from a projection that carries them (older ones leave them as they are). */
function supervisionColumns(p: CaseProjection): Partial<typeof cases.$inferInsert> {
  if (p.overdueCommitments === undefined) return {};
  return {
    ...(p.owner ? { owner: p.owner } : {}),
    // A case without a person's action since these columns keeps the backfilled (or opening) value.
    ...(p.lastProgressAt ? { lastProgressAt: new Date(p.lastProgressAt) } : {}),
    pausedSince: instant(p.pausedSince),
    callBackDueAt: instant(p.callBackDueAt),
    overdueCommitments: p.overdueCommitments,
  };
}

/**
 * Queues a notification in the outbox (idempotent by key) and, for a partner or a department with a
 * registry entry, starts its delivery through their channels (deliveries.ts).
 */
function notifyActivity(db: Db, delivery: DeliveryConfig) {
  return async function notify(given: NotificationInput): Promise<void> {
    const n = await toSubdistrictSupervisors(db, given);
    const notificationId = await writing(`notice ${n.kind} of case ${n.caseId}`, () => queueNotice(db, n));
    await pushNotice(db, delivery, { notificationId, caseId: n.caseId, kind: n.kind, recipient: n.recipient });
  };
}

/** Puts the notice in the outbox (once by its key) and answers its id, also when a retry finds it there. */
async function queueNotice(db: Db | Tx, n: NotificationInput): Promise<string> {
  const [inserted] = await db
    .insert(notifications)
    .values({ key: n.key, caseId: n.caseId, recipientKind: n.recipient.kind, recipientId: n.recipient.id, kind: n.kind, data: n.data, createdAt: new Date(n.at) })
    .onConflictDoNothing()
    .returning({ notificationId: notifications.notificationId });
  if (inserted) return inserted.notificationId;
  const [row] = await db.select({ notificationId: notifications.notificationId }).from(notifications).where(eq(notifications.key, n.key));
  return row!.notificationId;
}

/**
 * Everything one change of a case writes, in the order it happened: the opening (the first change only),
 * timeline events (in seq order) and notices. Written by `recordCaseChanges` in one transaction.
 */
export interface CaseChanges {
  caseId: string;
  opening?: CaseOpenedInput;
  events: CaseEventInput[];
  notices: NotificationInput[];
}

/** What the database refused for good, by item (`index` into `events` or `notices`); the rest is written. */
export interface CaseChangesWritten {
  refused: { item: 'opening' | 'event' | 'notice'; index: number; code: string }[];
}

/**
 * Writes a change of a case at once: the opening, every timeline event, the case row (once, to the newest
 * event's projection) and every notice in one transaction, then starts the notices' deliveries. The same
 * rows, keys and guards as recordCaseOpened, recordCaseEvent and notify, so a retry writes nothing twice.
 *
 * When the database refuses something for good (projection-errors.ts), the transaction is run again with
 * each row on a savepoint of its own: what can be written is, and the refused items are answered so the
 * workflow marks each (a refused opening is written again storable, as recordCaseOpened's caller does).
 */
function recordCaseChangesActivity(db: Db, delivery: DeliveryConfig) {
  return async function recordCaseChanges(given: CaseChanges): Promise<CaseChangesWritten> {
    const c = { ...given, notices: await Promise.all(given.notices.map((n) => toSubdistrictSupervisors(db, n))) };
    const what = `${c.events.length} events and ${c.notices.length} notices of case ${c.caseId}`;
    let written: { refused: CaseChangesWritten['refused']; queued: string[] };
    try {
      written = await db.transaction((tx) => writeChanges(tx, c, false));
    } catch (err) {
      if (!isPermanent(sqlStateOf(err))) throw projectionFailure(err, what);
      written = await writing(what, () => db.transaction((tx) => writeChanges(tx, c, true)));
    }
    for (const [i, n] of c.notices.entries()) {
      const notificationId = written.queued[i];
      if (notificationId) await pushNotice(db, delivery, { notificationId, caseId: n.caseId, kind: n.kind, recipient: n.recipient });
    }
    return { refused: written.refused };
  };
}

/** Names an item of a change as the single-row activities name their writes (data-free). */
function whatOf(c: CaseChanges, item: CaseChangesWritten['refused'][number]['item'], index: number): string {
  if (item === 'opening') return `the opening of case ${c.caseId}`;
  if (item === 'event') return `event ${c.events[index]!.seq} (${c.events[index]!.type}) of case ${c.caseId}`;
  return `notice ${c.notices[index]!.kind} of case ${c.caseId}`;
}

async function writeChanges(tx: Tx, c: CaseChanges, oneByOne: boolean): Promise<{ refused: CaseChangesWritten['refused']; queued: string[] }> {
  const refused: CaseChangesWritten['refused'] = [];
  /** Runs one row's write; one by one, on its own savepoint, a refusal is noted instead of thrown. */
  const each = async <T>(item: CaseChangesWritten['refused'][number]['item'], index: number, write: (tx: Tx) => Promise<T>): Promise<T | undefined> => {
    if (!oneByOne) return write(tx);
    try {
      return await tx.transaction((sp) => write(sp));
    } catch (err) {
      const code = sqlStateOf(err);
      if (!isPermanent(code)) throw err;
      refused.push({ item, index, code: code! });
      // Logged as a failed write would be: the SQLSTATE and what it was, never the data.
      Context.current().log.warn('a write of the change was refused; the rest is written', { error: projectionFailure(err, whatOf(c, item, index)) });
      return undefined;
    }
  };
  if (c.opening) {
    const opening = c.opening;
    const written = await each('opening', 0, (t) => insertOpening(t, opening).then(() => true));
    if (!written) await insertOpening(tx, { ...opening, storable: true });
  }
  let newest: CaseEventInput | undefined;
  for (const [i, e] of c.events.entries()) {
    if ((await each('event', i, (t) => insertEvent(t, e))) && (!newest || e.seq > newest.seq)) newest = e;
  }
  if (newest) await projectCase(tx, newest);
  const queued: string[] = [];
  for (const [i, n] of c.notices.entries()) queued[i] = (await each('notice', i, (t) => queueNotice(t, n))) ?? '';
  return { refused, queued };
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
    recordCaseChanges: recordCaseChangesActivity(db, delivery),
  };
}
