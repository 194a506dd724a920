import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { RequestHandler, Response } from 'express';
import { isHttpError } from 'http-errors';
import { createRemoteJWKSet, decodeJwt, decodeProtectedHeader, errors as joseErrors, importSPKI, type JWTPayload, jwtVerify, SignJWT } from 'jose';
import { z } from 'zod';
import { type AsymmetricAlgorithm, asymmetricAlgorithms, publicKeyAlgorithm } from '../../config/auth-keys';
import { problem } from './problems';

export const roles = ['staff', 'department', 'supervisor', 'admin', 'partner'] as const;
export type Role = (typeof roles)[number];

/**
 * The claims of a stationflow token: who (`sub`), in which role, and the scope the role acts in —
 * a station for staff, a department for department users, a subdistrict for supervisors, the
 * registry entry for a partner's own token.
 */
export const claimsSchema = z
  .object({
    sub: z.string().min(1, 'must name the user'),
    role: z.enum(roles),
    name: z.string().optional(),
    station: z.string().min(1).optional(),
    department: z.string().min(1).optional(),
    subdistrict: z.string().min(1).optional(),
    /** A partner's own token (role partner): the registry entry it speaks for. */
    partner: z.string().min(1).optional(),
  })
  .superRefine((c, ctx) => {
    const needs: Partial<Record<Role, 'station' | 'department' | 'subdistrict' | 'partner'>> = {
      staff: 'station',
      department: 'department',
      supervisor: 'subdistrict',
      partner: 'partner',
    };
    const scope = needs[c.role];
    if (scope && !c[scope]) ctx.addIssue({ code: 'custom', path: [scope], message: `a ${c.role} token needs a ${scope}` });
  });
export type Claims = z.infer<typeof claimsSchema>;

export interface Principal {
  id: string;
  role: Role;
  name?: string;
  stationId?: string;
  departmentId?: string;
  subdistrictId?: string;
  partnerId?: string;
  /** The token's `jti` (every token stationflow mints has one): what a revocation names. */
  tokenId?: string;
  /** The token's `iat`: a holder's revocation covers the tokens issued before it. */
  issuedAt?: Date;
  /** The token's `exp`. */
  expiresAt?: Date;
}

/** How tokens are verified besides the development secret (README "Security"). */
export interface AuthOptions {
  /** A PEM public key (SPKI) of RSA (RS256) or EC P-256 (ES256) that signs tokens of the identity provider. */
  publicKey?: string;
  /** The identity provider's JWKS URL: its keys by `kid`, fetched and refreshed on an unknown `kid`. */
  jwksUrl?: string;
  /** `aud` every token must carry (and minted tokens get). */
  audience?: string;
  /** `iss` of tokens verified with the public key or the JWKS; default the issuer of minted tokens. */
  keyIssuer?: string;
  /** Clock skew tolerated on `exp`, `nbf` and `iat`, in seconds (default 30). */
  clockSkewSeconds?: number;
  /** The least time between two JWKS fetches for an unknown `kid` (default 30 s; tests: 0). */
  jwksCooldownMs?: number;
}

/** A token minted by stationflow, with what a revocation and the client need to know of it. */
export interface MintedToken {
  token: string;
  tokenId: string;
  issuedAt: Date;
  expiresAt: Date;
}

export class Auth {
  private readonly key: Uint8Array;
  private readonly publicKey?: { algorithm: AsymmetricAlgorithm; key: ReturnType<typeof importSPKI> };
  private readonly jwks?: ReturnType<typeof createRemoteJWKSet>;
  private readonly skew: number;

  constructor(
    secret: string,
    private readonly issuer: string,
    private readonly defaultTtl: string,
    private readonly options: AuthOptions = {},
  ) {
    this.key = new TextEncoder().encode(secret);
    this.skew = options.clockSkewSeconds ?? 30;
    if (options.publicKey) {
      const algorithm = publicKeyAlgorithm(options.publicKey);
      this.publicKey = { algorithm, key: importSPKI(options.publicKey, algorithm) };
    }
    if (options.jwksUrl) {
      this.jwks = createRemoteJWKSet(new URL(options.jwksUrl), { cooldownDuration: options.jwksCooldownMs ?? 30_000, timeoutDuration: 5_000 });
    }
  }

