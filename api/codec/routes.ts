import type { Client } from '@temporalio/client';
import type { Payload, PayloadCodec } from '@temporalio/common';
import { parse as parseCookies, serialize as serializeCookie } from 'cookie';
import cors from 'cors';
import express, { type Request, type RequestHandler, type Response, Router } from 'express';
import { z } from 'zod';
import type { Config } from '../../config/index';
import { PayloadDecryptionError } from '../../temporal/codec';
import { isRevoked } from '../tokens/revocations';
import type { Principal, Role } from '../http/auth';
import type { AppDeps } from '../http/deps';
import { bearerAuth, problemResponses, registry } from '../http/openapi';
import { problem, requireJsonBody } from '../http/problems';
import { parseOr400 } from '../http/validation';

/**
 * The codec server of the Temporal UI and CLI (README "The Temporal UI and the codec server"), in Temporal's
 * remote codec protocol: `POST /codec/encode` and `POST /codec/decode` take and answer `{payloads: [...]}`,
 * Payloads as protobuf JSON (metadata values and data in base64), the namespace in `X-Namespace`.
 *
 * It decodes with the codec the API's own Temporal client uses (temporal/codec.ts), so it reads what the
 * worker wrote. Who is asking: a bearer token (the CLI's `--codec-auth`, or a UI passing an access token)
 * or the HttpOnly cookie `POST /codec/sign-in` sets from a token (the UI's "include cross-origin
 * credentials"). Only roles that may see resident data get decoded payloads; other roles get them back as
 * they came, still encrypted; no token or a bad one is 401.
 */

/** Roles that see resident data: they get decoded payloads. Department and partner users do not. */
export const residentDataRoles: readonly Role[] = ['staff', 'supervisor', 'admin'];

/** The cookie the sign-in page sets: the token itself, HttpOnly, SameSite=Strict, only sent to /codec. */
export const codecCookie = 'stationflow_codec';
const cookiePath = '/codec';
/** A signed-in session lasts as long as its token, and never longer than this. */
const maxSessionSeconds = 12 * 3600;

/** Payload batches are larger than API requests: a history page's inputs and results. */
export const codecBodyLimit = '4mb';

const base64 = z
  .string()
  .max(8 * 1024 * 1024)
  .regex(/^(?:[A-Za-z0-9+/]*={0,2}|[A-Za-z0-9_-]*={0,2})$/, 'must be base64')
  .refine((s) => !s.includes('=') || s.length % 4 === 0, 'must be base64 (padding only on a length that is a multiple of 4)')
  // The document says both rules in one pattern: unpadded, or padded to a multiple of 4.
  .meta({ pattern: `^(?:${[['+/'], ['_-']].map(([c]) => `[A-Za-z0-9${c}]*|(?:[A-Za-z0-9${c}]{4})*(?:[A-Za-z0-9${c}]{2}==|[A-Za-z0-9${c}]{3}=)`).join('|')})$` });

const PayloadJson = z
  .object({
    metadata: z.record(z.string().min(1).max(256), base64).optional().meta({ propertyNames: { minLength: 1, maxLength: 256 } }),
    data: base64.optional(),
  })
  .meta({ id: 'CodecPayload', description: 'A Temporal Payload as protobuf JSON: metadata values and data in base64' });

const PayloadsJson = z
  // Protobuf JSON leaves out an empty list: `{}` is no payloads (the CLI sends it).
  .object({ payloads: z.array(PayloadJson).max(10_000).default([]) })
  .meta({ id: 'CodecPayloads', description: 'Temporal Payloads as protobuf JSON, the remote codec protocol' });
type PayloadsJson = z.infer<typeof PayloadsJson>;

/** The sign-in form: text as every request's (no control characters, 400), even beside a bearer token. */
const SignInForm = z.object({ token: z.string().optional().meta({ description: 'The token, unless sent as Authorization: Bearer (400 without either)' }) });

const fromBase64 = (s: string) => Buffer.from(s, s.includes('-') || s.includes('_') ? 'base64url' : 'base64');

function toPayloads(body: PayloadsJson): Payload[] {
  return body.payloads.map((p) => ({
    metadata: Object.fromEntries(Object.entries(p.metadata ?? {}).map(([k, v]) => [k, new Uint8Array(fromBase64(v))])),
    data: new Uint8Array(fromBase64(p.data ?? '')),
  }));
}

function toJson(payloads: Payload[]): PayloadsJson {
  return {
    payloads: payloads.map((p) => ({
      metadata: Object.fromEntries(Object.entries(p.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v ?? new Uint8Array()).toString('base64')])),
      data: Buffer.from(p.data ?? new Uint8Array()).toString('base64'),
    })),
  };
}

