import { z } from 'zod';
import { id, idChars } from '../http/schemas';
import { cleanString, line, text } from '../http/text';
import { BodyDate, BodyDeadline } from '../http/instants';
import { decisions, evaluationChannels, ratings, resolutions, taskOutcomes, withdrawalKinds } from '../../workflows/case/messages';
import { assigneeKinds } from '../../workflows/shared/messages';

/**
 * Request bodies of the case transitions, validated at the edge (400 with JSON pointers). They mirror
 * the shapes in workflows/case-messages.ts; the case's own rules (which stage allows what, a home visit
 * where the catalogue needs one, …) are the workflow's to enforce (409/422).
 */

/** Deadlines and dates: one rule for every body (api/http/instants.ts). */
const isoTime = BodyDeadline;
const documents = z.array(line(200)).max(50).meta({ description: 'Names of documents, e.g. "ID card"' });

export const TransferTarget = z
  .discriminatedUnion('kind', [
    z.strictObject({
      kind: z.literal('department'),
      id: id.meta({ description: 'A subdistrict department id' }),
      name: line(200).optional().meta({ description: "Filled from the department's record when absent" }),
    }),
    z.strictObject({ kind: z.literal('agency'), id: id.optional(), name: line(200) }),
  ])
  .meta({ id: 'TransferTarget', description: 'Where a demand is transferred (转办): a subdistrict department, or an agency outside the system' });

export const AcceptanceBody = z
  .strictObject({
    decision: z.enum(decisions),
    documents: documents.default([]).meta({ description: 'Documents the resident handed in' }),
    transferTo: TransferTarget.optional(),
    note: text(2000).optional(),
  })
  .meta({ id: 'Acceptance' });

export const HomeVisit = z
  .strictObject({
    date: BodyDate.meta({ description: 'The visit day (Asia/Shanghai)' }),
    staff: z.array(line(100)).min(1, 'must name who visited').max(20),
    notes: text(4000),
  })
  .meta({ id: 'HomeVisit' });

export const DiagnosisBody = z
  .strictObject({
    findings: text(4000),
    causes: text(4000).optional(),
    resources: text(4000).optional(),
    homeVisit: HomeVisit.optional(),
  })
  .meta({ id: 'Diagnosis' });

export const Assignee = z.strictObject({ kind: z.enum(assigneeKinds), id }).meta({ id: 'Assignee' });

export const TaskInput = z
  .strictObject({
    id: id.optional().meta({ description: 'Keep an existing task in a revised plan by naming its id' }),
    title: line(200),
    assignee: Assignee,
    dueAt: isoTime,
  })
  .meta({ id: 'TaskInput' });

export const PlanBody = z
  .strictObject({
    goals: z.array(line(500)).max(20),
    tasks: z.array(TaskInput).max(50),
    reason: text(2000).optional().meta({ description: 'Why the plan is revised (required for a revision)' }),
  })
  .meta({ id: 'PlanInput' });

export const TaskCompletionBody = z
  .strictObject({ outcome: z.enum(taskOutcomes), note: text(2000).optional() })
  .meta({ id: 'TaskCompletion' });

export const PauseBody = z.strictObject({ reason: text(1000) }).meta({ id: 'Pause' });

export const ResumeBody = z
  .strictObject({ documents: documents.optional().meta({ description: 'Documents the resident brought since the pause' }), note: text(2000).optional() })
  .meta({ id: 'Resume' });

export const ClosureBody = z
  .strictObject({
    resolution: z.enum(resolutions),
    summary: text(4000).optional().meta({ description: 'What was done, as told to the resident' }),
    reason: text(2000).optional().meta({ description: 'Required when unresolved' }),
    certificateNo: line(50).optional().meta({ description: 'Where the catalogue item issues a certificate; generated when absent' }),
    transferTo: TransferTarget.optional().meta({ description: 'Required when transferred' }),
  })
  .meta({ id: 'Closure' });

export const EvaluationBody = z
  .strictObject({ rating: z.enum(ratings), via: z.enum(evaluationChannels), comment: text(2000).optional() })
  .meta({ id: 'Evaluation' });

export const DeadlineExtensionBody = z
  .strictObject({
    clock: cleanString()
      .trim()
      .regex(new RegExp(`^(response|resolution|task:${idChars})$`), 'must be response, resolution or task:<task id>'),
    newDueAt: isoTime.meta({ description: 'Must be later than the current deadline' }),
    reason: text(1000),
  })
  .meta({ id: 'DeadlineExtension' });

/* ---------- supervisors' interventions ---------- */

const reason = text(1000).meta({ description: 'Why: recorded in the timeline with the supervisor' });

const urgeReason = reason.meta({ description: 'Why: recorded in the timeline, and told to the party urged (so it must not identify the resident)' });

/**
 * One shape per target (oneOf in the document, on `target`): a task is named only to urge its assignee, a
 * department only to urge it. A field of another target is an unknown field (400 with its pointer).
 */
export const UrgeBody = z
  .discriminatedUnion('target', [
    z.strictObject({ target: z.literal('owner').meta({ description: "The case's owner" }), reason: urgeReason }).meta({ id: 'UrgeOwner' }),
    z
      .strictObject({
        target: z.literal('task').meta({ description: "A task's assignee" }),
        taskId: id.meta({ description: 'The task whose assignee is urged' }),
        reason: urgeReason,
      })
      .meta({ id: 'UrgeTask' }),
    z
      .strictObject({
        target: z.literal('department').meta({ description: 'A department called by an open whistle of the case' }),
        departmentId: id.meta({ description: 'The department urged' }),
        reason: urgeReason,
      })
      .meta({ id: 'UrgeDepartment' }),
  ])
  .meta({ id: 'Urge', description: 'Urge (督办) a responsible party of the case' });

export const ReassignmentBody = z
  .strictObject({
    taskId: id.optional().meta({ description: "The task to give to someone else; absent: the case's owner changes" }),
    to: Assignee.meta({ description: 'The new assignee (staff for a new owner)' }),
    reason,
  })
  .meta({ id: 'Reassignment' });

export const WithdrawalBody = z
  .strictObject({
    kind: z.enum(withdrawalKinds).meta({ description: 'resident-withdrew ends the case as withdrawn; duplicate and opened-in-error as cancelled' }),
    reason,
    duplicateOf: cleanString()
      .trim()
      .regex(/^[A-Z]{2,8}-\d{8}-\d{4,}$/, 'must be a case id like QG-20261123-0001')
      .optional()
      .meta({ description: 'The case this one duplicates (kind duplicate)' }),
  })
  .meta({ id: 'Withdrawal' });
