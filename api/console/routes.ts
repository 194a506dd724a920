import fs from 'node:fs';
import path from 'node:path';
import express, { type RequestHandler } from 'express';
import helmet from 'helmet';
import { departments, stations, subdistricts } from '../../db/schema';
import { z } from 'zod';
import { roles, type Claims } from '../http/auth';
import type { AppDeps } from '../http/deps';
import { noStore } from '../http/hardening';
import { problemResponses, registry } from '../http/openapi';
import { problem } from '../http/problems';

/**
 * The web console (issue 16): the single-page app built from web/ into web/dist, served under /console/ by the
 * API itself. It only calls the public /api with the token its user signs in with; nothing here grants more.
 *
 * - Its own Content-Security-Policy (the API's is `default-src 'none'`): scripts, fonts, images and API calls
 *   from this origin only; styles also inline, because Ant Design writes its CSS-in-JS into <style> elements.
 * - Hashed assets are cached for a year; index.html never (a new build is picked up on the next load).
 * - `GET /console/demo-identities`: in development and test only (NODE_ENV ≠ production), the demo people of
 *   the seeded master data with a fresh token each — the console's sign-in list. 404 in production, where a
 *   user pastes a token from the deployment's identity provider.
 */

/** The built console: web/dist, or CONSOLE_DIST (a build elsewhere, e.g. one per concurrent test run). */
export const consoleDist = () => path.resolve(process.env.CONSOLE_DIST ?? path.join(__dirname, '../../web/dist'));

const consoleHeaders: RequestHandler = helmet({
  contentSecurityPolicy: {
    useDefaults: false,
    directives: {
      defaultSrc: ["'none'"],
      scriptSrc: ["'self'"],
      styleSrc: ["'self'", "'unsafe-inline'"],
      imgSrc: ["'self'", 'data:'],
      fontSrc: ["'self'", 'data:'],
      connectSrc: ["'self'"],
      manifestSrc: ["'self'"],
      frameAncestors: ["'none'"],
      baseUri: ["'none'"],
      formAction: ["'none'"],
    },
  },
  referrerPolicy: { policy: 'no-referrer' },
});

/** One demo person per role and scope of the seeded master data, as the sign-in page lists them. */
export interface DemoIdentity {
  role: Claims['role'];
  label: string;
  labelZh: string;
  token: string;
}

const DemoIdentities = z
  .object({
    items: z.array(
      z.object({
        role: z.enum(roles),
        label: z.string(),
        labelZh: z.string(),
        token: z.string().meta({ description: 'A bearer token for this person, valid 8 hours' }),
      }),
    ),
  })
  .meta({ id: 'DemoIdentities' });

registry.registerPath({
  method: 'get',
  path: '/console/demo-identities',
  operationId: 'listDemoIdentities',
  summary: "Development only: the console's demo people, each with a fresh token (404 in production)",
  security: [],
  responses: { 200: { description: 'The demo people', content: { 'application/json': { schema: DemoIdentities } } }, ...problemResponses(404) },
});

async function demoIdentities(deps: AppDeps): Promise<DemoIdentity[]> {
  const db = deps.database.db;
  const [stationRows, departmentRows, subdistrictRows] = await Promise.all([
    db.select().from(stations).orderBy(stations.id),
    db.select().from(departments).orderBy(departments.id),
    db.select().from(subdistricts).orderBy(subdistricts.id),
  ]);
  const ttl = '8h';
  const sign = (claims: Claims) => deps.auth.sign(claims, ttl);
  return Promise.all([
    ...stationRows.map(async (s) => ({
      role: 'staff' as const,
      label: `Social worker, ${s.name}`,
      labelZh: `${s.nameZh} 全科社工`,
      token: await sign({ sub: `demo-staff-${s.id}`, role: 'staff', station: s.id, name: `Demo social worker (${s.id})` }),
    })),
    ...departmentRows.map(async (d) => ({
      role: 'department' as const,
      label: `Clerk, ${d.name}`,
      labelZh: `${d.nameZh} 办事员`,
      token: await sign({ sub: `demo-department-${d.id}`, role: 'department', department: d.id, name: `Demo clerk (${d.id})` }),
    })),
    ...subdistrictRows.map(async (s) => ({
      role: 'supervisor' as const,
      label: `Supervisor, ${s.name}`,
      labelZh: `${s.nameZh} 督办员`,
      token: await sign({ sub: `demo-supervisor-${s.id}`, role: 'supervisor', subdistrict: s.id, name: `Demo supervisor (${s.id})` }),
    })),
    (async () => ({
      role: 'admin' as const,
      label: 'Administrator',
      labelZh: '系统管理员',
      token: await sign({ sub: 'demo-admin', role: 'admin', name: 'Demo administrator' }),
    }))(),
  ]);
}

export function consoleRouter(deps: AppDeps): express.Router {
  const router = express.Router();
  const dist = consoleDist();
  router.use(consoleHeaders);

  router.get('/demo-identities', noStore, async (_req, res, next) => {
    if (deps.config.NODE_ENV === 'production') return next(problem(404, 'Demo identities exist in development only: sign in with a token of your identity provider', { type: 'route-not-found' }));
    res.json({ items: await demoIdentities(deps) });
  });

  router.use(
    '/assets',
    express.static(path.join(dist, 'assets'), { immutable: true, maxAge: '365d', index: false, fallthrough: false }),
  );
  // Every other path under /console/ is a page of the app: index.html, which routes on the client.
  router.get('/{*page}', (_req, res, next) => {
    const index = path.join(dist, 'index.html');
    if (!fs.existsSync(index)) {
      return next(problem(503, 'The web console is not built: run `npm run build:web` (npm install and npm start build it)', { type: 'console-not-built' }));
    }
    res.setHeader('Cache-Control', 'no-cache');
    res.sendFile(index);
  });
  return router;
}
