import type { OutboundPolicy } from '../outbound';
import { postJson, rejected } from './outcome';

/** A mobile number the gateway can take: E.164 (+8613800138000) or a mainland mobile (13800138000). */
export const mobilePattern = /^(\+[1-9]\d{6,14}|1[3-9]\d{9})$/;

/**
 * The SMS channel: a generic HTTP gateway (SMS_GATEWAY_URL, SMS_GATEWAY_TOKEN as a bearer token)
 * taking `{ to, text, reference }`; the reference (the notification id) is also its Idempotency-Key.
 */
export async function sendSms(opts: { gatewayUrl?: string; token?: string; phone: string; text: string; reference: string; timeoutMs: number; outbound: OutboundPolicy }): Promise<void> {
  if (!opts.gatewayUrl) throw rejected('no SMS gateway is configured (SMS_GATEWAY_URL)');
  if (!mobilePattern.test(opts.phone)) throw rejected('the SMS number is not a valid mobile number');
  await postJson(
    'the SMS gateway',
    opts.gatewayUrl,
    JSON.stringify({ to: opts.phone, text: opts.text, reference: opts.reference }),
    { ...(opts.token ? { authorization: `Bearer ${opts.token}` } : {}), 'Idempotency-Key': opts.reference },
    opts.timeoutMs,
    opts.outbound,
  );
}