  async sign(claims: Claims, ttl = this.defaultTtl): Promise<string> {
    return (await this.mint(claims, ttl)).token;
  }

  /**
   * Mints a token (HS256 with the secret) with a fresh `jti`, `iat`, `exp` and, when configured, `aud`.
   * `notIssuedBefore`: the token's `iat` is at least this instant (rounded up to the second), so that a
   * holder's revocation earlier in the same second does not cover it.
   */
  async mint(claims: Claims, ttl = this.defaultTtl, opts: { notIssuedBefore?: Date } = {}): Promise<MintedToken> {
    const { sub, ...rest } = claimsSchema.parse(claims);
    const tokenId = crypto.randomUUID();
    const now = Math.floor(Date.now() / 1000);
    const iat = Math.max(now, opts.notIssuedBefore ? Math.ceil(opts.notIssuedBefore.getTime() / 1000) : 0);
    const jwt = new SignJWT(rest)
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setSubject(sub)
      .setIssuer(this.issuer)
      .setJti(tokenId)
      .setIssuedAt(iat)
      .setExpirationTime(iat + ttlToSeconds(ttl));
    if (this.options.audience) jwt.setAudience(this.options.audience);
    const token = await jwt.sign(this.key);
    const { exp } = decodeJwt(token);
    return { token, tokenId, issuedAt: new Date(iat * 1000), expiresAt: new Date(exp! * 1000) };
  }

  /**
   * Verifies a token: its algorithm fits a configured key (HS256 the secret; RS256/ES256 the public key or
   * the JWKS — never another), its signature, `exp` (required), `nbf` and `iat` within the clock skew,
   * issuer and audience. Throws a 401 problem naming what is wrong (never echoing the token); 503 when the
   * JWKS cannot be fetched.
   */
  async verify(token: string): Promise<Principal> {
    let algorithm: unknown;
    try {
      algorithm = decodeProtectedHeader(token).alg;
    } catch {
      throw unauthorized('the token is malformed');
    }
    let payload: JWTPayload;
    try {
      ({ payload } = await this.verifyWithKey(token, algorithm));
    } catch (err) {
      throw verificationProblem(err);
    }
    if (typeof payload.iat === 'number' && payload.iat > Date.now() / 1000 + this.skew) throw unauthorized('the token\'s iat claim lies in the future');
    const claims = claimsSchema.safeParse(payload);
    if (!claims.success) throw unauthorized(`the token's claims are incomplete: ${claims.error.issues.map((i) => `${i.path.join('.')} ${i.message}`).join('; ')}`);
    const c = claims.data;
    return {
      id: c.sub,
      role: c.role,
      name: c.name,
      stationId: c.station,
      departmentId: c.department,
      subdistrictId: c.subdistrict,
      partnerId: c.partner,
      tokenId: typeof payload.jti === 'string' ? payload.jti : undefined,
      issuedAt: typeof payload.iat === 'number' ? new Date(payload.iat * 1000) : undefined,
      expiresAt: typeof payload.exp === 'number' ? new Date(payload.exp * 1000) : undefined,
    };
  }

  private verifyWithKey(token: string, algorithm: unknown) {
    const common = { requiredClaims: ['exp'], clockTolerance: this.skew, audience: this.options.audience };
    if (algorithm === 'HS256') return jwtVerify(token, this.key, { ...common, issuer: this.issuer, algorithms: ['HS256'] });
    const keyIssuer = this.options.keyIssuer ?? this.issuer;
    if (this.publicKey && algorithm === this.publicKey.algorithm) {
      const { key, algorithm: alg } = this.publicKey;
      return key.then((k) => jwtVerify(token, k, { ...common, issuer: keyIssuer, algorithms: [alg] }));
    }
    if (this.jwks && asymmetricAlgorithms.includes(algorithm as AsymmetricAlgorithm)) {
      return jwtVerify(token, this.jwks, { ...common, issuer: keyIssuer, algorithms: [...asymmetricAlgorithms] });
    }
    const name = typeof algorithm === 'string' ? algorithm.slice(0, 20) : 'missing';
    throw unauthorized(`the token's algorithm (${JSON.stringify(name)}) is not accepted`);
  }
}

