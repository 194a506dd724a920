import { continueAsNew, proxyActivities, workflowInfo } from '@temporalio/workflow';
import type { createActivities } from '../../activities/index';
import { type RetentionCursor, type RetentionInput, type RetentionResult, retentionBatchSize, type RetentionTotals } from './messages';

type Activities = ReturnType<typeof createActivities>;

/**
 * One batch per activity, in one transaction: a worker killed mid-batch leaves it unwritten, and the batch
 * is tried again (heartbeats tell within seconds). A batch erases only cases not erased yet, so a batch
 * tried twice erases each case once.
 */
const { eraseClosedCases } = proxyActivities<Activities>({
  startToCloseTimeout: '10 minutes',
  heartbeatTimeout: '10 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute' },
});

/** Continue-as-new well before Temporal's history limits: a batch adds a handful of events. */
const historyLimit = 2_000;

/**
 * Erases the personal data of cases closed before the run's cutoff (its start minus RETENTION_AFTER_CLOSE),
 * batch after batch, oldest closure first, until none is left. Started daily by the retention schedule
 * (temporal/retention-schedule.ts); each run is deterministic: the cutoff is fixed when it starts.
 */
export async function retentionWorkflow(input: RetentionInput): Promise<RetentionResult> {
  const limit = input.batchSize ?? retentionBatchSize;
  const cutoff = input.carried?.cutoff ?? new Date(Date.now() - input.afterCloseMs).toISOString();
  const totals: RetentionTotals = input.carried?.totals ?? { scanned: 0, erased: 0, running: 0, batches: 0 };
  let after: RetentionCursor | undefined = input.carried?.after;
  for (;;) {
    const batch = await eraseClosedCases({ cutoff, after, limit });
    totals.scanned += batch.scanned;
    totals.erased += batch.erased;
    totals.running += batch.running;
    totals.batches += 1;
    if (!batch.next) break;
    after = batch.next;
    if (workflowInfo().historyLength > historyLimit) await continueAsNew<typeof retentionWorkflow>({ ...input, carried: { cutoff, after, totals } });
  }
  return { cutoff, ...totals };
}
