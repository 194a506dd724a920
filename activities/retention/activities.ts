import { Context } from '@temporalio/activity';
import { type Client, WorkflowNotFoundError } from '@temporalio/client';
import { and, asc, eq, inArray, isNotNull, isNull, lt, sql } from 'drizzle-orm';
import type { Db } from '../../db/client';
import { caseEvents, cases, idempotencyKeys, notifications, whistleCalls, whistles } from '../../db/schema';
import { caseWorkflowId } from '../../temporal/workflow-ids';
import { erasedMarker, eraseFreeText, type RetentionBatchInput, type RetentionBatchResult } from '../../workflows/retention/messages';

/** A transaction of the read model's database. */
type Tx = Parameters<Parameters<Db['transaction']>[0]>[0];

/**
 * Retention's one activity: a batch of closed cases past the cutoff, oldest closure first, each erased
 * once (README "Security": what is erased, what stays). The whole batch is one transaction, so a worker
 * killed mid-batch leaves nothing half-erased; a case erased already is never selected or written again.
 */
export function retentionActivities(db: Db) {
  return {
    async eraseClosedCases({ cutoff, after, limit }: RetentionBatchInput): Promise<RetentionBatchResult> {
      const ctx = Context.current();
      // Heartbeats say this worker is alive (a batch may wait on row locks); a killed one is noticed in seconds.
      const beat = setInterval(() => ctx.heartbeat(), 1000);
      try {
        const candidates = await db
          // The cursor is the database's own text of closed_at: a JS Date would drop its microseconds.
          .select({ id: cases.id, closedAt: sql<string>`${cases.closedAt}::text` })
          .from(cases)
          .where(
            and(
              eq(cases.stage, 'closed'),
              isNull(cases.erasedAt),
              lt(cases.closedAt, new Date(cutoff)),
              after ? sql`(${cases.closedAt}, ${cases.id}) > (${after.closedAt}::timestamptz, ${after.id})` : undefined,
            ),
          )
          .orderBy(asc(cases.closedAt), asc(cases.id))
          .limit(limit);
        const ended: string[] = [];
        for (const c of candidates) if (!(await workflowRunning(ctx.client, c.id))) ended.push(c.id);
        const erased = ended.length > 0 ? await db.transaction((tx) => eraseCases(tx, ended, new Date(cutoff))) : 0;
        const last = candidates.at(-1);
        return {
          scanned: candidates.length,
          erased,
          running: candidates.length - ended.length,
          ...(candidates.length === limit && last ? { next: { closedAt: last.closedAt, id: last.id } } : {}),
        };
      } finally {
        clearInterval(beat);
      }
    },
  };
}

/**
 * A closed case's workflow may still run (waiting for the evaluation, within its reopen window): its data is
 * left until it ends, so a reopening never works on an erased case. A workflow Temporal no longer knows (its
 * history past the namespace's retention) has ended.
 */
async function workflowRunning(client: Client, caseId: string): Promise<boolean> {
  try {
    const { status } = await client.workflow.getHandle(caseWorkflowId(caseId)).describe();
    return status.name === 'RUNNING';
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return false;
    throw err;
  }
}

/** Every key of the resident's JSON (name, phone, address, any other) with the marker as its value. */
const erasedResident = sql`coalesce((select jsonb_object_agg(r.key, to_jsonb(${erasedMarker}::text)) from jsonb_each(${cases.resident}) r), jsonb_build_object('name', ${erasedMarker}::text))`;
const markIfSet = (column: typeof whistles.location | typeof whistles.outcomeNote | typeof whistleCalls.ratingComment | typeof whistleCalls.feedbackComment) =>
  sql`case when ${column} is null then null else ${erasedMarker} end`;

/** Erases the cases (those not erased already) and their rows in every table; answers how many it erased. */
async function eraseCases(tx: Tx, ids: string[], cutoff: Date): Promise<number> {
  const done = await tx
    .update(cases)
    .set({ resident: erasedResident, demand: erasedMarker, repeatPhoneKey: null, repeatNameKey: null, erasedAt: sql`now()` })
    .where(and(inArray(cases.id, ids), isNull(cases.erasedAt), eq(cases.stage, 'closed'), isNotNull(cases.closedAt), lt(cases.closedAt, cutoff)))
    .returning({ id: cases.id });
  const erased = done.map((c) => c.id);
  if (erased.length === 0) return 0;

  // The timeline and the notices keep every fact; only their free text goes.
  const events = await tx.select({ id: caseEvents.id, data: caseEvents.data }).from(caseEvents).where(inArray(caseEvents.caseId, erased));
  await writeData(tx, 'case_events', events);
  const notices = await tx.select({ id: notifications.id, data: notifications.data }).from(notifications).where(inArray(notifications.caseId, erased));
  await writeData(tx, 'notifications', notices);

  await tx
    .update(whistles)
    .set({ summary: erasedMarker, location: markIfSet(whistles.location), outcomeNote: markIfSet(whistles.outcomeNote) })
    .where(inArray(whistles.caseId, erased));
  await tx
    .update(whistleCalls)
    .set({ ratingComment: markIfSet(whistleCalls.ratingComment), feedbackComment: markIfSet(whistleCalls.feedbackComment) })
    .where(inArray(whistleCalls.whistleId, tx.select({ id: whistles.id }).from(whistles).where(inArray(whistles.caseId, erased))));
  // The opening request as sent (the resident in it): an Idempotency-Key this old is never retried.
  await tx.delete(idempotencyKeys).where(inArray(idempotencyKeys.caseId, erased));
  return erased.length;
}

/** Writes the erased data of the rows whose data had free text, in one statement. */
async function writeData(tx: Tx, table: 'case_events' | 'notifications', rows: { id: number; data: Record<string, unknown> }[]): Promise<void> {
  const changed = rows.flatMap((r) => {
    const data = eraseFreeText(r.data);
    return data === r.data ? [] : [{ id: r.id, data }];
  });
  if (changed.length === 0) return;
  await tx.execute(sql`
    update ${sql.identifier(table)} t set data = v.data
    from jsonb_to_recordset(${JSON.stringify(changed)}::jsonb) as v(id bigint, data jsonb)
    where t.id = v.id`);
}
