import { cases, caseEvents } from '../db/schema';
import type { Db } from '../db/client';
import { caseWorkflowId } from '../temporal/client';
import type { OpenCaseInput } from '../workflows/case-messages';

/**
 * Writes a newly opened case into the read model with its first timeline event. Idempotent: a retried
 * activity finds both rows and writes nothing more.
 */
export function recordCaseOpenedActivity(db: Db) {
  return async function recordCaseOpened(input: OpenCaseInput): Promise<void> {
    const openedAt = new Date(input.openedAt);
    await db.transaction(async (tx) => {
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
          stage: 'accept',
          openedBy: input.openedBy.id,
          openedAt,
          updatedAt: openedAt,
        })
        .onConflictDoNothing();
      await tx
        .insert(caseEvents)
        .values({
          caseId: input.caseId,
          eventKey: 'opened',
          type: 'case.opened',
          actor: input.openedBy.id,
          actorRole: input.openedBy.role,
          at: openedAt,
          data: { serviceCode: input.serviceCode, channel: input.channel, deadlineClass: input.deadlineClass },
        })
        .onConflictDoNothing();
    });
  };
}