/** The payload codecs of the API's Temporal client, in the order the SDK applies them on the way out. */
export function clientCodecs(client: Client): PayloadCodec[] {
  return client.options.loadedDataConverter.payloadCodecs;
}

const unauthorized = (detail: string) =>
  problem(401, detail, { type: 'unauthorized', headers: { 'WWW-Authenticate': 'Bearer realm="stationflow"' } });

/** The token's holder, as the API checks every token: signature, claims, expiry, and not revoked (api/tokens/). */
async function verified(deps: AppDeps, token: string): Promise<Principal> {
  const principal = await deps.auth.verify(token);
  if (await isRevoked(deps.database.db, principal)) throw unauthorized('Authentication required: the token has been revoked');
  return principal;
}

/** The caller, from `Authorization: Bearer` or else the sign-in cookie; 401 without either or with a bad one. */
async function caller(req: Request, deps: AppDeps): Promise<Principal> {
  const header = req.headers.authorization;
  if (header !== undefined) {
    const token = /^Bearer\s+(\S+)\s*$/i.exec(header)?.[1];
    if (!token) throw unauthorized('Authentication required: use "Authorization: Bearer <token>"');
    return verified(deps, token);
  }
  const token = parseCookies(req.headers.cookie ?? '')[codecCookie];
  if (!token) throw unauthorized('Authentication required: a bearer token, or sign in at /codec/sign-in');
  return verified(deps, token);
}

/**
 * The browser origins the codec answers with CORS (credentials included): the Temporal UI's (TEMPORAL_UI_URL,
 * or the dev server's) and CORS_ORIGINS.
 */
export function codecOrigins(deps: Pick<AppDeps, 'temporal' | 'config'>): string[] {
  const origins = new Set<string>((deps.config as { CORS_ORIGINS?: string[] }).CORS_ORIGINS ?? []);
  if (deps.temporal.uiUrl && URL.canParse(deps.temporal.uiUrl)) origins.add(new URL(deps.temporal.uiUrl).origin);
  return [...origins];
}

/**
 * The API's base URL as a browser beside the dev server's UI (http://localhost:<TEMPORAL_UI_PORT>) should call it:
 * PUBLIC_URL, else localhost on a loopback or wildcard HOST — the UI's own site, so that the sign-in cookie
 * (SameSite=Strict) goes along with the UI's codec requests.
 */
export function browserApiUrl(config: Pick<Config, 'PUBLIC_URL' | 'HOST' | 'PORT'>): string {
  if (config.PUBLIC_URL) return config.PUBLIC_URL.replace(/\/$/, '');
  const local = ['127.0.0.1', '0.0.0.0', '::', '::1', 'localhost'].includes(config.HOST);
  return `http://${local ? 'localhost' : config.HOST.includes(':') ? `[${config.HOST}]` : config.HOST}:${config.PORT}`;
}

/** The URL the Temporal UI and CLI are given as codec endpoint: the API's base URL and /codec. */
export function codecEndpoint(apiBaseUrl: string): string {
  return `${apiBaseUrl.replace(/\/$/, '')}/codec`;
}

