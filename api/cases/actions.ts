import type { UpdateDefinition } from '@temporalio/common';
import { type Request, Router } from 'express';
import { z } from 'zod';
import {
  acceptUpdate,
  type CaseState,
  closeUpdate,
  completeTaskUpdate,
  diagnoseUpdate,
  evaluateUpdate,
  extendDeadlineUpdate,
  pauseUpdate,
  planUpdate,
  reassignUpdate,
  resumeUpdate,
  urgeUpdate,
  withdrawUpdate,
} from '../../workflows/case/messages';
import type { Command } from '../../workflows/shared/messages';
import { principalOf } from '../http/auth';
import {
  AcceptanceBody,
  ClosureBody,
  DeadlineExtensionBody,
  DiagnosisBody,
  EvaluationBody,
  PauseBody,
  PlanBody,
  ResumeBody,
  ReassignmentBody,
  TaskCompletionBody,
  UrgeBody,
  WithdrawalBody,
} from './commands';
import { caseToActOn } from './lookup';
import { idPattern } from '../http/schemas';
import { idempotencyKeyOf, registerUpdatePath, routeOf } from '../http/updates';
import { runCaseUpdate } from './updates';
import { CaseId, CaseView, caseView } from './view';
import type { AppDeps } from '../http/deps';
import { assertAssigneesExist, resolveTransferTarget } from '../http/master-data';
import { problem } from '../http/problems';
import { leaksPersonalData, personalDataDetail } from '../../activities/shared/personal-data';
import type { CaseRow } from './view';
import { parseOr400 } from '../http/validation';

/**
 * The transitions of a case: one POST per action under /api/cases/{id}/…, each running one update of the
 * case workflow and answering the case view. Body validation (400), scope on the read model (403/404)
 * and master data (422) are checked here, before Temporal is asked; the workflow enforces the case's rules.
 */

interface Action<S extends z.ZodType, T> {
  /** The path below /api/cases/:id, in express syntax. */
  path: string;
  /** The OpenAPI operationId: generated clients' function name, so never change it lightly. */
  operationId: string;
  summary: string;
  body: S;
  update: UpdateDefinition<CaseState, [Command<T>]>;
  /** Turns the validated body into the command: path parameters, master-data checks. */
  command: (body: z.infer<S>, ctx: { deps: AppDeps; req: Request; row: CaseRow }) => T | Promise<T>;
}

type AnyAction = Action<z.ZodType, unknown>;
/** Types one action against its update; the list holds them alike. */
const action = <S extends z.ZodType, T>(a: Action<S, T>) => a as unknown as AnyAction;
// Who may run each action (staff, or supervisors' interventions with a reason) is api/http/authorization.ts's table.

