import { z } from 'zod';
import { reportOutcomes, whistleReasons } from '../../workflows/whistle/messages';
import { id } from '../http/schemas';
import { line, text } from '../http/text';

/**
 * Request bodies of the whistle routes, validated at the edge (400 with JSON pointers). They mirror the
 * shapes in workflows/whistle-messages.ts; master data (urgencies, departments) is checked by the routes
 * (422), and the whistle's own rules (who may report when, what a decision needs) by the workflow (409/422).
 */

const departmentIds = z
  .array(id)
  .min(1, 'must call at least one department')
  .max(20)
  .superRefine((ids, ctx) => {
    ids.forEach((d, i) => {
      if (ids.indexOf(d) !== i) ctx.addIssue({ code: 'custom', path: [i], message: `repeats department ${d}` });
    });
  })
  .meta({ uniqueItems: true });

export const BlowWhistleBody = z
  .strictObject({
    reason: z.enum(whistleReasons),
    urgency: line(40).meta({ description: 'A code of GET /api/whistle-urgencies: it sets the check-in and report deadlines' }),
    summary: text(2000).meta({
      description:
        "What the departments are told: the matter in the initiator's words. It must not contain the resident's name, phone number, ID number or address — departments never see the resident",
    }),
    location: line(200).optional().meta({ description: 'Where to go, e.g. "Building 5, north gate" (no flat or resident name)' }),
    departments: departmentIds.meta({ description: 'The departments called (1–20, each once); all of the subdistrict of the case’s station' }),
    lead: id.meta({ description: '首接负责: the department that owns the outcome, one of departments; co-handlers report to it' }),
    escalationId: z
      .string()
      .trim()
      .regex(/^E\d{1,6}$/, 'must be an escalation id like E1')
      .optional()
      .meta({ description: 'The escalation a breached commitment proposed, which this whistle answers' }),
  })
  .meta({ id: 'BlowWhistle' });

export const CheckInBody = z.strictObject({}).meta({ id: 'CheckIn', description: 'No fields: the department is taken from the token' });

export const DisputeBody = z.strictObject({ reason: text(1000).meta({ description: 'Why the matter is not for this department' }) }).meta({ id: 'Dispute' });

export const ReportBody = z.strictObject({ outcome: z.enum(reportOutcomes), note: text(4000) }).meta({ id: 'WhistleReport' });

const Score = z.int().min(1).max(5).meta({ description: '1 (poor) to 5 (excellent)' });

export const FeedbackBody = z.strictObject({ score: Score, comment: text(2000).optional() }).meta({ id: 'WhistleFeedback' });

export const RatingBody = z
  .strictObject({ departmentId: id.meta({ description: 'A department called by the whistle' }), score: Score, comment: text(2000).optional() })
  .meta({ id: 'WhistleRating' });

const decisionFields = {
  replacement: id.optional().meta({ description: 'replace: the department that takes over (of the whistle’s subdistrict)' }),
  newLead: id.optional().meta({ description: 'Releasing the lead: the new lead among the other departments' }),
};
const decisionNote = text(2000).meta({ description: 'Why: a supervisor’s intervention, kept in the timeline' });

/**
 * One shape per decision (oneOf in the document, on `decision`): replacing or releasing a department says why
 * (`note` required), insisting may. Which department and lead a decision names the whistle judges (422).
 */
export const DecisionBody = z
  .discriminatedUnion('decision', [
    z.strictObject({ decision: z.literal('release').meta({ description: 'Release the department' }), ...decisionFields, note: decisionNote }).meta({ id: 'WhistleDecisionRelease' }),
    z.strictObject({ decision: z.literal('replace').meta({ description: 'Replace it with another' }), ...decisionFields, note: decisionNote }).meta({ id: 'WhistleDecisionReplace' }),
    z
      .strictObject({ decision: z.literal('insist').meta({ description: 'Insist that the whistle is for it' }), ...decisionFields, note: decisionNote.optional() })
      .meta({ id: 'WhistleDecisionInsist' }),
  ])
  .meta({ id: 'WhistleDecision' });

export const WhistleClosureBody = z.strictObject({ reason: text(1000) }).meta({ id: 'WhistleClosure' });
