import { caseWorkflowId } from '../../temporal/client';
import type { CaseState } from '../../workflows/case/messages';
import type { AppDeps } from '../http/deps';
import { type Gone, runUpdate, type UpdateTarget, type WorkflowUpdate } from '../http/updates';

/** What a case workflow Temporal cannot find means: the case has run to its end. */
export const caseClosed = (caseId: string): Gone => ({ detail: `Case ${caseId} is closed for good: its workflow has completed`, type: 'case-closed' });

/** The case's own workflow as the target of an update. */
export const caseTarget = (caseId: string): UpdateTarget => ({ workflowId: caseWorkflowId(caseId), subject: `Case ${caseId}`, gone: caseClosed(caseId) });

/** An update of the case's own workflow: what runUpdate needs, but the target (the case's workflow). */
export type CaseUpdate<T, R = CaseState> = Omit<WorkflowUpdate<T, R>, 'target'>;

/**
 * Runs an update of the case workflow on behalf of the principal and returns what the update answered
 * (by default the case's new state).
 */
export const runCaseUpdate = <T, R = CaseState>(deps: AppDeps, u: CaseUpdate<T, R>): Promise<R> => runUpdate(deps, { ...u, target: caseTarget(u.caseId) });
