import type { CaseProjection, CaseState, Task } from './messages';
import type { Clock } from '../shared/messages';

/**
 * Facts derived from a case's state, shared by the workflow and the API's case view. Pure functions
 * with no SDK imports, so either side can use them.
 */

const active = (c: Clock) => c.status === 'running' || c.status === 'paused';

/** The earliest deadline of a running clock. */
export const nextDueAt = (clocks: Clock[] | undefined): string | undefined =>
  (clocks ?? [])
    .filter((c) => c.status === 'running')
    .map((c) => c.dueAt)
    .sort()[0];

export const isOverdue = (clocks: Clock[]) => clocks.some((c) => active(c) && c.breachedAt !== undefined);
export const isProvisional = (clocks: Clock[]) => clocks.some((c) => active(c) && c.provisional);

/** The catalogue item's required documents not yet received (with `extra` counted as received). */
export const missingDocuments = (state: CaseState, extra: string[] = []): string[] => {
  const received = [...(state.documents ?? []), ...extra];
  return (state.catalogue?.requiredDocuments ?? []).filter((d) => !received.includes(d));
};

export const openTasks = (state: CaseState, kind?: Task['assignee']['kind']): Task[] =>
  (state.tasks ?? []).filter((t) => t.status === 'open' && (kind === undefined || t.assignee.kind === kind));

/** Whistles of the case still open: their departments are at work (closure waits for them). */
export const openWhistles = (state: CaseState) => (state.escalations ?? []).filter((e) => e.status === 'open' && e.whistleId !== undefined);

/** The name a client gives a clock: response, resolution or task:<id> (what a deadline extension names). */
export const clockName = (c: Clock): string => (c.kind === 'task' ? `task:${c.taskId}` : c.kind);

/**
 * What supervisors' stuck query reads from the case row: its owner, its last progress, since when it waits
 * on the resident, when a call-back falls due and which commitments are past their deadline (and whose).
 */
export function supervision(s: CaseState, clocks: Clock[]): Required<Pick<CaseProjection, 'lastProgressAt' | 'pausedSince' | 'callBackDueAt' | 'overdueCommitments'>> & { owner: string } {
  const awaitingEvaluation = s.closure !== undefined && s.evaluation === undefined && s.stage !== 'closed' && s.rules !== undefined;
  return {
    owner: s.owner ?? s.openedBy.id,
    lastProgressAt: s.lastProgressAt ?? null,
    pausedSince: s.paused?.since ?? null,
    callBackDueAt: awaitingEvaluation ? new Date(Date.parse(s.closure!.at) + s.rules!.callBackAfterHours * 3_600_000).toISOString() : null,
    overdueCommitments: clocks
      .filter((c) => active(c) && c.breachedAt !== undefined)
      .map((c) => ({ clock: clockName(c), kind: c.kind, dueAt: c.dueAt, assignee: c.assignee })),
  };
}
