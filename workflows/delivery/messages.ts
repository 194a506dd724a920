import { defineQuery, defineUpdate } from '@temporalio/workflow';
import type { Actor } from '../shared/messages';
import type { NoticeKind } from '../shared/notices';

/**
 * Messages of the delivery workflow (a notice pushed to a partner or department through its contact
 * channels), shared by the workflow, the activities, the API and the tests.
 */

/** Mirrors db/schema channelTypes (workflow code cannot import the schema). */
export type ChannelType = 'webhook' | 'email' | 'sms';

/** How hard each channel is tried. Set from configuration when the delivery starts (WEBHOOK_TIMEOUT, DELIVERY_RETRY_WINDOW…). */
export interface DeliveryPolicy {
  /** One attempt's limit: the channel's own timeout plus a margin. */
  attemptTimeoutMs: number;
  initialIntervalMs: number;
  maximumIntervalMs: number;
  /** How long one channel keeps retrying (exponential backoff) before it gives up. */
  retryWindowMs: number;
  /** How long a dead letter waits for a supervisor's retry before the workflow ends. */
  deadLetterKeepMs: number;
}

export interface DeliveryInput {
  notificationId: string;
  caseId: string;
  /** The registry entry pushed to. */
  partnerId: string;
  /** Whom the notice is for, as the case names it (a partner, or a department through its registry entry). */
  recipient: { kind: 'partner' | 'department'; id: string };
  kind: NoticeKind;
  policy: DeliveryPolicy;
}

/** One activity call per channel and round: the channel's attempts all share it. */
export interface ChannelAttempt {
  notificationId: string;
  round: number;
  channel: ChannelType;
}

export interface ChannelResult {
  round: number;
  channel: ChannelType;
  outcome: 'delivered' | 'gave-up';
  /** Why the channel gave up (no addresses or personal data). */
  error?: string;
  at: string;
}

export type DeliveryStatus = 'delivering' | 'delivered' | 'unreachable' | 'abandoned';

export interface DeliveryState {
  notificationId: string;
  caseId: string;
  status: DeliveryStatus;
  /** 1 for the first delivery; each supervisor retry starts the next round. */
  round: number;
  results: ChannelResult[];
  deliveredVia?: ChannelType;
  retries: { by: string; at: string }[];
}

/** The delivery workflow's type name (its export in workflows/index.ts): activities start it by this name. */
export const deliveryWorkflowType = 'deliveryWorkflow';

/** The delivery workflow's signature, for starting it typed without importing workflow code. */
export type DeliveryWorkflow = (input: DeliveryInput) => Promise<DeliveryState>;

export const deliveryStateQuery = defineQuery<DeliveryState>('deliveryState');

/** A supervisor retries a dead letter: every channel again, in the partner's current preference order. */
export const retryDeliveryUpdate = defineUpdate<DeliveryState, [{ actor: Actor }]>('retryDelivery');

export const deliveryRejections = {
  /** The notification is not a dead letter (still being delivered, or delivered) → 409. */
  conflict: 'DeliveryConflict',
} as const;

/** Failure types of the channel activities: the policy retries `retryable`, never `rejected`. */
export const deliveryFailures = {
  /** 408, 429, 5xx, timeouts and connection errors: tried again with backoff. */
  retryable: 'DeliveryFailed',
  /** Other 4xx, invalid addresses, a channel not configured: the next channel is tried at once. */
  rejected: 'DeliveryRejected',
} as const;
