import { RetryState } from '@temporalio/common';
import { ActivityFailure, patched, proxyActivities, proxyLocalActivities, TemporalFailure } from '@temporalio/workflow';
import type { createActivities } from '../../activities/index';

type Activities = ReturnType<typeof createActivities>;

const options = {
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', maximumInterval: '1 minute' },
} as const;

/**
 * The one place workflow code reaches activities. Every activity is idempotent, so retries are safe.
 * Scheduled on the task queue: each call is a round trip through the server (a workflow task to
 * schedule it, one to take its result). The delivery workflow's long, retried channel calls stay so.
 */
export const activities = proxyActivities<Activities>(options);

/** Patch id: a case's or whistle's short database writes and calendar sums run as local activities. */
export const localWritesPatch = 'local-writes';

const local = proxyLocalActivities<Activities>({
  ...options,
  // Retries beyond a minute wait on a durable timer instead of holding the workflow task open.
  localRetryThreshold: '1 minute',
});

/**
 * The case's and whistle's own writes (timeline events, read-model rows, the outbox) and calendar
 * sums: short database calls, run by the same worker as local activities, so an update's writes
 * finish inside the workflow task that runs it instead of costing a round trip through the server each.
 * Same activities, same idempotency keys, same retry policy; histories recorded before the patch
 * keep scheduling them on the task queue.
 */
export const writes: Activities = new Proxy({} as Activities, {
  get: (_target, name: keyof Activities) => {
    if (!patched(localWritesPatch)) return activities[name];
    return (...args: unknown[]) => (local[name] as (...a: unknown[]) => Promise<unknown>)(...args).catch((err: unknown) => {
      throw asActivityFailure(name, err);
    });
  },
});

/**
 * A local activity's failure arrives as the activity threw it; a scheduled one's wrapped in an
 * ActivityFailure. Wrapped the same way here, so callers (projection-failures.ts, a whistle's failure
 * note, an update's failure as clients see it) meet one shape whichever way the activity ran.
 */
function asActivityFailure(activityType: string, err: unknown): unknown {
  if (!(err instanceof TemporalFailure) || err instanceof ActivityFailure) return err;
  return new ActivityFailure('Activity task failed', activityType, undefined, RetryState.NON_RETRYABLE_FAILURE, undefined, err);
}
