import { outboundPolicy, type OutboundPolicy } from './outbound';

/** What the channel activities need from configuration (config/boot.ts deliveryConfig builds it from the environment). */
export interface DeliveryConfig {
  /** One request's timeout: a webhook POST or an SMS gateway call (SMTP gets twice this per step). */
  timeoutMs: number;
  /** How long one channel keeps retrying before the next is tried. */
  retryWindowMs: number;
  /** How long a dead letter waits for a supervisor's retry. */
  deadLetterKeepMs: number;
  /** Backoff between attempts of a channel: the first wait, doubling up to the longest. */
  initialIntervalMs: number;
  maximumIntervalMs: number;
  smtpUrl?: string;
  mailFrom: string;
  /** Without SMTP (development), mail is written here as .eml files instead of being sent. */
  mailDir?: string;
  smsGatewayUrl?: string;
  smsGatewayToken?: string;
  /** Where partners reply (POST {publicUrl}/api/partner-replies), named in notices when set. */
  publicUrl?: string;
  /** Which hosts webhooks and the SMS gateway may reach (OUTBOUND_ALLOW; activities/delivery/outbound.ts). */
  outbound: OutboundPolicy;
}

export const defaultDeliveryConfig: DeliveryConfig = {
  timeoutMs: 5_000,
  retryWindowMs: 30 * 60_000,
  deadLetterKeepMs: 30 * 86_400_000,
  initialIntervalMs: 1_000,
  maximumIntervalMs: 5 * 60_000,
  mailFrom: 'stationflow <noreply@stationflow.local>',
  // Development and tests: loopback receivers only. config/boot.ts deliveryConfig sets the configured policy.
  outbound: outboundPolicy(undefined, 'development'),
};
