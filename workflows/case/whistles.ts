import { ParentClosePolicy, setHandler, startChild } from '@temporalio/workflow';
import { searchAttributes } from '../../temporal/search-attribute-keys';
import { whistleIdOf, whistleWorkflowId } from '../../temporal/workflow-ids';
import { type CaseState, rejections, withdrawalResolution } from './messages';
import type { Command } from '../shared/messages';
import { reject } from './rules';
import type { CaseRun, CaseUpdates } from './run';
import { whistleWorkflow } from '../whistle/workflow';
import { blowWhistleUpdate, whistleCompletedSignal, type WhistleInput, type WhistleRequest } from '../whistle/messages';

/**
 * The case's side of a whistle: blowing it (a child workflow per escalation, which outlives a continue-as-new
 * of the case) and hearing its outcome, which settles the escalation that coordinate waits on.
 */
export function registerCaseWhistles(c: CaseRun, register: CaseUpdates): void {
  register(blowWhistleUpdate, checkWhistle, blow, undefined, async (blown) => {
    const state = await c.settled();
    return { ...blown, stage: state.stage };
  });

  setHandler(whistleCompletedSignal, ({ whistleId, ...outcome }) =>
    c.onMessage(async () => {
      const escalation = c.state.escalations?.find((e) => e.whistleId === whistleId);
      if (!escalation || escalation.status === 'settled') return;
      escalation.status = 'settled';
      escalation.outcome = outcome;
      await c.record('whistle.settled', { id: whistleId, role: 'system' }, { whistleId, escalationId: escalation.id, outcome: outcome.outcome, note: outcome.note });
      await c.notify(c.ownerAssignee(), 'whistle.settled', { whistleId, outcome: outcome.outcome });
    }),
  );
}

/** Whistles are blown once the demand is accepted and before the case closes; an open one blocks closure. */
export function checkWhistle(state: CaseState, w: Command<WhistleRequest>): void {
  if (!['diagnose', 'plan', 'execute', 'coordinate'].includes(state.stage)) {
    reject(rejections.conflict, `Cannot blow a whistle in stage ${state.stage}; allowed in diagnose, plan, execute, coordinate`);
  }
  if (state.closure) reject(rejections.conflict, `The case is already closed as ${state.closure.resolution}`);
  if (state.withdrawal) reject(rejections.conflict, `The case was ${withdrawalResolution(state.withdrawal.kind)} (${state.withdrawal.kind})`);
  if (w.departments.length === 0) reject(rejections.invalid, 'A whistle calls at least one department', [{ pointer: '#/departments', detail: 'must not be empty' }]);
  if (new Set(w.departments).size !== w.departments.length) reject(rejections.invalid, 'A department is called twice', [{ pointer: '#/departments', detail: 'must not repeat' }]);
  if (!w.departments.includes(w.lead)) reject(rejections.invalid, `The lead ${w.lead} must be one of the departments called`, [{ pointer: '#/lead', detail: 'must be one of departments' }]);
  if (w.escalationId !== undefined) {
    const proposed = state.escalations?.find((e) => e.id === w.escalationId);
    if (!proposed) reject(rejections.invalid, `No escalation ${w.escalationId} in this case`, [{ pointer: '#/escalationId', detail: 'no such escalation' }]);
    if (proposed.status !== 'proposed') reject(rejections.conflict, `Escalation ${w.escalationId} is already ${proposed.status}`);
  }
}

async function blow(c: CaseRun, cmd: Command<WhistleRequest>) {
  const s = c.state;
  const escalations = (s.escalations ??= []);
  const whistleId = whistleIdOf(s.caseId, escalations.filter((e) => e.whistleId).length + 1);
  const at = c.now();
  const input: WhistleInput = {
    whistleId,
    caseId: s.caseId,
    stationId: s.stationId,
    subdistrictId: cmd.subdistrictId,
    initiatedBy: cmd.actor,
    initiatedAt: at,
    reason: cmd.reason,
    summary: cmd.summary,
    ...(cmd.location ? { location: cmd.location } : {}),
    serviceCode: s.serviceCode,
    category: s.category,
    departments: cmd.departments,
    lead: cmd.lead,
    rules: cmd.rules,
  };
  await startChild(whistleWorkflow, {
    workflowId: whistleWorkflowId(whistleId),
    args: [input],
    // The whistle outlives this run of the case (continue-as-new) and waits for its ratings after the case closes.
    parentClosePolicy: ParentClosePolicy.ABANDON,
    typedSearchAttributes: [
      { key: searchAttributes.stationId, value: s.stationId },
      { key: searchAttributes.awaitedDepartments, value: cmd.departments },
    ],
  });
  let escalation = cmd.escalationId ? escalations.find((e) => e.id === cmd.escalationId) : undefined;
  if (!escalation) {
    escalation = { id: `E${escalations.length + 1}`, status: 'open', reason: cmd.reason, at };
    escalations.push(escalation);
  }
  Object.assign(escalation, { status: 'open', whistleId, departments: cmd.departments, lead: cmd.lead });
  await c.record('whistle.initiated', cmd.actor, {
    whistleId,
    escalationId: escalation.id,
    reason: cmd.reason,
    urgency: cmd.rules.urgency,
    departments: cmd.departments,
    lead: cmd.lead,
  });
  return { whistleId, escalationId: escalation.id };
}