/** 30m, 8h, 7d → seconds. */
function ttlToSeconds(ttl: string): number {
  const m = /^(\d+)\s?(s|m|h|d)$/.exec(ttl.trim());
  if (!m) throw new Error(`a token's lifetime must look like 30m, 8h or 7d (got ${JSON.stringify(ttl)})`);
  return Number(m[1]) * { s: 1, m: 60, h: 3600, d: 86_400 }[m[2] as 's' | 'm' | 'h' | 'd'];
}

/** What went wrong in jose's verification, as a 401 problem (503: the identity provider's keys are away). */
function verificationProblem(err: unknown) {
  if (isHttpError(err)) return err;
  if (err instanceof joseErrors.JWTExpired) return unauthorized('the token has expired');
  if (err instanceof joseErrors.JWTClaimValidationFailed) {
    if (err.reason === 'missing') return unauthorized(`the token has no ${err.claim} claim${err.claim === 'exp' ? ' (an expiry is required)' : ''}`);
    if (err.claim === 'nbf') return unauthorized('the token is not valid yet (nbf)');
    return unauthorized(`the token's ${err.claim} claim is not accepted`);
  }
  if (err instanceof joseErrors.JOSEAlgNotAllowed) return unauthorized("the token's algorithm is not accepted");
  if (err instanceof joseErrors.JWKSNoMatchingKey) return unauthorized("the token's key (kid) is not one of the identity provider's");
  if (err instanceof joseErrors.JWKSTimeout || err instanceof joseErrors.JWKSInvalid || /fetch failed|ECONNREFUSED|Expected 200/i.test(String((err as { message?: unknown } | null)?.message))) {
    return problem(503, "The identity provider's keys (AUTH_JWKS_URL) cannot be fetched: try again shortly", { type: 'auth-keys-unavailable', headers: { 'Retry-After': '5' } });
  }
  return unauthorized('the token is malformed or its signature does not verify');
}

function unauthorized(why: string) {
  return problem(401, `Authentication required: ${why}`, {
    type: 'unauthorized',
    headers: { 'WWW-Authenticate': 'Bearer realm="stationflow", error="invalid_token"' },
  });
}

/** Requires `Authorization: Bearer <token>` and puts the principal on `res.locals`. */
export function authenticate(auth: Auth): RequestHandler {
  return async (req, res, next) => {
    const header = req.headers.authorization;
    const match = header?.match(/^Bearer\s+(\S+)\s*$/i);
    if (!match?.[1]) {
      return next(
        problem(401, header ? 'Authentication required: use "Authorization: Bearer <token>"' : 'Authentication required: no Authorization header', {
          type: 'unauthorized',
          headers: { 'WWW-Authenticate': 'Bearer realm="stationflow"' },
        }),
      );
    }
    try {
      res.locals.principal = await auth.verify(match[1]);
      next();
    } catch (err) {
      next(err);
    }
  };
}

export function principalOf(res: Response): Principal {
  const p = res.locals.principal as Principal | undefined;
  if (!p) throw new Error('principalOf() used on a route without authenticate()');
  return p;
}

/**
 * The signing secret: AUTH_SECRET, else (development only) a random secret kept in DATA_DIR/auth-secret,
 * so that `npm start` and `npm run token` agree without any setup.
 */
export function resolveAuthSecret(config: { AUTH_SECRET?: string; dataDir: string }): string {
  if (config.AUTH_SECRET) return config.AUTH_SECRET;
  const file = path.join(config.dataDir, 'auth-secret');
  try {
    return fs.readFileSync(file, 'utf8').trim();
  } catch {
    fs.mkdirSync(config.dataDir, { recursive: true, mode: 0o700 });
    const secret = crypto.randomBytes(48).toString('base64url');
    try {
      fs.writeFileSync(file, `${secret}\n`, { mode: 0o600, flag: 'wx' });
      return secret;
    } catch {
      return fs.readFileSync(file, 'utf8').trim(); // another process wrote it first
    }
  }
}
