import { ActivityFailure, ApplicationFailure, condition, getExternalWorkflowHandle, proxyActivities, setHandler } from '@temporalio/workflow';
import type { createActivities } from '../../activities/index';
import { caseWorkflowId } from '../../temporal/workflow-ids';
import { activities } from '../shared/activities';
import { deliveryReportSignal } from '../case/messages';
import type { DeliveryReport } from '../shared/messages';
import {
  type ChannelType,
  deliveryFailures,
  type DeliveryInput,
  deliveryRejections,
  type DeliveryState,
  deliveryStateQuery,
  retryDeliveryUpdate,
} from './messages';

type Activities = ReturnType<typeof createActivities>;
const sendBy = { webhook: 'deliverByWebhook', email: 'deliverByEmail', sms: 'deliverBySms' } as const satisfies Record<ChannelType, keyof Activities>;

/**
 * One notice pushed to a partner (or a department with a registry entry): each contact channel in the
 * partner's preference order, each retried with backoff for a bounded time; the first that delivers
 * ends it. When every channel gives up the notice is a dead letter: the case hears of it, and the
 * workflow waits for a supervisor's retry.
 */
export async function deliveryWorkflow(input: DeliveryInput): Promise<DeliveryState> {
  const state: DeliveryState = { notificationId: input.notificationId, caseId: input.caseId, status: 'delivering', round: 1, results: [], retries: [] };
  let retryRequested = false;
  setHandler(deliveryStateQuery, () => state);
  setHandler(
    retryDeliveryUpdate,
    async ({ actor }) => {
      checkRetry(state);
      state.retries.push({ by: actor.id, at: new Date().toISOString() });
      retryRequested = true;
      await condition(() => state.status !== 'unreachable');
      return state;
    },
    { validator: (_cmd) => checkRetry(state) },
  );

  const channels = proxyActivities<Activities>({
    startToCloseTimeout: input.policy.attemptTimeoutMs,
    scheduleToCloseTimeout: input.policy.retryWindowMs,
    retry: {
      initialInterval: input.policy.initialIntervalMs,
      backoffCoefficient: 2,
      maximumInterval: input.policy.maximumIntervalMs,
      nonRetryableErrorTypes: [deliveryFailures.rejected],
    },
  });

  for (;;) {
    const tried: ChannelType[] = [];
    for (const channel of await activities.deliveryChannels({ notificationId: input.notificationId, round: state.round })) {
      tried.push(channel);
      const attempt = { notificationId: input.notificationId, round: state.round, channel };
      try {
        await channels[sendBy[channel]](attempt);
        state.results.push({ round: state.round, channel, outcome: 'delivered', at: new Date().toISOString() });
        state.deliveredVia = channel;
        break;
      } catch (err) {
        if (!(err instanceof ActivityFailure)) throw err;
        // The log keeps the channel's last failure (an HTTP status, an SMTP reply) over a bare timeout.
        const error = await activities.recordChannelGaveUp({ ...attempt, error: reasonOf(err) });
        state.results.push({ round: state.round, channel, outcome: 'gave-up', error, at: new Date().toISOString() });
      }
    }

    if (state.deliveredVia) {
      state.status = 'delivered';
      // A notice the case had marked unreachable got through on a retry.
      if (state.round > 1) await report(input, state, 'reached', tried);
      return state;
    }

    state.status = 'unreachable';
    await activities.recordDeliveryStatus({ notificationId: input.notificationId, status: 'unreachable' });
    await report(input, state, 'unreachable', tried);
    if (!(await condition(() => retryRequested, input.policy.deadLetterKeepMs))) {
      state.status = 'abandoned';
      await activities.recordDeliveryStatus({ notificationId: input.notificationId, status: 'abandoned' });
      return state;
    }
    retryRequested = false;
    state.round += 1;
    state.status = 'delivering';
    await activities.recordDeliveryStatus({ notificationId: input.notificationId, status: 'delivering' });
  }
}

function checkRetry(state: DeliveryState): void {
  if (state.status !== 'unreachable') {
    throw ApplicationFailure.create({
      type: deliveryRejections.conflict,
      message: `Notification ${state.notificationId} is ${state.status}; only a dead letter (unreachable) can be retried`,
      nonRetryable: true,
    });
  }
}

/** The channel's last word: the activity's own failure message, or the timeout that ended its retry window. */
function reasonOf(err: ActivityFailure): string {
  const cause = err.cause;
  if (cause instanceof ApplicationFailure) return cause.message;
  return cause?.message ? `gave up: ${cause.message}` : 'gave up';
}

/** Tells the case; a case that has finished meanwhile has nobody left to tell (the delivery log keeps it). */
async function report(input: DeliveryInput, state: DeliveryState, outcome: DeliveryReport['outcome'], channels: ChannelType[]): Promise<void> {
  const last = state.results.filter((r) => r.round === state.round).at(-1);
  const lastError = channels.length === 0 ? 'no active contact channel' : last?.error;
  try {
    await getExternalWorkflowHandle(caseWorkflowId(input.caseId)).signal(deliveryReportSignal, {
      notificationId: input.notificationId,
      outcome,
      recipient: input.recipient,
      partnerId: input.partnerId,
      kind: input.kind,
      round: state.round,
      channels,
      ...(outcome === 'unreachable' && lastError ? { lastError } : {}),
    });
  } catch {
    /* the case workflow has completed */
  }
}
