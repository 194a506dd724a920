import { and, asc, eq, sql } from 'drizzle-orm';
import { z } from 'zod';
import type { Db } from '../../db/client';
import { caseEvents, goalUnits } from '../../db/schema';
import type { Clock } from '../../workflows/shared/messages';

/**
 * Parts of the views more than one concept shows: commitment clocks (a case's and a whistle's), the
 * timeline (a case's events and its whistles', one table) and the timeline writes the database refused.
 */

const time = z.iso.datetime({ offset: true });
const by = { by: z.string(), at: time };

/** Timeline writes the database refused for good; shown on cases and whistles alike. */
export const ProjectionFailures = z
  .array(z.object({ seq: z.int(), type: z.string(), at: time, code: z.string().meta({ description: 'The SQLSTATE the database answered' }) }))
  .optional()
  .meta({
    description:
      'Timeline writes the database refused for good (e.g. text it cannot store): the event is in the live state but not in the timeline, where a timeline.write-failed marker stands for it',
  });

export const ClockView = z
  .object({
    id: z.string().meta({ description: 'response, resolution, task:<task id>; on whistles check-in:<department> or report:<department>' }),
    kind: z.enum(['response', 'resolution', 'task', 'check-in', 'report']),
    taskId: z.string().optional(),
    departmentId: z.string().optional(),
    unit: z.enum(goalUnits),
    status: z.enum(['running', 'paused', 'met', 'cancelled']),
    startedAt: time,
    dueAt: time,
    provisional: z.boolean().meta({ description: 'The deadline reaches a year without official calendar data' }),
    breachedAt: time.optional(),
    metAt: time.optional(),
    extensions: z.array(z.object({ from: time, to: time, reason: z.string(), ...by })),
    remainingMs: z
      .number()
      .nullable()
      .meta({ description: 'Running: until dueAt (negative when overdue); paused: what is left, in the unit; otherwise null' }),
  })
  .meta({ id: 'Clock' });

export const TimelineEvent = z
  .object({
    seq: z.number().int().meta({ description: "The event's number in its own sequence: the case's, or its whistle's" }),
    whistleId: z.string().optional().meta({ description: 'Set on events of a whistle of the case' }),
    type: z.string(),
    actor: z.string(),
    actorRole: z.string(),
    at: time,
    data: z.record(z.string(), z.unknown()),
  })
  .meta({ id: 'TimelineEvent' });

export function clockView(c: Clock, now: number): z.infer<typeof ClockView> {
  const remainingMs = c.status === 'running' ? Date.parse(c.dueAt) - now : c.status === 'paused' ? (c.remainingMs ?? null) : null;
  return {
    id: c.id,
    kind: c.kind,
    taskId: c.taskId,
    departmentId: c.departmentId,
    unit: c.unit,
    status: c.status,
    startedAt: c.startedAt,
    dueAt: c.dueAt,
    provisional: c.provisional,
    breachedAt: c.breachedAt,
    metAt: c.metAt,
    extensions: c.extensions,
    remainingMs,
  };
}

/**
 * The case's timeline: its own events and its whistles' events, in time order (each sequence keeps its
 * own order; `whistleId` tells a whistle's events apart). `whistleId` narrows it to one whistle.
 */
export async function readTimeline(db: Db, caseId: string, whistleId?: string): Promise<z.infer<typeof TimelineEvent>[]> {
  const events = await db
    .select()
    .from(caseEvents)
    .where(whistleId ? and(eq(caseEvents.caseId, caseId), eq(caseEvents.whistleId, whistleId)) : eq(caseEvents.caseId, caseId))
    .orderBy(asc(caseEvents.at), sql`${caseEvents.whistleId} nulls first`, asc(caseEvents.seq), asc(caseEvents.id));
  return events.map((e) => ({
    seq: e.seq,
    ...(e.whistleId ? { whistleId: e.whistleId } : {}),
    type: e.type,
    actor: e.actor,
    actorRole: e.actorRole,
    at: e.at.toISOString(),
    data: e.data,
  }));
}
