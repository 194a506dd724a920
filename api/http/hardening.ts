import crypto from 'node:crypto';
import cors from 'cors';
import type { RequestHandler } from 'express';
import { ipKeyGenerator, rateLimit } from 'express-rate-limit';
import helmet from 'helmet';
import { requestContext } from '../../config/logger';
import type { Principal } from './auth';
import { problem } from './problems';

/**
 * What every response of a public-facing API carries, whoever calls it (README "Security" → "HTTP hardening"):
 * a request id, security headers, CORS only for configured origins, no caching of personal data, and a bound
 * on each token's writes.
 */

/** An inbound X-Request-Id is kept when it looks like an id (a UUID, a ULID, a trace id): nothing to inject into a log. */
const wellFormedRequestId = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/;

/**
 * X-Request-Id on every response: the caller's own when well-formed, else a new UUID. It is `req.id` for
 * pino-http's request line, and every log line written while the request is handled — by any logger, in any
 * function it calls — carries it as `reqId` (config/logger.ts's mixin). Mount it first.
 */
export const requestIds: RequestHandler = (req, res, next) => {
  const inbound = req.headers['x-request-id'];
  const id = typeof inbound === 'string' && wellFormedRequestId.test(inbound) ? inbound : crypto.randomUUID();
  req.id = id;
  res.setHeader('X-Request-Id', id);
  requestContext.run({ reqId: id }, next);
};

/**
 * helmet's headers for a JSON API: nothing on a page of ours may load or frame anything (the problem+json and
 * JSON documents are never rendered as HTML), no MIME sniffing, no referrer, HSTS.
 */
export const securityHeaders: RequestHandler = helmet({
  contentSecurityPolicy: {
    useDefaults: false,
    directives: { defaultSrc: ["'none'"], frameAncestors: ["'none'"], baseUri: ["'none'"], formAction: ["'none'"] },
  },
  referrerPolicy: { policy: 'no-referrer' },
});

/** The request headers a browser may send cross-origin, and the response headers its script may read. */
const corsRequestHeaders = ['Authorization', 'Content-Type', 'Idempotency-Key', 'X-Request-Id'];
const corsResponseHeaders = ['X-Request-Id', 'Location', 'Retry-After', 'RateLimit', 'RateLimit-Policy', 'Idempotent-Replayed', 'WWW-Authenticate'];

/**
 * CORS for the exact origins of CORS_ORIGINS, closed when there are none: an allowed origin is echoed (never
 * `*`, never with credentials — the API takes bearer tokens, not cookies), a preflight from it is answered 204;
 * a preflight from any other origin is refused with 403 problem+json and no Access-Control-* headers.
 */
export function corsFor(origins: readonly string[] = []): RequestHandler {
  const allowed = new Set(origins);
  const handler = cors({
    origin: (origin, callback) => callback(null, origin !== undefined && allowed.has(origin)),
    methods: ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'],
    allowedHeaders: corsRequestHeaders,
    exposedHeaders: corsResponseHeaders,
    credentials: false,
    maxAge: 600,
    optionsSuccessStatus: 204,
  });
  return (req, res, next) => {
    const preflight = req.method === 'OPTIONS' && req.headers['access-control-request-method'] !== undefined;
    if (preflight && !allowed.has(req.headers.origin ?? '')) {
      res.setHeader('Vary', 'Origin');
      return next(problem(403, 'Cross-origin requests from this origin are not allowed (CORS_ORIGINS)', { type: 'cors-origin-not-allowed' }));
    }
    handler(req, res, next);
  };
}

/** Personal data is never kept by a browser or a shared cache. */
export const noStore: RequestHandler = (_req, res, next) => {
  res.setHeader('Cache-Control', 'no-store');
  res.setHeader('Pragma', 'no-cache');
  next();
};

const writeMethods = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/**
 * `authenticate`, with each caller's writes (POST, PUT, PATCH, DELETE) bounded to `perMinute` a minute: per
 * token's principal (its `sub`), or per client address when the request carries no valid token — refused
 * requests count too. Past the bound: 429 problem+json with Retry-After (seconds until the caller's minute
 * ends) and the RateLimit / RateLimit-Policy headers (IETF draft 8). Reads are not limited. `perMinute` 0 or
 * absent: no limit. The count is kept in this process: with several API replicas each allows `perMinute`.
 */
export function authenticateAndLimitWrites(authenticate: RequestHandler, perMinute?: number): RequestHandler[] {
  if (!perMinute) return [authenticate];
  const limiter = rateLimit({
    windowMs: 60_000,
    limit: perMinute,
    standardHeaders: 'draft-8',
    legacyHeaders: false,
    identifier: 'writes',
    skip: (req) => !writeMethods.has(req.method),
    keyGenerator: (req, res) => {
      const principal = res.locals.principal as Principal | undefined;
      return principal ? `principal:${principal.id}` : `address:${ipKeyGenerator(req.ip ?? '')}`;
    },
    handler: (_req, res, next) =>
      next(
        problem(429, `Too many writes: at most ${perMinute} a minute for one token; try again in ${String(res.getHeader('Retry-After'))} s`, {
          type: 'too-many-requests',
        }),
      ),
  });
  return [
    // The limiter needs to know who is calling, and a refused token still counts: authentication's verdict waits.
    (req, res, next) =>
      authenticate(req, res, (err?: unknown) => {
        if (err !== undefined) res.locals.authenticationFailure = err;
        next();
      }),
    limiter,
    (_req, res, next) => next(res.locals.authenticationFailure),
  ];
}

type OpenApiOperation = { responses?: Record<string, unknown> };

/**
 * The write limit in the OpenAPI document: every write under /api may answer 429 problem+json with
 * Retry-After and the RateLimit headers. The Problem schema is the document's own component.
 */
export function describeWriteLimit<D extends { paths?: object }>(doc: D): D {
  const integer = { schema: { type: 'integer', minimum: 0 } };
  const text = { schema: { type: 'string' } };
  for (const [route, item] of Object.entries(doc.paths ?? {}) as [string, Record<string, OpenApiOperation | undefined>][]) {
    if (!route.startsWith('/api/')) continue;
    for (const method of ['post', 'put', 'patch', 'delete']) {
      const operation = item[method];
      if (!operation?.responses || operation.responses['429']) continue;
      operation.responses['429'] = {
        description: "Too many writes: this token's principal (or, without a valid token, this client address) sent more than RATE_LIMIT_WRITES_PER_MINUTE writes this minute",
        headers: {
          'Retry-After': { description: "Seconds until the caller's minute ends", ...integer },
          RateLimit: { description: 'IETF draft 8: `"writes"; r=<remaining>; t=<seconds>`', ...text },
          'RateLimit-Policy': { description: 'IETF draft 8: `"writes"; q=<limit>; w=60; pk=:<partition>:`', ...text },
        },
        content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } },
      };
    }
  }
  return doc;
}
