import type { UpdateDefinition } from '@temporalio/common';
import { type Request, Router } from 'express';
import { z } from 'zod';
import type { Command } from '../../workflows/shared/messages';
import {
  checkInUpdate,
  closeWhistleUpdate,
  decideUpdate,
  disputeUpdate,
  feedbackUpdate,
  rateUpdate,
  reportUpdate,
  type WhistleState,
} from '../../workflows/whistle/messages';
import { principalOf, type Principal } from '../http/auth';
import { idPattern } from '../http/schemas';
import { idempotencyKeyOf, registerUpdatePath, routeOf, runUpdate } from '../http/updates';
import type { AppDeps } from '../http/deps';
import { departmentErrors, unknownReferences } from '../http/master-data';
import { problem } from '../http/problems';
import { parseOr400 } from '../http/validation';
import { CheckInBody, DecisionBody, DisputeBody, FeedbackBody, RatingBody, ReportBody, WhistleClosureBody } from './commands';
import { whistleTarget, whistleToActOn } from './lookup';
import { WhistleId, type WhistleRow, WhistleView, whistleView } from './view';

/**
 * What departments, supervisors and the station do on a whistle: one POST per action under
 * /api/whistles/{id}/…, each running one update of the whistle workflow and answering the whistle view.
 * Bodies (400), roles and scope (403 — a department must be called by the whistle) and master data (422)
 * are checked here, before Temporal is asked; the workflow enforces the whistle's rules (409/422/403).
 */

/**
 * Who acts: the called department (taken from its token, never from the body), the whistle's supervisor, or the
 * station's side rating. The roles and scopes themselves are api/http/authorization.ts's table.
 */
type Who = 'department' | 'supervisor' | 'rater';
const whoSays: Record<Who, string> = { department: 'The department acting is taken from the token, never from the body. ', supervisor: '', rater: '' };

interface Action<S extends z.ZodType, T> {
  /** The path below /api/whistles/:id, in express syntax. */
  path: string;
  /** The OpenAPI operationId: generated clients' function name, so never change it lightly. */
  operationId: string;
  summary: string;
  who: Who;
  body: S;
  update: UpdateDefinition<WhistleState, [Command<T>]>;
  /** Turns the validated body into the command: the caller's department, path parameters, master-data checks. */
  command: (body: z.infer<S>, ctx: { deps: AppDeps; req: Request; p: Principal; whistle: WhistleRow }) => T | Promise<T>;
}

type AnyAction = Action<z.ZodType, unknown>;
const action = <S extends z.ZodType, T>(a: Action<S, T>) => a as unknown as AnyAction;
/** The department acting: always the token's, never one named in the body. */
const own = (p: Principal) => ({ departmentId: p.departmentId! });

const actions = [
  action({
    path: 'check-in',
    operationId: 'checkInWhistle',
    summary: '报到: the department checks in to the whistle (again: answered with the first check-in)',
    who: 'department',
    body: CheckInBody,
    update: checkInUpdate,
    command: (_b, { p }) => own(p),
  }),
  action({
    path: 'dispute',
    operationId: 'disputeWhistle',
    summary: "派单异议: the department disputes that the matter is its own; its deadlines pause until the supervisor's decision",
    who: 'department',
    body: DisputeBody,
    update: disputeUpdate,
    command: (b, { p }) => ({ ...b, ...own(p) }),
  }),
  action({
    path: 'report',
    operationId: 'reportWhistle',
    summary: "Report the outcome after checking in: a co-handler reports to the lead; the lead's report, last, completes the whistle",
    who: 'department',
    body: ReportBody,
    update: reportUpdate,
    command: (b, { p }) => ({ ...b, ...own(p) }),
  }),
  action({
    path: 'feedback',
    operationId: 'giveWhistleFeedback',
    summary: 'The department rates the whistle (two-way assessment), once it is completed and within its rating window',
    who: 'department',
    body: FeedbackBody,
    update: feedbackUpdate,
    command: (b, { p }) => ({ ...b, ...own(p) }),
  }),
  action({
    path: 'departments/:departmentId/decision',
    operationId: 'decideWhistleCall',
    summary: "Decide on a department's call: release it (naming a new lead when it leads), replace it, or insist on its dispute",
    who: 'supervisor',
    body: DecisionBody,
    update: decideUpdate,
    command: async (b, { deps, req, whistle }) => {
      if (b.replacement) {
        const errors = await departmentErrors(deps.database.db, whistle.subdistrictId, [{ pointer: '#/replacement', id: b.replacement }]);
        if (errors.length) throw unknownReferences(errors);
      }
      return { ...b, departmentId: departmentIdOf(req) };
    },
  }),
  action({
    path: 'closure',
    operationId: 'closeWhistle',
    summary: 'Close the whistle with a reason, whoever has not reported; the case moves on with the outcome "closed"',
    who: 'supervisor',
    body: WhistleClosureBody,
    update: closeWhistleUpdate,
    command: (b) => b,
  }),
  action({
    path: 'ratings',
    operationId: 'rateWhistleDepartment',
    summary: "The station rates a department's response (two-way assessment), once the whistle is completed and within its rating window",
    who: 'rater',
    body: RatingBody,
    update: rateUpdate,
    command: (b) => b,
  }),
];

function departmentIdOf(req: Request): string {
  const departmentId = String(req.params.departmentId);
  if (!idPattern.test(departmentId)) throw problem(404, `Department ${departmentId} not found`, { type: 'department-not-found' });
  return departmentId;
}

for (const a of actions) {
  registerUpdatePath({
    path: `/api/whistles/:id/${a.path}`,
    operationId: a.operationId,
    summary: a.summary,
    description: `${whoSays[a.who]}Answers the whistle view with its new state.`,
    id: WhistleId,
    body: a.body,
    view: WhistleView,
    subject: 'whistle',
  });
}

export function whistleActionsRouter(deps: AppDeps): Router {
  const router = Router();
  for (const a of actions) {
    router.post(`/:id/${a.path}`, async (req, res) => {
      const p = principalOf(res);
      const id = String(req.params.id);
      const key = idempotencyKeyOf(req);
      const body = parseOr400(a.body, req.body ?? {});
      const whistle = await whistleToActOn(deps, p, id);
      const command = await a.command(body, { deps, req, p, whistle });
      const route = `whistles/${id}/${routeOf(a.path, req)}`;
      const state = await runUpdate(deps, {
        caseId: whistle.caseId,
        update: a.update,
        command,
        principal: p,
        route,
        idempotencyKey: key,
        target: whistleTarget(id),
      });
      deps.log.info({ caseId: whistle.caseId, whistleId: id, action: a.update.name, status: state.status }, 'whistle changed');
      res.json(await whistleView(deps, { state }));
    });
  }
  return router;
}
