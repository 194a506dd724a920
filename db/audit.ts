import { eq } from 'drizzle-orm';
import type { Db } from './client';
import { caseEvents, cases } from './schema';

/**
 * A person's action on a case that its workflow does not record itself (a delivery retried, a workflow
 * reset), written on the case's timeline by whoever carried it out. The timeline's seq numbers are the
 * workflow's, so the row takes the seq of the case's latest event (it follows it in time) and a key of
 * its own that no workflow event can have (theirs are `e<seq>`): the same key is written once.
 */
export async function recordOnTimeline(
  db: Db,
  e: { caseId: string; key: string; type: string; actor: { id: string; role: string }; at?: Date; data: Record<string, unknown> },
): Promise<void> {
  const [row] = await db.select({ seq: cases.projectionSeq }).from(cases).where(eq(cases.id, e.caseId));
  if (!row) throw new Error(`case ${e.caseId} is not in the read model`);
  await db
    .insert(caseEvents)
    .values({ caseId: e.caseId, eventKey: e.key, seq: row.seq, type: e.type, actor: e.actor.id, actorRole: e.actor.role, at: e.at ?? new Date(), data: e.data })
    .onConflictDoNothing();
}