const actions = [
  action({
    path: 'acceptance',
    operationId: 'acceptCase',
    summary: 'Accept the demand: accept, handle now (即办) or transfer (转办)',
    body: AcceptanceBody,
    update: acceptUpdate,
    command: async (b, { deps }) => ({ ...b, transferTo: await resolveTransferTarget(deps.database.db, b.transferTo, '#/transferTo') }),
  }),
  action({
    path: 'diagnosis',
    operationId: 'diagnoseCase',
    summary: "Record the investigation and diagnosis (with the home visit, where the catalogue item needs one)",
    body: DiagnosisBody,
    update: diagnoseUpdate,
    command: (b) => b,
  }),
  action({
    path: 'plan',
    operationId: 'planCase',
    summary: 'Set the service plan, or revise it (with a reason)',
    body: PlanBody,
    update: planUpdate,
    command: async (b, { deps }) => {
      await assertAssigneesExist(deps.database.db, b.tasks);
      return b;
    },
  }),
  action({
    path: 'tasks/:taskId/completion',
    operationId: 'completeCaseTask',
    summary: "Complete one of the plan's tasks (done or not done)",
    body: TaskCompletionBody,
    update: completeTaskUpdate,
    command: (b, { req }) => ({ ...b, taskId: taskIdOf(req) }),
  }),
  action({
    path: 'pause',
    operationId: 'pauseCase',
    summary: "Pause the case's clocks while it waits on the resident",
    body: PauseBody,
    update: pauseUpdate,
    command: (b) => b,
  }),
  action({
    path: 'resume',
    operationId: 'resumeCase',
    summary: 'Resume a paused case, with the documents the resident brought',
    body: ResumeBody,
    update: resumeUpdate,
    command: (b) => b,
  }),
  action({
    path: 'closure',
    operationId: 'closeCase',
    summary: 'Close the case: resolved, unresolved (with a reason) or transferred',
    body: ClosureBody,
    update: closeUpdate,
    command: async (b, { deps }) => ({ ...b, transferTo: await resolveTransferTarget(deps.database.db, b.transferTo, '#/transferTo') }),
  }),
  action({
    path: 'evaluation',
    operationId: 'evaluateCase',
    summary: "Record the resident's satisfaction; unsatisfied within the reopen window reopens the case",
    body: EvaluationBody,
    update: evaluateUpdate,
    command: (b) => b,
  }),
  action({
    path: 'deadline-extension',
    operationId: 'extendCaseDeadline',
    summary: 'Extend a commitment with a stated reason (supervisors and admins)',
    body: DeadlineExtensionBody,
    update: extendDeadlineUpdate,
    command: (b) => b,
  }),
  action({
    path: 'urge',
    operationId: 'urgeCase',
    summary: "Urge (督办) a responsible party: the case's owner, a task's assignee or a department called by an open whistle",
    body: UrgeBody,
    update: urgeUpdate,
    command: (b, { row }) => {
      // The party urged is told the reason: it must not identify the resident.
      if (b.target !== 'owner' && leaksPersonalData(b.reason, row.resident, { address: true })) {
        throw problem(422, "The party urged receives the reason: leave out the resident's name, phone number, ID number and address", {
          type: 'personal-data',
          errors: [{ pointer: '#/reason', detail: personalDataDetail }],
        });
      }
      return b;
    },
  }),
  action({
    path: 'reassignment',
    operationId: 'reassignCase',
    summary: "Give the case to another owner, or one of its open tasks to another assignee",
    body: ReassignmentBody,
    update: reassignUpdate,
    command: async (b, { deps }) => {
      await assertAssigneesExist(deps.database.db, [{ assignee: b.to }], () => '#/to');
      return b;
    },
  }),
  action({
    path: 'withdrawal',
    operationId: 'withdrawCase',
    summary: 'End the case without a closure: withdrawn by the resident, or cancelled as a duplicate or opened in error',
    body: WithdrawalBody,
    update: withdrawUpdate,
    command: (b) => b,
  }),
];

function taskIdOf(req: Request): string {
  const taskId = String(req.params.taskId);
  if (!idPattern.test(taskId)) throw problem(404, `Task ${taskId} not found in case ${String(req.params.id)}`, { type: 'task-not-found' });
  return taskId;
}

for (const a of actions) {
  registerUpdatePath({
    path: `/api/cases/:id/${a.path}`,
    operationId: a.operationId,
    summary: a.summary,
    description: 'Answers the case view with the new state.',
    id: CaseId,
    body: a.body,
    view: CaseView,
    subject: 'case',
  });
}

export function caseActionsRouter(deps: AppDeps): Router {
  const router = Router();
  for (const a of actions) {
    router.post(`/:id/${a.path}`, async (req, res) => {
      const p = principalOf(res);
      const id = String(req.params.id);
      const key = idempotencyKeyOf(req);
      const body = parseOr400(a.body, req.body ?? {});
      const row = await caseToActOn(deps, p, id);
      const command = await a.command(body, { deps, req, row });
      // The action with its path parameters names the change for an idempotent update id.
      const state = await runCaseUpdate(deps, { caseId: id, update: a.update, command, principal: p, route: routeOf(a.path, req), idempotencyKey: key });
      deps.log.info({ caseId: id, action: a.update.name, stage: state.stage }, 'case changed');
      res.json(await caseView(deps, row, state));
    });
  }
  return router;
}
