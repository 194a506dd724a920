import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { RequestHandler, Response } from 'express';
import { errors as joseErrors, jwtVerify, SignJWT } from 'jose';
import { z } from 'zod';
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
}

export class Auth {
  private readonly key: Uint8Array;
  constructor(
    secret: string,
    private readonly issuer: string,
    private readonly defaultTtl: string,
  ) {
    this.key = new TextEncoder().encode(secret);
  }

  async sign(claims: Claims, ttl = this.defaultTtl): Promise<string> {
    const { sub, ...rest } = claimsSchema.parse(claims);
    return new SignJWT(rest)
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setSubject(sub)
      .setIssuer(this.issuer)
      .setIssuedAt()
      .setExpirationTime(ttl.replace(/\s/g, ''))
      .sign(this.key);
  }

  /** Verifies signature, issuer and expiry; throws a 401 problem naming what is wrong. */
  async verify(token: string): Promise<Principal> {
    let payload: unknown;
    try {
      ({ payload } = await jwtVerify(token, this.key, { issuer: this.issuer, algorithms: ['HS256'] }));
    } catch (err) {
      const why =
        err instanceof joseErrors.JWTExpired
          ? 'the token has expired'
          : err instanceof joseErrors.JWTClaimValidationFailed
            ? `the token's ${err.claim} claim is not accepted`
            : 'the token is malformed or its signature does not verify';
      throw unauthorized(why);
    }
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
    };
  }
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

/** 403 unless the caller has one of the roles. */
export function requireRole(...allowed: Role[]): RequestHandler {
  return (_req, res, next) => {
    const p = principalOf(res);
    if (!allowed.includes(p.role)) {
      return next(problem(403, `This action needs the role ${allowed.join(' or ')}; your token has the role ${p.role}`, { type: 'forbidden-role' }));
    }
    next();
  };
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
    fs.mkdirSync(config.dataDir, { recursive: true });
    const secret = crypto.randomBytes(48).toString('base64url');
    try {
      fs.writeFileSync(file, `${secret}\n`, { mode: 0o600, flag: 'wx' });
      return secret;
    } catch {
      return fs.readFileSync(file, 'utf8').trim(); // another process wrote it first
    }
  }
}
