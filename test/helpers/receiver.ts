import { createHmac, timingSafeEqual } from 'node:crypto';
import http, { type IncomingHttpHeaders, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A real HTTP server on 127.0.0.1 that plays a partner's webhook endpoint and the SMS gateway, for the
 * delivery tests. It verifies webhook signatures, processes each Idempotency-Key once (what a partner
 * does to see exactly-once), answers as scripted per path and records every request.
 *
 * Per request, in this order:
 * 1. recorded in `requests` (status null until answered);
 * 2. a path with a secret (`secret()`) needs a valid `Stationflow-Signature`, a path with a token
 *    (`expectToken()`) needs `Authorization: Bearer <token>` and a JSON body with string `to` and `text`:
 *    otherwise 401 (counted in `badSignatures` / `badTokens`) or 400; a body that is not JSON is 400;
 * 3. a key (the `Idempotency-Key` header, else the body's `reference`) already processed on this path is
 *    answered 200 and counted in `duplicates`, without consuming a scripted answer;
 * 4. otherwise the path's next scripted answer is used (200 once the script has run out). A 2xx answer
 *    processes the key at the moment it is sent (for a delayed answer: after the delay, even when the
 *    client has gone away meanwhile); a non-2xx answer or a held-open `'timeout'` processes nothing.
 */

/** Tolerance of the signature's timestamp, both ways. */
export const SIGNATURE_TOLERANCE_SECONDS = 300;

/**
 * The webhook signature recipe: `t=<unix seconds>,v1=<hex>`, hex = HMAC-SHA256 keyed with the secret
 * (UTF-8) over `${t}.${rawBody}`.
 */
export function signWebhook(secret: string, rawBody: string, t: number = Math.floor(Date.now() / 1000)): string {
  const v1 = createHmac('sha256', Buffer.from(secret, 'utf8')).update(`${t}.${rawBody}`, 'utf8').digest('hex');
  return `t=${t},v1=${v1}`;
}

/** A scripted answer: a status, a status with headers/body and/or a delay, or `'timeout'` (never answered). */
export type ScriptedAnswer = number | 'timeout' | { status?: number; headers?: Record<string, string>; body?: unknown; delayMs?: number };

export interface ReceivedRequest {
  path: string;
  method: string;
  /** Node's lower-cased headers. */
  headers: IncomingHttpHeaders;
  /** The body parsed as JSON (undefined when it is not JSON). */
  body: unknown;
  rawBody: string;
  /** When it arrived (epoch ms). */
  at: number;
  /** The status answered; null while delayed, held open ('timeout'), or when the server closed first. */
  status: number | null;
  /** The Idempotency-Key header, else the body's `reference`. */
  key: string | undefined;
  /** Its key had already been processed on this path: answered 200 without processing. */
  duplicate: boolean;
}

export interface Receiver {
  /** e.g. `http://127.0.0.1:41234` */
  readonly baseUrl: string;
  readonly port: number;
  url(path: string): string;
  /** Every request in arrival order. */
  readonly requests: ReceivedRequest[];
  forPath(path: string): ReceivedRequest[];
  /** Key → body of every processed request (all paths; a key processed on two paths holds the first). */
  readonly processed: Map<string, unknown>;
  /** Key → body processed on one path. */
  processedFor(path: string): Map<string, unknown>;
  /** Requests answered 200 because their key was already processed. */
  readonly duplicates: number;
  /** Requests answered 401 for a missing, malformed, stale or wrong signature. */
  readonly badSignatures: number;
  /** Requests answered 401 for a missing or wrong bearer token. */
  readonly badTokens: number;
  /** Verify `Stationflow-Signature` on this path with this secret. */
  secret(path: string, secret: string): void;
  /** Require `Authorization: Bearer <token>` on this path (SMS gateway mode: also checks `{ to, text }`). */
  expectToken(path: string, token: string): void;
  /** Answers for the next requests on this path, consumed in order (appended to what is left). */
  script(path: string, answers: ScriptedAnswer[]): void;
  /** Drops what is left of the path's script: it answers 200 from now on (an endpoint that is back). */
  unscript(path: string): void;
  /** Resolves once `check` holds (checked on every arrival and answer); rejects after timeoutMs. */
  waitFor(check: (r: Receiver) => boolean, timeoutMs?: number): Promise<void>;
  /** Forgets requests, processed keys, counters and scripts; drops delayed and held-open requests. Keeps secrets and tokens. */
  reset(): void;
  /** Closes the server and every connection, held-open ones included. */
  close(): Promise<void>;
}

const json = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) => {
  if (res.destroyed || res.writableEnded) return;
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
};

/** Checks `t=<seconds>,v1=<hex>[,v1=<hex>…]` against the secret; false when anything is off. */
function signatureValid(header: string | undefined, secret: string, rawBody: string, nowMs: number): boolean {
  if (!header) return false;
  const pairs = header.split(',').map((p) => p.trim().split('=', 2) as [string, string | undefined]);
  const t = pairs.find(([k]) => k === 't')?.[1];
  if (!t || !/^\d+$/.test(t) || Math.abs(nowMs / 1000 - Number(t)) > SIGNATURE_TOLERANCE_SECONDS) return false;
  const expected = createHmac('sha256', Buffer.from(secret, 'utf8')).update(`${t}.${rawBody}`, 'utf8').digest();
  return pairs.some(([k, v]) => {
    if (k !== 'v1' || !v || !/^[0-9a-f]+$/i.test(v)) return false;
    const given = Buffer.from(v, 'hex');
    return given.length === expected.length && timingSafeEqual(given, expected);
  });
}

export async function startReceiver(): Promise<Receiver> {
  const secrets = new Map<string, string>();
  const tokens = new Map<string, string>();
  const scripts = new Map<string, ScriptedAnswer[]>();
  const byPath = new Map<string, Map<string, unknown>>();
  const pending = new Set<{ timer?: NodeJS.Timeout; res: ServerResponse }>();
  const waiters = new Set<() => void>();
  const counters = { duplicates: 0, badSignatures: 0, badTokens: 0 };
  const requests: ReceivedRequest[] = [];
  const processed = new Map<string, unknown>();

  const changed = () => waiters.forEach((w) => w());
  const processedFor = (path: string) => {
    let m = byPath.get(path);
    if (!m) byPath.set(path, (m = new Map()));
    return m;
  };

  function answer(r: ReceivedRequest, res: ServerResponse, status: number, body: unknown, headers?: Record<string, string>) {
    r.status = status;
    json(res, status, body, headers);
    changed();
  }

  /** A 2xx for a new key processes it; an already processed key is a duplicate. */
  function processAndAnswer(r: ReceivedRequest, res: ServerResponse, status: number, body: unknown, headers?: Record<string, string>) {
    if (status >= 200 && status < 300 && r.key !== undefined) {
      const seen = processedFor(r.path);
      if (seen.has(r.key)) {
        r.duplicate = true;
        counters.duplicates++;
        return answer(r, res, 200, { duplicate: true, key: r.key });
      }
      seen.set(r.key, r.body);
      if (!processed.has(r.key)) processed.set(r.key, r.body);
    }
    answer(r, res, status, body, headers);
  }

  function handle(req: http.IncomingMessage, res: ServerResponse, rawBody: string) {
    const path = (req.url ?? '/').split('?')[0]!;
    let body: unknown;
    try {
      body = rawBody ? JSON.parse(rawBody) : undefined;
    } catch {
      body = undefined;
    }
    const header = (name: string) => {
      const v = req.headers[name];
      return Array.isArray(v) ? v[0] : v;
    };
    const reference = (body as { reference?: unknown } | undefined)?.reference;
    const r: ReceivedRequest = {
      path,
      method: req.method ?? 'GET',
      headers: req.headers,
      body,
      rawBody,
      at: Date.now(),
      status: null,
      key: header('idempotency-key') ?? (typeof reference === 'string' ? reference : undefined),
      duplicate: false,
    };
    requests.push(r);
    changed();

    if (r.method !== 'POST') return answer(r, res, 405, { error: 'POST only' });
    const secret = secrets.get(path);
    if (secret !== undefined && !signatureValid(header('stationflow-signature'), secret, rawBody, Date.now())) {
      counters.badSignatures++;
      return answer(r, res, 401, { error: 'bad or missing signature' });
    }
    const token = tokens.get(path);
    if (token !== undefined && header('authorization') !== `Bearer ${token}`) {
      counters.badTokens++;
      return answer(r, res, 401, { error: 'bad or missing token' });
    }
    if (body === undefined || typeof body !== 'object' || body === null) return answer(r, res, 400, { error: 'the body must be a JSON object' });
    const sms = body as { to?: unknown; text?: unknown };
    if (token !== undefined && (typeof sms.to !== 'string' || typeof sms.text !== 'string')) {
      return answer(r, res, 400, { error: 'to and text are required' });
    }
    if (r.key !== undefined && processedFor(path).has(r.key)) return processAndAnswer(r, res, 200, {});

    const next = scripts.get(path)?.shift() ?? 200;
    if (next === 'timeout') {
      pending.add({ res }); // held open until the client gives up, reset() or close()
      return;
    }
    const { status = 200, headers, body: answerBody, delayMs = 0 } = typeof next === 'number' ? { status: next } : next;
    const reply = answerBody ?? (status < 300 ? { received: true, key: r.key } : { error: `scripted ${status}` });
    if (delayMs <= 0) return processAndAnswer(r, res, status, reply, headers);
    const entry: { timer?: NodeJS.Timeout; res: ServerResponse } = { res };
    entry.timer = setTimeout(() => {
      pending.delete(entry);
      processAndAnswer(r, res, status, reply, headers);
    }, delayMs);
    pending.add(entry);
  }

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => handle(req, res, Buffer.concat(chunks).toString('utf8')));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const baseUrl = `http://127.0.0.1:${port}`;

  const dropPending = () => {
    for (const p of pending) {
      clearTimeout(p.timer);
      p.res.destroy();
    }
    pending.clear();
  };

  const receiver: Receiver = {
    baseUrl,
    port,
    url: (path) => `${baseUrl}${path.startsWith('/') ? path : `/${path}`}`,
    requests,
    forPath: (path) => requests.filter((r) => r.path === path),
    processed,
    processedFor: (path) => new Map(processedFor(path)),
    get duplicates() {
      return counters.duplicates;
    },
    get badSignatures() {
      return counters.badSignatures;
    },
    get badTokens() {
      return counters.badTokens;
    },
    secret: (path, secret) => void secrets.set(path, secret),
    expectToken: (path, token) => void tokens.set(path, token),
    script: (path, answers) => void scripts.set(path, [...(scripts.get(path) ?? []), ...answers]),
    unscript: (path) => void scripts.delete(path),
    waitFor: (check, timeoutMs = 10_000) =>
      new Promise<void>((resolve, reject) => {
        const done = () => {
          if (!check(receiver)) return;
          clearTimeout(timer);
          waiters.delete(done);
          resolve();
        };
        const timer = setTimeout(() => {
          waiters.delete(done);
          reject(new Error(`receiver: condition not met within ${timeoutMs} ms (${requests.length} requests, ${processed.size} processed)`));
        }, timeoutMs);
        waiters.add(done);
        done();
      }),
    reset() {
      dropPending();
      requests.length = 0;
      processed.clear();
      byPath.clear();
      scripts.clear();
      Object.assign(counters, { duplicates: 0, badSignatures: 0, badTokens: 0 });
    },
    close: () =>
      new Promise<void>((resolve) => {
        dropPending();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
  return receiver;
}
