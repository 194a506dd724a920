import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { type CryptoKey, decodeJwt, exportJWK, exportSPKI, generateKeyPair, type JWK, SignJWT } from 'jose';
import type { Auth, AuthOptions } from '../api/http/auth';
import { loadConfig } from '../config';
import { openTestDatabase, type TestDatabase } from './helpers/database';
import { startApiOnly } from './helpers/api-only';
import { freePort } from './helpers/ports';
import { expectProblem } from './helpers/problems';
import { api, testSecret } from './helpers/stack';

/**
 * Tokens for production (issue 15, item 4), through the real HTTP API: the development secret (HS256) beside
 * an identity provider's public key (RS256, ES256) or JWKS (a real local HTTP server, keys rotated by kid);
 * expiry required, bounded clock skew, audience and issuer, `alg: none` and algorithm confusion refused —
 * each a 401 problem naming what is wrong without echoing the token. Temporal is not asked anything by the
 * routes used here, so the API runs with a Temporal address where nothing listens.
 */

const idp = 'https://idp.example.org/realms/stationflow';
const audience = 'stationflow-api';
const now = () => Math.floor(Date.now() / 1000);
const staffClaims = { role: 'staff', station: 'qianggen' };

let database: TestDatabase;
const servers: http.Server[] = [];
const stops: (() => Promise<void>)[] = [];