export function codecRouter(deps: AppDeps): Router {
  const router = Router();
  const namespace = deps.temporal.namespace;
  router.use(
    cors({
      origin: codecOrigins(deps),
      credentials: true,
      methods: ['POST'],
      allowedHeaders: ['Authorization', 'Content-Type', 'X-Namespace', 'Authorization-Extras'],
      maxAge: 600,
    }),
  );
  const json = [requireJsonBody, express.json({ limit: codecBodyLimit, strict: true, type: ['application/json', 'application/*+json'] })];

  const parse = (req: Request): Payload[] => {
    const ns = req.headers['x-namespace'];
    if (ns !== undefined && ns !== namespace) {
      throw problem(403, `This codec serves the namespace ${JSON.stringify(namespace)}, not ${JSON.stringify(ns)}`, { type: 'codec-namespace' });
    }
    const body = PayloadsJson.safeParse(req.body);
    if (!body.success) {
      throw problem(400, 'The body must be {"payloads": [...]}, each payload with base64 metadata values and data', {
        type: 'invalid-payloads',
        errors: body.error.issues.map((i) => ({ pointer: `#/${i.path.join('/')}`, detail: i.message })),
      });
    }
    return toPayloads(body.data);
  };
  const answer = (res: Response, payloads: Payload[]) => {
    res.setHeader('Cache-Control', 'no-store');
    res.json(toJson(payloads));
  };

  router.post('/decode', ...json, async (req, res) => {
    const who = await caller(req, deps);
    const payloads = parse(req);
    if (!residentDataRoles.includes(who.role)) {
      res.setHeader('X-Codec-Decoded', 'false');
      return answer(res, payloads);
    }
    let decoded = payloads;
    try {
      for (const codec of [...clientCodecs(deps.client)].reverse()) decoded = await codec.decode(decoded);
    } catch (err) {
      if (err instanceof PayloadDecryptionError) throw problem(400, `A payload cannot be decoded: ${err.message}`, { type: 'undecodable-payload' });
      throw err;
    }
    res.setHeader('X-Codec-Decoded', 'true');
    answer(res, decoded);
  });

  router.post('/encode', ...json, async (req, res) => {
    const who = await caller(req, deps);
    if (!residentDataRoles.includes(who.role)) {
      throw problem(403, `Encoding payloads needs the role ${residentDataRoles.join(', ')}; your token has the role ${who.role}`, { type: 'forbidden-role' });
    }
    let encoded = parse(req);
    for (const codec of clientCodecs(deps.client)) encoded = await codec.encode(encoded);
    answer(res, encoded);
  });

  const form = express.urlencoded({ extended: false, limit: '16kb' });
  const sameOrigin: RequestHandler = (req, _res, next) => {
    // A form posted from another site must not sign the browser in or out (login CSRF).
    // Browsers say where a form comes from in Sec-Fetch-Site, and in Origin (`null` under a no-referrer policy).
    const site = req.headers['sec-fetch-site'];
    const origin = req.headers.origin;
    const otherOrigin = origin !== undefined && origin !== 'null' && (!URL.canParse(origin) || new URL(origin).host !== req.get('host'));
    if ((site !== undefined && site !== 'same-origin' && site !== 'none') || otherOrigin || (origin === 'null' && site === undefined)) {
      return next(problem(403, 'Sign in from the page /codec/sign-in itself', { type: 'cross-origin-form' }));
    }
    next();
  };

  router.get('/sign-in', async (req, res) => {
    const token = parseCookies(req.headers.cookie ?? '')[codecCookie];
    const who = token ? await verified(deps, token).catch(() => undefined) : undefined;
    res.setHeader('Cache-Control', 'no-store');
    // The page's own policy: no script, no style from elsewhere; its forms post to this origin only.
    res.setHeader('Content-Security-Policy', "default-src 'none'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'");
    res.setHeader('Referrer-Policy', 'same-origin');
    res.type('html').send(signInPage(who, deps.temporal.uiUrl));
  });

  router.post('/sign-in', sameOrigin, form, async (req, res) => {
    const header = req.headers.authorization;
    const bearer = header === undefined ? undefined : /^Bearer\s+(\S+)\s*$/i.exec(header)?.[1];
    if (header !== undefined && !bearer) throw unauthorized('Authentication required: use "Authorization: Bearer <token>"');
    const field = parseOr400(SignInForm, { token: (req.body as Record<string, unknown> | undefined)?.token }).token;
    const token = bearer ?? field?.trim();
    if (!token) throw problem(400, 'Send the token as "Authorization: Bearer <token>" or as the form field token', { type: 'token-required' });
    await verified(deps, token);
    const expiresAt = expiryOf(token);
    const maxAge = Math.max(0, Math.min(maxSessionSeconds, expiresAt - Math.floor(Date.now() / 1000)));
    res.setHeader('Cache-Control', 'no-store');
    res.setHeader('Set-Cookie', serializeCookie(codecCookie, token, { httpOnly: true, sameSite: 'strict', secure: req.secure, path: cookiePath, maxAge }));
    if (bearer) return res.status(204).end();
    res.redirect(303, `${req.baseUrl}/sign-in`);
  });

  router.post('/sign-out', sameOrigin, (req, res) => {
    res.setHeader('Cache-Control', 'no-store');
    res.setHeader('Set-Cookie', serializeCookie(codecCookie, '', { httpOnly: true, sameSite: 'strict', secure: req.secure, path: cookiePath, maxAge: 0 }));
    // As sign-in: the page's form goes back to the page, a script's request gets 204.
    if (!req.is('application/x-www-form-urlencoded')) return res.status(204).end();
    res.redirect(303, `${req.baseUrl}/sign-in`);
  });

  return router;
}

