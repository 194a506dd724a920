/**
 * Every timeline event type the workflows and activities write (the `type` of a case_events row), one
 * line each on what it records. A case's and its whistles' events share one timeline. Plain values, so
 * workflows, activities and the API may all import them; the database column stays text (rows written
 * before a type was listed are still read as they are).
 */
export const eventTypes = [
  /* ---------- the case ---------- */
  'case.opened', // the demand was taken in (written with the case row, seq 0)
  'case.accepted', // the station accepted the demand (受理)
  'case.diagnosed', // the station assessed the demand and set its category
  'plan.adopted', // the first service plan and its tasks were adopted
  'plan.revised', // a later revision of the plan replaced the open tasks
  'task.accepted', // a partner accepted its task
  'task.declined', // a partner declined its task; it went back to the case owner
  'task.completed', // a task was reported done or not done
  'case.paused', // the case waits for the resident (e.g. documents); its clocks stopped
  'case.resumed', // the resident came back; the clocks run again
  'case.closed', // the case was closed: resolved, unresolved or transferred
  'case.evaluated', // the resident rated the outcome
  'case.reopened', // an unsatisfied rating in the window reopened the case into execution
  'callback.due', // the time to call the resident back (回访) came without a rating
  'demand.repeated', // the resident raised the same demand again on an open case
  'stage.entered', // the case moved on to its next stage
  /* ---------- supervisors' interventions ---------- */
  'case.urged', // a supervisor urged (督办) the owner, a task's assignee or a whistle's department (party, count in data)
  'case.reassigned', // the case got a new owner (from, to, reason in data)
  'task.reassigned', // an open task got a new assignee (taskId, from, to, reason in data)
  'case.withdrawn', // the case ended without a closure: withdrawn by the resident, a duplicate, opened in error
  'case.reset', // an admin reset the case's failing workflow to its last good point (written by the API; reason, fromEventId, runId, newRunId in data)
  /* ---------- commitments (a clock and its deadline) ---------- */
  'commitments.set', // the case's response and resolution commitments started at its opening (deadlines in data)
  'commitments.recomputed', // a calendar change moved deadlines (years and commitments in data)
  'commitment.warning', // 50% or 75% of a commitment's time has passed
  'commitment.breached', // a commitment's deadline passed before it was met
  'commitment.extended', // a commitment's deadline was extended
  'escalation.proposed', // a breached resolution proposes blowing the whistle to departments
  /* ---------- partners ---------- */
  'partner.unreachable', // a notice reached nobody on any channel (a dead letter)
  'partner.reached', // a retried dead letter got through after all
  'delivery.retried', // a supervisor sent a notice that reached nobody again (notificationId, round, reason in data; written by the API)
  /* ---------- the case's whistles ---------- */
  'whistle.initiated', // the case blew a whistle to departments (街乡吹哨)
  'whistle.settled', // the case heard its whistle's outcome
  /* ---------- a whistle (its events carry its whistleId) ---------- */
  'whistle.notified', // a department was called (报到 and report deadlines in data)
  'whistle.reminded', // a department was reminded of a check-in or report deadline
  'whistle.checked-in', // a department checked in (报到)
  'whistle.check-in-missed', // a department's check-in deadline passed
  'whistle.disputed', // a department disputed the call (派单异议)
  'whistle.decided', // the supervisor decided a dispute: insist, release or replace
  'whistle.reported', // a department reported its result
  'whistle.report-overdue', // a department's report deadline passed
  'whistle.completed', // the whistle completed with the lead's outcome, or was closed
  'whistle.failed', // the whistle could not run and completed as "cannot"
  'whistle.case-unreachable', // the whistle could not tell its case (the case had ended)
  'whistle.rated', // the station rated a department, or a department rated the whistle
  'whistle.rating-closed', // the rating window closed (who did not rate in data)
  /* ---------- both ---------- */
  'timeline.write-failed', // the database refused an event or notice for good (projection-failures.ts)
] as const;

export type EventType = (typeof eventTypes)[number];

/** True for a listed type (a row read from the database may hold an older one). */
export function isEventType(value: string): value is EventType {
  return (eventTypes as readonly string[]).includes(value);
}
