import { eq } from 'drizzle-orm';
import { Router } from 'express';
import { z } from 'zod';
import { partners } from '../../db/schema';
import { partnerReplyStatuses, partnerReplyUpdate } from '../../workflows/case/messages';
import type { Assignee } from '../../workflows/shared/messages';
import { type Principal, principalOf } from '../http/auth';
import { caseNotFound, caseRow, queryLiveState } from '../cases/lookup';
import { idempotencyKeyOf, IdempotencyKey } from '../http/updates';
import { runCaseUpdate } from '../cases/updates';
import { text } from '../http/text';
import { CaseId } from '../cases/view';
import type { AppDeps } from '../http/deps';
import { problemResponses, registry } from '../http/openapi';
import { problem } from '../http/problems';
import { parseOr400 } from '../http/validation';

/**
 * Partners (with their own token, minted by an admin: POST /api/partners/{id}/tokens) and department users
 * answer about a task assigned to them: accepted, declined (the task goes back to the station for a new
 * assignee) or done (the task is completed). The answer shows the task only, never the resident.
 */

const PartnerReplyBody = z
  .strictObject({
    caseId: CaseId,
    taskId: z.string().regex(/^T\d{1,6}$/, 'must be a task id like T1'),
    status: z.enum(partnerReplyStatuses),
    note: text(2000).optional(),
  })
  .meta({ id: 'PartnerReply' });

const time = z.iso.datetime({ offset: true });
const ReplyView = z
  .object({
    caseId: z.string(),
    stage: z.string(),
    task: z.object({
      id: z.string(),
      title: z.string(),
      status: z.enum(['open', 'completed', 'cancelled']),
      assignee: z.object({ kind: z.string(), id: z.string() }),
      dueAt: time,
      acceptedAt: time.optional(),
      outcome: z.string().optional(),
      completedAt: time.optional(),
    }),
  })
  .meta({ id: 'PartnerReplyResult' });

registry.registerPath({
  method: 'post',
  path: '/api/partner-replies',
  operationId: 'replyAsPartner',
  summary: 'A partner or department answers about a task assigned to it',
  description:
    "Roles: partner (its own token; a department's registry entry also answers for its department's tasks), department. accepted: takes the task on; declined (note required): the task returns to the station's case owner for a new assignee; done: the task is completed. The same Idempotency-Key applies a reply once.",
  request: {
    headers: z.object({ 'Idempotency-Key': IdempotencyKey.optional() }),
    body: { content: { 'application/json': { schema: PartnerReplyBody } } },
  },
  responses: {
    200: { description: 'The reply is applied: the task as it now stands', content: { 'application/json': { schema: ReplyView } } },
    ...problemResponses(400, 401, 403, 404, 409, 413, 415, 422, 503),
  },
});

/**
 * Whom the caller answers for: its department, or its registry entry (which must be active). A department's
 * registry entry gets the notices of its department's tasks (with what a reply needs), so about a task
 * assigned to that department it answers for the department.
 */
async function assigneeOf(deps: AppDeps, p: Principal, caseId: string, taskId: string): Promise<Assignee> {
  if (p.role === 'department') return { kind: 'department', id: p.departmentId! };
  const [partner] = await deps.database.db
    .select({ active: partners.active, kind: partners.kind, departmentId: partners.departmentId })
    .from(partners)
    .where(eq(partners.id, p.partnerId!));
  if (!partner?.active) throw problem(403, `Partner ${p.partnerId} is not an active partner`, { type: 'partner-inactive' });
  const self: Assignee = { kind: 'partner', id: p.partnerId! };
  if (partner.kind !== 'department' || !partner.departmentId) return self;
  // The workflow checks the assignee again when it applies the reply: this only picks which one the entry speaks as.
  const live = await queryLiveState(deps, caseId);
  const task = typeof live === 'object' ? live.tasks?.find((t) => t.id === taskId) : undefined;
  return task?.assignee.kind === 'department' && task.assignee.id === partner.departmentId ? { kind: 'department', id: partner.departmentId } : self;
}

export function partnerRepliesRouter(deps: AppDeps): Router {
  const router = Router();
  router.post('/', async (req, res) => {
    const p = principalOf(res);
    const key = idempotencyKeyOf(req);
    const body = parseOr400(PartnerReplyBody, req.body ?? {});
    const as = await assigneeOf(deps, p, body.caseId, body.taskId);
    if (!(await caseRow(deps, body.caseId))) throw caseNotFound(body.caseId);
    const { note, ...reply } = body;
    const state = await runCaseUpdate(deps, {
      caseId: body.caseId,
      update: partnerReplyUpdate,
      command: { taskId: reply.taskId, status: reply.status, ...(note ? { note } : {}), as },
      principal: p,
      route: `partner-replies/${reply.taskId}/${reply.status}`,
      idempotencyKey: key,
    });
    const task = state.tasks!.find((t) => t.id === body.taskId)!;
    deps.log.info({ caseId: body.caseId, taskId: task.id, reply: body.status, assignee: as }, 'partner replied');
    res.json({
      caseId: state.caseId,
      stage: state.stage,
      task: {
        id: task.id,
        title: task.title,
        status: task.status,
        assignee: task.assignee,
        dueAt: task.dueAt,
        ...(task.acceptedAt ? { acceptedAt: task.acceptedAt } : {}),
        ...(task.outcome ? { outcome: task.outcome } : {}),
        ...(task.completedAt ? { completedAt: task.completedAt } : {}),
      },
    });
  });
  return router;
}
