/**
 * Every notice kind the workflows send (the `kind` of a notifications row), one line each on what it
 * tells and to whom. activities/delivery/templates.ts has a zh-CN and an English text for each. Plain
 * values, so workflows, activities and the API may all import them; the database column stays text.
 */
export const noticeKinds = [
  /* ---------- cases ---------- */
  'task.assigned', // to a task's assignee (staff, partner or department): a new task with its due time
  'task.declined', // to the case owner: a partner declined its task, which came back to the owner
  'commitment.warning', // to a commitment's assignee: 50% or 75% of its time has passed
  'commitment.breached', // to the assignee and the supervisors (督办): a deadline passed
  'commitment.extended', // to a commitment's assignee: its deadline was extended
  'case.transferred', // to the department or agency the case is transferred to (转办)
  'case.result', // to the resident: the case was closed, with its resolution
  'case.progress', // to the resident who asked again: the stage the case is in
  'callback.due', // to the case owner: time to call the resident back (回访)
  'case.reopened', // to the case owner: an unsatisfied rating reopened the case
  'escalation.proposed', // to the supervisors: a breached resolution proposes a whistle
  'partner.unreachable', // to the supervisors and the case owner: a notice reached nobody (dead letter)
  'whistle.settled', // to the case owner: the case's whistle completed
  'case.urged', // to the party urged (督办) by a supervisor: the owner, a task's assignee or a department
  'case.reassigned', // to the case's new owner: the case is now theirs
  'task.reassigned', // to a task's former assignee: the task is no longer theirs
  'case.withdrawn', // to the assignees of the case's open tasks: the case was withdrawn or cancelled
  /* ---------- whistles (to departments unless said) ---------- */
  'whistle.called', // a department is called: check in and report by the deadlines (吹哨报到)
  'whistle.reminder', // a check-in or report deadline draws near
  'whistle.check-in-missed', // to the department and the supervisors: the check-in deadline passed
  'whistle.report-overdue', // to the department and the supervisors: the report deadline passed
  'whistle.disputed', // to the supervisors: a department disputed its call
  'whistle.dispute-refused', // the supervisor insisted: the department's deadlines run again
  'whistle.released', // the supervisor released the department (possibly replacing it)
  'whistle.lead-assigned', // the department became the lead after the lead was released
  'whistle.co-handler-reported', // to the lead: a co-handler reported its result
  'whistle.completed', // the whistle completed, with its outcome
] as const;

export type NoticeKind = (typeof noticeKinds)[number];

/** True for a listed kind (a row read from the database may hold an older one). */
export function isNoticeKind(value: string): value is NoticeKind {
  return (noticeKinds as readonly string[]).includes(value);
}
