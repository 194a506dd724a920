import { and, eq, lt } from 'drizzle-orm';
import type { Db } from '../../db/client';
import { caseEvents, type WhistleInboxState, whistleCalls, whistles } from '../../db/schema';
import { whistleWorkflowId } from '../../temporal/workflow-ids';
import type { EventType } from '../../workflows/shared/events';
import type { Actor } from '../../workflows/shared/messages';
import type { CallProjection, WhistleInput, WhistleProjection, WhistleInboxState as WorkflowInboxState } from '../../workflows/whistle/messages';
import { storable, writing } from '../shared/projection-errors';

/** The workflows' copy of the schema's inbox states names the same states (a compile-time check). */
export const inboxStatesMirrored: [WhistleInboxState, WorkflowInboxState] extends [WorkflowInboxState, WhistleInboxState] ? true : never = true;

export interface WhistleEventInput {
  whistleId: string;
  caseId: string;
  /** The whistle's own event sequence number (1, 2, …). */
  seq: number;
  type: EventType;
  actor: Actor;
  at: string;
  data: Record<string, unknown>;
  projection: WhistleProjection;
}

const time = (iso: string | null) => (iso ? new Date(iso) : null);

function callRow(whistleId: string, c: CallProjection) {
  return {
    whistleId,
    departmentId: c.departmentId,
    role: c.role,
    status: c.status,
    state: c.state,
    dueAt: time(c.dueAt),
    calledAt: new Date(c.calledAt),
    checkInDueAt: new Date(c.checkInDueAt),
    reportDueAt: new Date(c.reportDueAt),
    checkedInAt: time(c.checkedInAt),
    checkInLatencySeconds: c.checkInLatencySeconds,
    missedCheckIns: c.missedCheckIns,
    disputes: c.disputes,
    disputeDecision: c.disputeDecision,
    reportOutcome: c.reportOutcome,
    reportedAt: time(c.reportedAt),
    reportOnTime: c.reportOnTime,
    rating: c.rating,
    ratingComment: c.ratingComment,
    feedback: c.feedback,
    feedbackComment: c.feedbackComment,
    releasedAt: time(c.releasedAt),
    replacedBy: c.replacedBy,
    replaces: c.replaces,
  };
}

/**
 * One whistle event as written: the whistle's input along with the event that creates its rows;
 * `storable`: after a refusal, what PostgreSQL cannot hold is replaced (U+FFFD) in the rows.
 */
export type WhistleEventWrite = WhistleEventInput & { whistle?: WhistleInput; storable?: boolean };

/**
 * Appends one whistle event to its case's timeline (keyed `<whistle>:e<seq>`, so a retry writes nothing
 * twice) and brings the whistle's rows up to date; the first event (or the marker standing for it) creates
 * them. An older event never overwrites the rows after a newer one. Data the database refuses fails it for
 * good (projection-errors.ts).
 */
function recordWhistleEventActivity(db: Db) {
  return async function recordWhistleEvent(given: WhistleEventWrite): Promise<void> {
    const { storable: replace, ...write } = given;
    const e = replace ? storable(write) : write;
    const at = new Date(e.at);
    const p = e.projection;
    await writing(`event ${e.seq} (${e.type}) of whistle ${e.whistleId}`, () => db.transaction(async (tx) => {
      const inserted = await tx
        .insert(caseEvents)
        .values({
          caseId: e.caseId,
          whistleId: e.whistleId,
          eventKey: `${e.whistleId}:e${e.seq}`,
          seq: e.seq,
          type: e.type,
          actor: e.actor.id,
          actorRole: e.actor.role,
          at,
          data: e.data,
        })
        .onConflictDoNothing()
        .returning({ id: caseEvents.id });
      if (inserted.length === 0) return;
      const progress = {
        status: p.status,
        state: p.state,
        leadDepartmentId: p.lead,
        awaitingDepartments: p.awaitingDepartments,
        nextDueAt: time(p.nextDueAt),
        overdue: p.overdue,
        outcome: p.outcome,
        outcomeNote: p.outcomeNote,
        completedAt: time(p.completedAt),
        updatedAt: at,
        projectionSeq: e.seq,
      };
      if (e.whistle) {
        const w = e.whistle;
        await tx
          .insert(whistles)
          .values({
            id: w.whistleId,
            workflowId: whistleWorkflowId(w.whistleId),
            caseId: w.caseId,
            stationId: w.stationId,
            subdistrictId: w.subdistrictId,
            reason: w.reason,
            urgency: w.rules.urgency,
            summary: w.summary,
            location: w.location ?? null,
            serviceCode: w.serviceCode,
            initiatedBy: w.initiatedBy.id,
            initiatedAt: new Date(w.initiatedAt),
            ...progress,
          })
          .onConflictDoNothing();
      }
      const updated = await tx
        .update(whistles)
        .set(progress)
        .where(and(eq(whistles.id, e.whistleId), lt(whistles.projectionSeq, e.seq)))
        .returning({ id: whistles.id });
      if (updated.length === 0 && !e.whistle) return; // a newer event has already projected the whistle
      for (const c of p.calls) {
        const row = callRow(e.whistleId, c);
        const { whistleId: _w, departmentId: _d, ...changes } = row;
        await tx.insert(whistleCalls).values(row).onConflictDoUpdate({ target: [whistleCalls.whistleId, whistleCalls.departmentId], set: changes });
      }
    }));
  };
}

export function whistleActivities(db: Db) {
  return { recordWhistleEvent: recordWhistleEventActivity(db) };
}
