import { condition, proxyActivities, setHandler, upsertSearchAttributes } from '@temporalio/workflow';
import type { createActivities } from '../activities';
import { searchAttributes } from '../temporal/search-attribute-keys';
import { type CaseState, caseStateQuery, type OpenCaseInput } from './case-messages';

const { recordCaseOpened } = proxyActivities<ReturnType<typeof createActivities>>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', maximumInterval: '1 minute' },
});

/**
 * One resident demand, handled in six steps: accept → diagnose → plan → execute → coordinate → close.
 * This is the walking skeleton: the case is opened, written to the read model and serves its live state;
 * the stage transitions come with the case workflow issue.
 */
export async function caseWorkflow(input: OpenCaseInput): Promise<CaseState> {
  const state: CaseState = { ...input, stage: 'accept', recorded: false };
  setHandler(caseStateQuery, () => state);

  // 1. Accept: the demand is on record.
  await recordCaseOpened(input);
  state.recorded = true;
  // Workflow time (the SDK's deterministic clock), not the machine's.
  upsertSearchAttributes([{ key: searchAttributes.lastProgressAt, value: new Date() }]);

  await condition(() => state.stage === 'closed');
  return state;
}
