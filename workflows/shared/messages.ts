/**
 * Shapes every workflow concept shares (case, whistle, delivery): who acts, commands, goal units,
 * commitments' clocks, delivery reports and refused projection writes. Workflow code imports this file,
 * so it depends on nothing at run time.
 */

import type { EventType } from './events';
import type { NoticeKind } from './notices';

export interface Actor {
  /** The token's subject: a staff member, supervisor, department user or partner id. */
  id: string;
  role: 'staff' | 'department' | 'supervisor' | 'admin' | 'partner' | 'system';
}

/** Every update carries who acts; the API fills it from the token. */
export type Command<T> = T & { actor: Actor };

/** How a commitment's goal is counted (mirrors db/schema goalUnits; workflow code cannot import the schema). */
export type GoalUnit = 'minutes' | 'hours' | 'days' | 'working-days';

export const assigneeKinds = ['staff', 'partner', 'department'] as const;
export type AssigneeKind = (typeof assigneeKinds)[number];
export interface Assignee {
  kind: AssigneeKind;
  id: string;
}

/* ---------- commitments: each has a clock (the running timer) and a deadline (its due instant) ---------- */

/** Where the calendar places a clock's deadline and warnings (the calendar activities' answer). */
export interface ClockSchedule {
  dueAt: string;
  /** When 50 % and 75 % of the budget is consumed; null when already past at `from`. */
  warnings: { p50: string | null; p75: string | null };
  /** Some day up to dueAt lies in a year without official calendar data. */
  provisional: boolean;
}


/** A case's clocks (response, resolution, task) and a whistle's, per department (check-in, report). */
export type ClockKind = 'response' | 'resolution' | 'task' | 'check-in' | 'report';
export type MilestoneKind = 'warning-50' | 'warning-75' | 'breach';

/**
 * A commitment's clock: its goal counted in its unit, paused while the case waits on the resident; `dueAt`
 * is the commitment's deadline. The budget and what is consumed are in the unit's own milliseconds
 * (working time for working days).
 */
export interface Clock {
  id: string;
  kind: ClockKind;
  taskId?: string;
  unit: GoalUnit;
  budgetMs: number;
  /** Consumed before `runningSince` (by earlier running spells). */
  consumedMs: number;
  startedAt: string;
  /** Set while running; absent while paused or stopped. */
  runningSince?: string;
  dueAt: string;
  /** The deadline reaches a year without official calendar data: computed by the weekday rule. */
  provisional: boolean;
  status: 'running' | 'paused' | 'met' | 'cancelled';
  milestones: { kind: MilestoneKind; at: string; done: boolean }[];
  /** A whistle's clocks: the department they run for. */
  departmentId?: string;
  /** Who is warned: the case owner, or the task's assignee. */
  assignee: Assignee;
  breachedAt?: string;
  metAt?: string;
  /** Remaining time when paused, in the unit's milliseconds. */
  remainingMs?: number;
  extensions: { from: string; to: string; reason: string; by: string; at: string }[];
}

/** From a delivery workflow: its notice reached nobody on any channel (a dead letter), or reached the partner after all. */
export interface DeliveryReport {
  notificationId: string;
  outcome: 'unreachable' | 'reached';
  recipient: { kind: 'partner' | 'department'; id: string };
  partnerId: string;
  kind: NoticeKind;
  round: number;
  /** The channels tried in this round, in order. */
  channels: string[];
  /** The last channel's reason for giving up. */
  lastError?: string;
}

/**
 * The failure type of a projection activity's write that can never succeed (the database refused the
 * data: SQLSTATE classes 21, 22, 23, 42, 54). Not retried; the workflow records it and carries on.
 */
export const projectionRejectedType = 'ProjectionRejected';

/** A timeline write the database refused for good: the event (or notice) and the SQLSTATE. */
export interface ProjectionFailure {
  /** The sequence number the event would have had (for a notice: the event it followed). */
  seq: number;
  /** The event's type, or `notification:<kind>` for a notice. */
  type: EventType | `notification:${NoticeKind}`;
  at: string;
  code: string;
}

/* ---------- notices ---------- */

/** Who a notice is for (mirrors db/schema recipientKinds; workflow code cannot import the schema). */
export type RecipientKind = 'staff' | 'partner' | 'department' | 'supervisor' | 'resident' | 'agency';

/** A notice a workflow sends: the notify activity writes it, and pushes it to partners and departments. */
export interface NotificationInput {
  /** Idempotency key, unique per notification. */
  key: string;
  caseId: string;
  recipient: { kind: RecipientKind; id: string };
  kind: NoticeKind;
  at: string;
  data: Record<string, unknown>;
}
