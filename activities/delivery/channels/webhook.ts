import crypto from 'node:crypto';
import type { OutboundPolicy } from '../outbound';
import { postJson, rejected } from './outcome';

/**
 * The webhook channel: a versioned JSON event POSTed to the partner's URL, signed so the partner can
 * tell it came from stationflow and was not replayed (README "Verifying a webhook"):
 *
 *   Stationflow-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, `${t}.${body}`)>
 *   Idempotency-Key: <notification id>   (the same on every retry: a partner processes each once)
 */
export const signatureHeader = 'Stationflow-Signature';

export function signature(secret: string, body: string, unixSeconds: number): string {
  const mac = crypto.createHmac('sha256', secret).update(`${unixSeconds}.${body}`).digest('hex');
  return `t=${unixSeconds},v1=${mac}`;
}

export interface WebhookEvent {
  /** The event format's version: fields are only ever added within a version. */
  version: 1;
  id: string;
  type: string;
  occurredAt: string;
  [field: string]: unknown;
}

export async function sendWebhook(opts: { url: string; secret: string | null; event: WebhookEvent; timeoutMs: number; outbound: OutboundPolicy }): Promise<void> {
  if (!/^https?:\/\//.test(opts.url)) throw rejected('the webhook URL is not http(s)');
  if (!opts.secret) throw rejected('the partner has no webhook secret to sign with');
  const body = JSON.stringify(opts.event);
  await postJson(
    'the webhook',
    opts.url,
    body,
    {
      [signatureHeader]: signature(opts.secret, body, Math.floor(Date.now() / 1000)),
      'Idempotency-Key': opts.event.id,
      'Stationflow-Event': opts.event.type,
      'User-Agent': 'stationflow-webhooks/1',
    },
    opts.timeoutMs,
    opts.outbound,
  );
}
