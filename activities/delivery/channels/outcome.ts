import { ApplicationFailure } from '@temporalio/common';
import { deliveryFailures } from '../../../workflows/delivery/messages';
import { type OutboundAnswer, outboundFetch, OutboundRefused, OutboundUnresolved, type OutboundPolicy } from '../outbound';

/**
 * What a channel's answer means for the retry policy (the delivery workflow's proxy retries
 * `DeliveryFailed` with backoff and never retries `DeliveryRejected`). Messages name statuses and
 * error codes only: never an address, a phone number or a body.
 */

/** Tried again with backoff; `retryAfterMs` (a server's Retry-After) replaces the next backoff step. */
export function retryable(message: string, retryAfterMs?: number): ApplicationFailure {
  return ApplicationFailure.create({ type: deliveryFailures.retryable, message, nonRetryable: false, ...(retryAfterMs !== undefined ? { nextRetryDelay: retryAfterMs } : {}) });
}

/** Never retried: the next channel is tried at once. */
export function rejected(message: string): ApplicationFailure {
  return ApplicationFailure.create({ type: deliveryFailures.rejected, message, nonRetryable: true });
}

/** Retry-After as seconds or an HTTP date, capped at ten minutes. */
function retryAfterMs(header: string | null): number | undefined {
  if (!header) return undefined;
  const ms = /^\d+$/.test(header.trim()) ? Number(header) * 1000 : Date.parse(header) - Date.now();
  return Number.isFinite(ms) ? Math.min(Math.max(ms, 0), 10 * 60_000) : undefined;
}

/** 2xx delivered; 408, 429 and 5xx retried (honouring Retry-After); any other status rejected. */
export function checkHttpStatus(what: string, res: OutboundAnswer): void {
  if (res.ok) return;
  const s = res.status;
  if (s === 408 || s === 429 || s >= 500) throw retryable(`${what} answered HTTP ${s}`, retryAfterMs(res.headers.get('retry-after')));
  throw rejected(`${what} answered HTTP ${s}`);
}

/**
 * POSTs JSON with a timeout and classifies the outcome. A timeout or a connection error is retried:
 * the receiver may or may not have processed the request, which is why it gets an Idempotency-Key. The URL
 * is checked against the outbound policy first (activities/delivery/outbound.ts): a refused one is never
 * retried; a redirect is not followed (answered 3xx: rejected).
 */
export async function postJson(what: string, url: string, body: string, headers: Record<string, string>, timeoutMs: number, policy: OutboundPolicy): Promise<void> {
  let res: OutboundAnswer;
  try {
    res = await outboundFetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body, signal: AbortSignal.timeout(timeoutMs) }, policy);
  } catch (err) {
    if (err instanceof OutboundRefused) throw rejected(`${what}'s URL ${err.message}`);
    if (err instanceof OutboundUnresolved) throw retryable(`${what} could not be reached (${err.code})`);
    const e = err as Error & { cause?: { code?: string } };
    if (e.name === 'TimeoutError' || e.name === 'AbortError') throw retryable(`${what} did not answer within ${timeoutMs} ms`);
    throw retryable(`${what} could not be reached (${e.cause?.code ?? e.name})`);
  }
  checkHttpStatus(what, res);
}