async function listen(handler: http.RequestListener): Promise<string> {
  const server = http.createServer(handler);
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/** The API with tokens verified as `options` say; stopped after the file. */
async function startApi(options: AuthOptions = {}): Promise<{ url: string; auth: Auth }> {
  const started = await startApiOnly(database, options);
  stops.push(started.stop);
  return started;
}

/** A request any signed-in role may make: 200 when the token is accepted. */
const probe = (target: { url: string }, token: string) => api(target, 'GET', '/api/whistle-urgencies', { token });

/** 401 problem+json whose detail matches, never carrying the token (or its signature). */
function expectRefused(res: Awaited<ReturnType<typeof api>>, token: string, detail: RegExp) {
  expectProblem(res, 401, { detail, titled: true, type: 'unauthorized' });
  const text = JSON.stringify(res.body);
  for (const part of token.split('.').filter((p) => p.length > 8)) expect(text).not.toContain(part);
  expect(res.headers.get('www-authenticate')).toMatch(/^Bearer realm="stationflow"/);
}

let rsa: Awaited<ReturnType<typeof generateKeyPair>>;
let ec: Awaited<ReturnType<typeof generateKeyPair>>;
let rsaPem: string;

/** A token of the identity provider: RS256 with `rsa` unless told otherwise. */
function idpToken(
  o: { alg?: 'RS256' | 'ES256'; key?: CryptoKey; kid?: string; iss?: string | null; aud?: string | null; exp?: number | null; nbf?: number; iat?: number; claims?: object } = {},
) {
  const alg = o.alg ?? 'RS256';
  const jwt = new SignJWT({ ...staffClaims, ...o.claims }).setProtectedHeader({ alg, typ: 'JWT', ...(o.kid ? { kid: o.kid } : {}) }).setSubject('wang');
  if (o.iss !== null) jwt.setIssuer(o.iss ?? idp);
  if (o.aud !== null) jwt.setAudience(o.aud ?? audience);
  jwt.setIssuedAt(o.iat ?? now());
  if (o.exp !== null) jwt.setExpirationTime(o.exp ?? now() + 600);
  if (o.nbf !== undefined) jwt.setNotBefore(o.nbf);
  return jwt.sign(o.key ?? (alg === 'ES256' ? ec.privateKey : rsa.privateKey));
}

const b64 = (v: object) => Buffer.from(JSON.stringify(v)).toString('base64url');

beforeAll(async () => {
  database = await openTestDatabase();
  [rsa, ec] = await Promise.all([generateKeyPair('RS256'), generateKeyPair('ES256')]);
  rsaPem = await exportSPKI(rsa.publicKey);
});

afterAll(async () => {
  for (const stop of stops) await stop();
  for (const s of servers) {
    s.closeAllConnections();
    await new Promise<void>((resolve) => s.close(() => resolve()));
  }
  await database.drop();
});

describe('a public key from configuration (AUTH_PUBLIC_KEY)', () => {
  let rsaApi: { url: string; auth: Auth };
  let ecApi: { url: string; auth: Auth };
  beforeAll(async () => {
    rsaApi = await startApi({ publicKey: rsaPem, audience, keyIssuer: idp, clockSkewSeconds: 30 });
    ecApi = await startApi({ publicKey: await exportSPKI(ec.publicKey), audience, keyIssuer: idp });
  });

  it('accepts the identity provider’s RS256 and ES256 tokens, and the development secret’s HS256 tokens with a jti', async () => {
    expect((await probe(rsaApi, await idpToken())).status).toBe(200);
    expect((await probe(ecApi, await idpToken({ alg: 'ES256' }))).status).toBe(200);
    const minted = await rsaApi.auth.mint({ sub: 'wang', role: 'staff', station: 'qianggen' });
    expect(decodeJwt(minted.token)).toMatchObject({ jti: minted.tokenId, iss: 'stationflow', aud: audience, exp: expect.any(Number) });
    expect(minted.tokenId).toMatch(/^[0-9a-f-]{36}$/);
    expect((await probe(rsaApi, minted.token)).status).toBe(200);
  });

  it('refuses an expired token, one without exp, one not valid yet, and one issued in the future — naming the claim', async () => {
    const cases: [Promise<string>, RegExp][] = [
      [idpToken({ exp: now() - 120, iat: now() - 600 }), /expired/],
      [idpToken({ exp: null }), /no exp claim \(an expiry is required\)/],
      [idpToken({ nbf: now() + 120 }), /not valid yet \(nbf\)/],
      [idpToken({ iat: now() + 120 }), /iat claim lies in the future/],
      // The development secret's tokens too: a token signed with the secret but without exp is not accepted for ever.
      [new SignJWT(staffClaims).setProtectedHeader({ alg: 'HS256' }).setSubject('wang').setIssuer('stationflow').setAudience(audience).sign(new TextEncoder().encode(testSecret)), /no exp claim/],
    ];
    for (const [token, detail] of cases) expectRefused(await probe(rsaApi, await token), await token, detail);
  });

  it('refuses a wrong or missing audience and a wrong issuer', async () => {
    const cases: [Promise<string>, RegExp][] = [
      [idpToken({ aud: 'another-service' }), /aud claim is not accepted/],
      [idpToken({ aud: null }), /no aud claim/],
      [idpToken({ iss: 'https://evil.example' }), /iss claim is not accepted/],
      [idpToken({ iss: null }), /no iss claim/],
      // A token of the identity provider claiming stationflow's own issuer is still the provider's key's: refused.
      [idpToken({ iss: 'stationflow' }), /iss claim is not accepted/],
    ];
    for (const [token, detail] of cases) expectRefused(await probe(rsaApi, await token), await token, detail);
  });

  it('refuses alg none, algorithm confusion, another key and algorithms that fit no key', async () => {
    const payload = { ...staffClaims, sub: 'wang', iss: idp, aud: audience, iat: now(), exp: now() + 600 };
    const none = `${b64({ alg: 'none', typ: 'JWT' })}.${b64(payload)}.`;
    expectRefused(await probe(rsaApi, none), none, /algorithm \("none"\) is not accepted/);
    // HS256 "signed" with the public key's PEM text (the classic confusion): HS256 verifies with the secret only.
    for (const iss of [idp, 'stationflow']) {
      const confused = await new SignJWT(staffClaims)
        .setProtectedHeader({ alg: 'HS256' })
        .setSubject('mallory')
        .setIssuer(iss)
        .setAudience(audience)
        .setIssuedAt()
        .setExpirationTime('10m')
        .sign(new TextEncoder().encode(rsaPem));
      expectRefused(await probe(rsaApi, confused), confused, /signature does not verify/);
    }
    const otherKey = await generateKeyPair('RS256');
    const forged = await idpToken({ key: otherKey.privateKey });
    expectRefused(await probe(rsaApi, forged), forged, /signature does not verify/);
    // ES256 where only an RSA key is configured; HS384 with the secret; an algorithm with no key at all.
    const es = await idpToken({ alg: 'ES256' });
    expectRefused(await probe(rsaApi, es), es, /algorithm \("ES256"\) is not accepted/);
    const hs384 = await new SignJWT(staffClaims).setProtectedHeader({ alg: 'HS384' }).setSubject('wang').setIssuer('stationflow').setExpirationTime('10m').sign(new TextEncoder().encode(testSecret));
    expectRefused(await probe(rsaApi, hs384), hs384, /algorithm \("HS384"\) is not accepted/);
    expectRefused(await probe(rsaApi, 'eyJhbGciOi.not-a-token.x'), 'eyJhbGciOi.not-a-token.x', /malformed/);
  });

  it('tolerates the configured clock skew (30 s) and no more', async () => {
    expect((await probe(rsaApi, await idpToken({ exp: now() - 10, iat: now() - 600 }))).status).toBe(200);
    expect((await probe(rsaApi, await idpToken({ nbf: now() + 10 }))).status).toBe(200);
    expect((await probe(rsaApi, await idpToken({ iat: now() + 10 }))).status).toBe(200);
    expectRefused(await probe(rsaApi, await idpToken({ exp: now() - 90, iat: now() - 600 })), 'x', /expired/);
    expectRefused(await probe(rsaApi, await idpToken({ nbf: now() + 90 })), 'x', /not valid yet/);
  });

  it('refuses an identity provider’s token whose claims do not fit its role', async () => {
    const token = await idpToken({ claims: { role: 'staff', station: undefined } });
    expectRefused(await probe(rsaApi, token), token, /station/);
  });
});

describe('configuration', () => {
  it('takes a PEM public key (with \\n escapes), requires an audience with it, and bounds the skew', async () => {
    const escaped = rsaPem.replace(/\n/g, '\\n');
    expect(loadConfig({ AUTH_PUBLIC_KEY: escaped, AUTH_AUDIENCE: audience }).AUTH_PUBLIC_KEY).toBe(rsaPem);
    expect(() => loadConfig({ AUTH_PUBLIC_KEY: rsaPem })).toThrow(/AUTH_AUDIENCE must be set with AUTH_PUBLIC_KEY/);
    expect(() => loadConfig({ AUTH_JWKS_URL: 'https://idp.example.org/jwks' })).toThrow(/AUTH_AUDIENCE/);
    expect(() => loadConfig({ AUTH_PUBLIC_KEY: 'not a key', AUTH_AUDIENCE: audience })).toThrow(/AUTH_PUBLIC_KEY must be a PEM public key/);
    const ed = await generateKeyPair('EdDSA', { crv: 'Ed25519' });
    expect(() => loadConfig({ AUTH_PUBLIC_KEY: '', AUTH_AUDIENCE: audience })).not.toThrow();
    await expect(exportSPKI(ed.publicKey).then((pem) => loadConfig({ AUTH_PUBLIC_KEY: pem, AUTH_AUDIENCE: audience }))).rejects.toThrow(/RSA or EC P-256/);
    expect(loadConfig({}).AUTH_CLOCK_SKEW).toBe(30);
    expect(loadConfig({ AUTH_CLOCK_SKEW: '2m' }).AUTH_CLOCK_SKEW).toBe(120);
    expect(() => loadConfig({ AUTH_CLOCK_SKEW: '10m' })).toThrow(/AUTH_CLOCK_SKEW must be at most 5m/);
  });
});

describe('a JWKS URL (AUTH_JWKS_URL)', () => {
  /** What the identity provider's JWKS endpoint serves right now. */
  let served: JWK[] = [];
  let fetches = 0;
  let jwksApi: { url: string; auth: Auth };
  const jwk = async (key: CryptoKey, kid: string, alg: string) => ({ ...(await exportJWK(key)), kid, alg, use: 'sig' });

  beforeAll(async () => {
    const jwksUrl = await listen((_req, res) => {
      fetches++;
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: served }));
    });
    served = [await jwk(rsa.publicKey, 'rsa-1', 'RS256'), await jwk(ec.publicKey, 'ec-1', 'ES256')];
    jwksApi = await startApi({ jwksUrl: `${jwksUrl}/.well-known/jwks.json`, audience, keyIssuer: idp });
  });

  it('verifies RS256 and ES256 tokens by kid, and follows a key rotation', async () => {
    expect((await probe(jwksApi, await idpToken({ kid: 'rsa-1' }))).status).toBe(200);
    expect((await probe(jwksApi, await idpToken({ alg: 'ES256', kid: 'ec-1' }))).status).toBe(200);
    const before = fetches;
    // The provider rotates: rsa-2 replaces rsa-1. A token of the new key makes the API fetch the set again.
    const next = await generateKeyPair('RS256');
    served = [await jwk(next.publicKey, 'rsa-2', 'RS256'), served[1]!];
    expect((await probe(jwksApi, await idpToken({ kid: 'rsa-2', key: next.privateKey }))).status).toBe(200);
    expect(fetches).toBeGreaterThan(before);
    const retired = await idpToken({ kid: 'rsa-1' });
    expectRefused(await probe(jwksApi, retired), retired, /key \(kid\) is not one of the identity provider's/);
    // HS256 is never looked up in the JWKS; alg none neither.
    const confused = await new SignJWT(staffClaims).setProtectedHeader({ alg: 'HS256', kid: 'rsa-2' }).setSubject('m').setIssuer(idp).setAudience(audience).setExpirationTime('5m').sign(new TextEncoder().encode(JSON.stringify(served[0])));
    expectRefused(await probe(jwksApi, confused), confused, /signature does not verify/);
  });

  it('answers 503 (not 401, not 500) while the JWKS cannot be fetched', async () => {
    const away = await startApi({ jwksUrl: `http://127.0.0.1:${await freePort()}/jwks`, audience, keyIssuer: idp });
    const res = await probe(away, await idpToken({ kid: 'rsa-1' }));
    expectProblem(res, 503, { detail: /AUTH_JWKS_URL/, type: 'auth-keys-unavailable' });
  });
});