/** The `exp` of a token the API has just verified (so its payload is well-formed). */
function expiryOf(token: string): number {
  const payload = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8')) as { exp?: unknown };
  return typeof payload.exp === 'number' ? payload.exp : Math.floor(Date.now() / 1000) + maxSessionSeconds;
}

const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function signInPage(who: Principal | undefined, uiUrl: string | undefined): string {
  const scope = who ? (who.stationId ?? who.subdistrictId ?? who.departmentId ?? who.partnerId) : undefined;
  const status = !who
    ? '<p>Not signed in: the Temporal UI shows resident data still encrypted.</p>'
    : residentDataRoles.includes(who.role)
      ? `<p>Signed in as <b>${escapeHtml(who.id)}</b> (${escapeHtml(who.role)}${scope ? ` ${escapeHtml(scope)}` : ''}): the Temporal UI in this browser shows payloads decoded.</p>`
      : `<p>Signed in as <b>${escapeHtml(who.id)}</b> (${escapeHtml(who.role)}): this role does not see resident data; payloads stay encrypted.</p>`;
  const ui = uiUrl ? `<a href="${escapeHtml(uiUrl)}">the Temporal UI</a>` : 'the Temporal UI';
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>stationflow: decode in the Temporal UI</title></head>
<body>
<h1>Resident data in the Temporal UI</h1>
${status}
<form method="post" action="sign-in">
<label>Your stationflow token<br><textarea name="token" rows="4" cols="80" autocomplete="off" required></textarea></label><br>
<button type="submit">Sign in</button>
</form>
<form method="post" action="sign-out"><button type="submit">Sign out</button></form>
<p>The token is kept in an HttpOnly cookie sent only to this codec server. In ${ui}, open the codec server
settings (the data encoder icon) once and tick "Include cross-origin credentials" unless the UI is configured
with it already.</p>
</body></html>
`;
}

const codecResponses = {
  200: { description: 'The payloads: decoded for roles that see resident data, as they came for the others', content: { 'application/json': { schema: PayloadsJson } } },
  ...problemResponses(400, 401, 403, 413, 415),
};
const codecSession = registry.registerComponent('securitySchemes', 'codecSession', {
  type: 'apiKey',
  in: 'cookie',
  name: codecCookie,
  description: 'The cookie POST /codec/sign-in sets from a stationflow token (the Temporal UI with "include cross-origin credentials")',
});
const namespaceHeader = z.string().optional().meta({ description: 'The Temporal namespace of the payloads (the UI and CLI send it); another namespace than the service\'s is 403' });
for (const type of ['decode', 'encode'] as const) {
  registry.registerPath({
    method: 'post',
    path: `/codec/${type}`,
    operationId: `${type}Payloads`,
    summary:
      type === 'decode'
        ? 'Temporal remote codec: decrypt payloads for the Temporal UI and CLI (staff, supervisor, admin; other roles get them back encrypted)'
        : 'Temporal remote codec: encrypt payloads (staff, supervisor, admin)',
    security: [{ [bearerAuth.name]: [] }, { [codecSession.name]: [] }],
    request: {
      headers: z.object({ 'X-Namespace': namespaceHeader }),
      body: { required: true, content: { 'application/json': { schema: PayloadsJson } } },
    },
    responses: codecResponses,
  });
}
registry.registerPath({
  method: 'get',
  path: '/codec/sign-in',
  operationId: 'getCodecSignInPage',
  summary: 'The codec server\'s sign-in page: paste a token so the Temporal UI in this browser decodes payloads',
  security: [],
  responses: { 200: { description: 'The page', content: { 'text/html': { schema: z.string() } } }, ...problemResponses(431) },
});
registry.registerPath({
  method: 'post',
  path: '/codec/sign-in',
  operationId: 'signInToCodec',
  summary: 'Sign the browser in to the codec server: sets the HttpOnly cookie from a token (form field token, or Authorization: Bearer)',
  security: [],
  request: {
    body: {
      required: false,
      content: { 'application/x-www-form-urlencoded': { schema: SignInForm } },
    },
  },
  responses: {
    204: { description: 'Signed in (token sent as Authorization: Bearer)' },
    303: { description: 'Signed in (form): back to the sign-in page' },
    ...problemResponses(400, 401, 403, 413, 415),
  },
});
registry.registerPath({
  method: 'post',
  path: '/codec/sign-out',
  operationId: 'signOutOfCodec',
  summary: 'Sign the browser out of the codec server (clears the cookie)',
  security: [],
  responses: {
    204: { description: 'Signed out (not a form post)' },
    303: { description: 'Signed out (form): back to the sign-in page' },
    ...problemResponses(403),
  },
});
