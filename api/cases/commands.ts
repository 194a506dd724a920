import { z } from 'zod';
import { id, idChars } from '../http/schemas';
import { cleanString, line, text } from '../http/text';
import { BodyDate, BodyDeadline } from '../http/instants';
import { decisions, evaluationChannels, ratings, resolutions, taskOutcomes } from '../../workflows/case/messages';
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
