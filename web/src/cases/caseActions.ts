import type { Schemas } from '../shared/api';

/**
 * Which of the case's actions the page offers, read from the case view the same way the case workflow's rules
 * decide them (workflows/case/rules.ts and whistles.ts): the API does not list allowed actions, so the page
 * mirrors the stage checks. The workflow still has the last word — a refused action shows its problem.
 */

export type CaseView = Schemas['CaseView'];
export type Stage = CaseView['stage'];
export type CaseAction = 'accept' | 'diagnose' | 'plan' | 'revisePlan' | 'completeTask' | 'pause' | 'resume' | 'close' | 'evaluate' | 'whistle';

/** The six stages of a case, in order (closed is past the last). */
export const sixStages = ['accept', 'diagnose', 'plan', 'execute', 'coordinate', 'close'] as const satisfies readonly Stage[];

const working: Stage[] = ['diagnose', 'plan', 'execute', 'coordinate'];

export function openWhistles(v: CaseView) {
  return (v.escalations ?? []).filter((e) => e.status === 'open' && e.whistleId !== undefined);
}

export function allowedActions(v: CaseView): Set<CaseAction> {
  const allowed = new Set<CaseAction>();
  // Without the live state (the workflow did not answer) or once ended, nothing can be done from here.
  if (!v.live || v.withdrawal || v.erasedAt || v.stage === 'closed') return allowed;
  const closed = v.closure !== undefined;
  if (v.stage === 'accept' && !v.acceptance) allowed.add('accept');
  if (v.stage === 'diagnose') allowed.add('diagnose');
  if (!closed && (v.stage === 'plan' || v.stage === 'execute' || v.stage === 'coordinate')) {
    allowed.add((v.plans ?? []).length > 0 || v.awaitingRevision ? 'revisePlan' : 'plan');
  }
  if ((v.stage === 'execute' || v.stage === 'coordinate') && (v.tasks ?? []).some((t) => t.status === 'open')) allowed.add('completeTask');
  if (!closed && !v.paused && (v.stage === 'accept' || working.includes(v.stage))) allowed.add('pause');
  if (v.paused) allowed.add('resume');
  if (!closed && openWhistles(v).length === 0 && (v.stage === 'close' || working.includes(v.stage))) allowed.add('close');
  if (closed && !v.evaluation) allowed.add('evaluate');
  if (!closed && working.includes(v.stage)) allowed.add('whistle');
  return allowed;
}

/** Closure resolutions the current stage allows: resolved only once the case reached its close stage. */
export function closureResolutions(v: CaseView): ('resolved' | 'unresolved' | 'transferred')[] {
  return v.stage === 'close' ? ['resolved', 'unresolved', 'transferred'] : ['unresolved', 'transferred'];
}
