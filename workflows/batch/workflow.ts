import { ActivityFailure, ApplicationFailure, proxyActivities, setHandler } from '@temporalio/workflow';
import type { createActivities } from '../../activities/index';
import { batchConcurrency, type BatchInput, type BatchItemResult, batchProgressQuery, type BatchState } from './messages';

type Activities = ReturnType<typeof createActivities>;

/**
 * One item is one update sent to one case. The activity waits for the case to apply it, heartbeating, so a
 * worker killed meanwhile is noticed within the heartbeat timeout and the item is tried again by the next
 * worker — with the same update id, which the case applies once. Temporal or a case that does not answer
 * is retried for up to an hour; then the item is `failed`.
 */
const { applyBatchItem } = proxyActivities<Activities>({
  startToCloseTimeout: '1 minute',
  heartbeatTimeout: '5 seconds',
  scheduleToCloseTimeout: '1 hour',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '30 seconds' },
});

/**
 * A supervisor's intervention over many cases (README "Supervision"): every item through one activity,
 * a few at a time, each settled as applied, refused (the case said no: never retried) or failed. The
 * progress is queryable throughout; the result is the same state, completed.
 */
export async function batchWorkflow(input: BatchInput): Promise<BatchState> {
  const { items: inputs, batchId, actor, ...command } = input;
  const state: BatchState = {
    batchId,
    operation: input.operation,
    status: 'running',
    total: inputs.length,
    done: 0,
    applied: 0,
    refused: 0,
    failed: 0,
    items: inputs.map((i) => ({ caseId: i.caseId, status: 'pending' })),
    createdAt: input.createdAt,
  };
  setHandler(batchProgressQuery, () => state);

  const settle = (item: BatchItemResult, result: Omit<BatchItemResult, 'caseId' | 'at'>) => {
    Object.assign(item, result, { at: new Date().toISOString() });
    state.done += 1;
    state[result.status as 'applied' | 'refused' | 'failed'] += 1;
  };

  let next = 0;
  const lane = async () => {
    while (next < inputs.length) {
      const index = next++;
      const item = state.items[index]!;
      try {
        settle(item, await applyBatchItem({ batchId, actor, command, item: inputs[index]! }));
      } catch (err) {
        if (!(err instanceof ActivityFailure)) throw err;
        settle(item, { status: 'failed', detail: failureOf(err) });
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(batchConcurrency, inputs.length) }, lane));

  state.status = 'completed';
  state.completedAt = new Date().toISOString();
  return state;
}

/** Why an item's activity gave up: its last failure's message, or the timeout that ended its retries. */
function failureOf(err: ActivityFailure): string {
  const cause = err.cause;
  if (cause instanceof ApplicationFailure) return cause.message;
  return cause?.message ? `gave up: ${cause.message}` : 'gave up';
}
