import type { RequestHandler } from 'express';
import { match } from 'path-to-regexp';
import { principalOf, type Role } from './auth';
import { problem } from './problems';

/**
 * WHO MAY DO WHAT — the one table of the API's authorization (issue 15, item 3).
 *
 * Every operation the API serves is one entry below: its method, its OpenAPI path (`/api/cases/{id}/urge`),
 * and per role allowed the scope the role acts in and what a caller outside that scope gets. One middleware
 * (`authorize`, mounted once in api/app.ts right after `authenticate`) enforces the roles for every /api
 * request: no token → 401 (authenticate), a role not in the entry → 403 `forbidden-role`, a request that
 * matches no entry → 404 `route-not-found` (never let through). Routers carry no role checks of their own.
 *
 * Scopes need data (a case's station, whether a whistle calls a department), so handlers check them — with
 * the shared helpers: api/cases/scope.ts (stations), api/whistles/lookup.ts (whistles), api/supervision/
 * filter.ts (stuck list), the alerts' and batches' own queries — but the table DECLARES them, and
 * test/authorization-matrix.test.ts holds every handler to the declaration: for every operation in
 * /openapi.json × every role, with the right scope, a wrong scope and no token.
 *
 * The case-actions and whistle-actions tables (api/cases/actions.ts, api/whistles/actions.ts) carry no roles:
 * this table is the one place per route. The OpenAPI document's "Roles: …" line of each operation is
 * written from it (`describeAccess`, used by api/http/openapi.ts).
 *
 * TO ADD A ROUTE: register its path in the OpenAPI registry as usual, then add one entry here with
 * `op(method, '/openapi/{style}/path', { role: grant, … })` — the roles in the order the 403 message should
 * name them, each with `any` or a scoped grant (`ownStation`, `ownSubdistrict`, `ownDepartment`,
 * `calledDepartment`, `ownPartner`, with `outside` 403 / 404 / 'omitted'). Routes outside /api that need
 * no user token are `open(method, path, 'public' | 'metrics-token' | …, why)`. The matrix test fails for a
 * route in /openapi.json missing here, for an entry here missing from /openapi.json, and for a handler whose
 * answer differs from its entry; extend the test's fixtures (path parameters) when a new parameter appears.
 */

/** The part of the world a role's token covers on one operation. */
export type Scope =
  /** every token of the role */
  | 'any'
  /** staff: the case's / whistle's / named station is the token's station */
  | 'own-station'
  /** supervisor: the station, department, whistle, alert or batch belongs to the token's subdistrict; staff and department (station and department lists): the subdistrict of the token's station or department */
  | 'own-subdistrict'
  /** department: the department named (path, query, task assignee) is the token's */
  | 'own-department'
  /** department: the whistle calls the token's department (any call, released ones included) */
  | 'called-department'
  /** partner: the task is assigned to the token's registry entry (or to the department that entry speaks for) */
  | 'own-partner';

/**
 * What a caller outside its scope gets: 403 (`forbidden-scope`, `department-not-called`, `NotTaskAssignee`),
 * 404 (the thing is not told apart from one that does not exist), or 'omitted' (a list: the rest of the
 * world is left out; naming something outside the scope in the query is 403).
 */
export type Outside = 403 | 404 | 'omitted';

export interface Grant {
  scope: Scope;
  outside?: Outside;
}

export type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

export type Operation =
  | { method: Method; path: string; access: 'bearer'; roles: Partial<Record<Role, Grant>> }
  /** Outside `authorize`: public, the metrics token, or its own authentication (the codec server), said in `why`. */
  | { method: Method; path: string; access: OwnAccess; why: string };
type OwnAccess = 'public' | 'metrics-token' | 'codec';

const any: Grant = { scope: 'any' };
const ownStation = (outside: Outside = 403): Grant => ({ scope: 'own-station', outside });
const ownSubdistrict = (outside: Outside = 403): Grant => ({ scope: 'own-subdistrict', outside });
const ownDepartment = (outside: Outside = 403): Grant => ({ scope: 'own-department', outside });
const calledDepartment = (outside: Outside = 403): Grant => ({ scope: 'called-department', outside });
const ownPartner = (outside: Outside = 403): Grant => ({ scope: 'own-partner', outside });

const op = (method: Method, path: string, roles: Partial<Record<Role, Grant>>): Operation => ({ method, path, access: 'bearer', roles });
const open = (method: Method, path: string, access: OwnAccess, why: string): Operation => ({ method, path, access, why });

/* The recurring role sets. */
/** A case: its station's staff, its subdistrict's supervisors, admins; another station's case → 403. */
const onCase = { staff: ownStation(), supervisor: ownSubdistrict(), admin: any };
/** Supervisors' interventions on a case. */
const overseeCase = { supervisor: ownSubdistrict(), admin: any };
/** Everyone signed in. */
const everyone = { staff: any, department: any, supervisor: any, admin: any, partner: any };
const adminOnly = { admin: any };
const readPartners = { staff: any, supervisor: any, admin: any };

const caseActions = ['acceptance', 'diagnosis', 'plan', 'tasks/{taskId}/completion', 'pause', 'resume', 'closure', 'evaluation'];
const caseInterventions = ['deadline-extension', 'urge', 'reassignment', 'withdrawal'];
const departmentWhistleActions = ['check-in', 'dispute', 'report', 'feedback'];
const supervisorWhistleActions = ['departments/{departmentId}/decision', 'closure'];

export const operations: readonly Operation[] = [
  open('GET', '/healthz', 'public', 'liveness probe: no data'),
  open('GET', '/readyz', 'public', 'readiness probe: which dependency is down, nothing more'),
  open('GET', '/docs', 'public', 'the API reference page: renders the public /openapi.json'),
  open('GET', '/docs/redoc.standalone.js', 'public', "the API reference page's script (Redoc, from node_modules)"),
  open('GET', '/metrics', 'metrics-token', 'METRICS_TOKEN, else loopback clients only (README "Metrics"); user tokens grant nothing'),
  // The Temporal UI's and CLI's codec server (api/codec/routes.ts): a bearer token or its sign-in cookie; payloads decoded for staff, supervisor, admin only.
  open('POST', '/codec/decode', 'codec', 'bearer token or the codec cookie (401 without); decoded for staff, supervisor and admin, returned still encrypted to other roles'),
  open('POST', '/codec/encode', 'codec', 'bearer token or the codec cookie (401 without); staff, supervisor and admin only (403 forbidden-role)'),
  open('GET', '/codec/sign-in', 'public', 'the sign-in page for the Temporal UI'),
  open('POST', '/codec/sign-in', 'codec', 'a stationflow token in, the HttpOnly codec cookie out'),
  open('POST', '/codec/sign-out', 'codec', 'clears the codec cookie'),

  // The web console's pages and, in development only, its demo sign-in list (api/console/routes.ts).
  open('GET', '/console/demo-identities', 'public', 'development and test only (404 in production): demo people with fresh tokens for the console sign-in'),

  // The caller
  op('GET', '/api/me', everyone),

  // Cases
  op('POST', '/api/cases', onCase),
  op('GET', '/api/cases', { staff: ownStation('omitted'), supervisor: ownSubdistrict('omitted'), admin: any }),
  op('GET', '/api/cases/{id}', onCase),
  op('GET', '/api/cases/{id}/diagnostics', onCase),
  ...caseActions.map((a) => op('POST', `/api/cases/{id}/${a}`, onCase)),
  ...caseInterventions.map((a) => op('POST', `/api/cases/{id}/${a}`, overseeCase)),
  op('POST', '/api/cases/{id}/reset', adminOnly),
  op('GET', '/api/cases/{id}/notifications', onCase),
  op('POST', '/api/cases/{id}/notifications/{notificationId}/retry', overseeCase),
  op('POST', '/api/cases/{id}/whistles', onCase),
  op('POST', '/api/partner-replies', { partner: ownPartner(), department: ownDepartment() }),

  // Whistles
  op('GET', '/api/whistles', { staff: ownStation('omitted'), department: calledDepartment('omitted'), supervisor: ownSubdistrict('omitted'), admin: any }),
  op('GET', '/api/whistles/{id}', { staff: ownStation(), department: calledDepartment(), supervisor: ownSubdistrict(), admin: any }),
  ...departmentWhistleActions.map((a) => op('POST', `/api/whistles/{id}/${a}`, { department: calledDepartment() })),
  ...supervisorWhistleActions.map((a) => op('POST', `/api/whistles/{id}/${a}`, { supervisor: ownSubdistrict(), admin: any })),
  op('POST', '/api/whistles/{id}/ratings', { staff: ownStation(), supervisor: ownSubdistrict(), admin: any }),
  op('GET', '/api/whistle-urgencies', everyone),
  op('PUT', '/api/whistle-urgencies/{code}', adminOnly),
  op('GET', '/api/departments/{id}/assessment', { department: ownDepartment(), supervisor: ownSubdistrict(), admin: any }),
  op('GET', '/api/assessments/departments', { supervisor: ownSubdistrict('omitted'), admin: any }),

  // Master data
  // The catalogue is what a station publishes: every token. Stations and departments: the token's subdistrict (staff: its own station; api/master-data/).
  op('GET', '/api/services', everyone),
  op('GET', '/api/stations', { staff: ownStation('omitted'), department: ownSubdistrict('omitted'), supervisor: ownSubdistrict('omitted'), admin: any }),
  op('GET', '/api/departments', { staff: ownSubdistrict('omitted'), department: ownSubdistrict('omitted'), supervisor: ownSubdistrict('omitted'), admin: any }),
  op('GET', '/api/calendar/{year}', everyone),
  op('PUT', '/api/calendar/{year}', adminOnly),
  op('GET', '/api/partners', readPartners),
  op('POST', '/api/partners', adminOnly),
  op('GET', '/api/partners/{id}', readPartners),
  op('PATCH', '/api/partners/{id}', adminOnly),
  op('DELETE', '/api/partners/{id}', adminOnly),
  op('POST', '/api/partners/{id}/webhook-secret', adminOnly),
  op('POST', '/api/partners/{id}/tokens', adminOnly),

  // Tokens and the audit (api/tokens/, api/audit/)
  op('POST', '/api/tokens/revocations', adminOnly),
  op('GET', '/api/tokens/revocations', adminOnly),
  op('GET', '/api/audit-events', adminOnly),

  // Supervision
  op('GET', '/api/supervision/stuck', { supervisor: ownSubdistrict('omitted'), staff: ownStation('omitted'), department: ownDepartment('omitted'), admin: any }),
  op('GET', '/api/supervision/summary', { supervisor: ownSubdistrict('omitted'), staff: ownStation('omitted'), department: ownDepartment('omitted'), admin: any }),
  op('GET', '/api/supervision/alerts', { supervisor: ownSubdistrict('omitted'), admin: any }),
  op('POST', '/api/supervision/alerts/acknowledgement', { supervisor: ownSubdistrict('omitted'), admin: any }),
  op('POST', '/api/supervision/alerts/{notificationId}/acknowledgement', { supervisor: ownSubdistrict(404), admin: any }),
  op('POST', '/api/supervision/batches', overseeCase),
  op('GET', '/api/supervision/batches/{id}', { supervisor: ownSubdistrict(404), admin: any }),
];

/* ---------- enforcement ---------- */

/** `/api/cases/{id}` → express's `/api/cases/:id`. */
const expressPath = (openApiPath: string) => openApiPath.replace(/\{(\w+)\}/g, ':$1');

interface Compiled {
  operation: Operation;
  matches: (path: string) => boolean;
  /** Literal segments before parameters: `/api/supervision/alerts/acknowledgement` wins over `…/{notificationId}/…`. */
  literal: number;
}

function compile(table: readonly Operation[]): Compiled[] {
  return table
    .map((operation) => {
      // As express routes: case-insensitive, a trailing slash allowed.
      const m = match(expressPath(operation.path), { sensitive: false, trailing: true, decode: false });
      return { operation, matches: (p: string) => m(p) !== false, literal: operation.path.split('/').filter((s) => s && !s.startsWith('{')).length };
    })
    .sort((a, b) => b.literal - a.literal);
}

/** The table's entry for a request (HEAD is GET, as express routes it), or undefined. */
export function findOperation(method: string, path: string, table: readonly Operation[] = operations): Operation | undefined {
  return lookup(compile(table), method, path);
}

function lookup(compiled: Compiled[], method: string, path: string): Operation | undefined {
  const m = method === 'HEAD' ? 'GET' : method;
  return compiled.find((c) => c.operation.method === m && c.matches(path))?.operation;
}

/**
 * The one role check: after `authenticate`, finds the request's entry and lets it through only for a role the
 * entry names (its scope is then the handler's to check, as the entry declares). No entry: 404.
 */
export function authorize(table: readonly Operation[] = operations): RequestHandler {
  const compiled = compile(table);
  return (req, res, next) => {
    const path = `${req.baseUrl}${req.path}`;
    const operation = lookup(compiled, req.method, path);
    if (!operation) return next(problem(404, `No route for ${req.method} ${path}`, { type: 'route-not-found' }));
    if (operation.access !== 'bearer') return next();
    const p = principalOf(res);
    const allowed = Object.keys(operation.roles) as Role[];
    if (!operation.roles[p.role]) {
      return next(problem(403, `This action needs the role ${allowed.join(' or ')}; your token has the role ${p.role}`, { type: 'forbidden-role' }));
    }
    next();
  };
}

/* ---------- description ---------- */

const scopeWords: Record<Scope, string> = {
  any: 'any',
  'own-station': 'own station',
  'own-subdistrict': 'own subdistrict',
  'own-department': 'own department',
  'called-department': 'a department the whistle calls',
  'own-partner': 'tasks assigned to its own registry entry',
};
const outsideWords: Record<Outside, string> = { 403: 'else 403', 404: 'else 404', omitted: 'others left out' };

/** "Roles: staff (own station; else 403), supervisor (…), admin (any)." — for an operation's OpenAPI description. */
export function rolesLine(operation: Operation): string {
  if (operation.access !== 'bearer') return `No user token: ${operation.why}.`;
  const parts = Object.entries(operation.roles).map(([role, g]) => `${role} (${scopeWords[g.scope]}${g.outside ? `; ${outsideWords[g.outside]}` : ''})`);
  return `Roles: ${parts.join(', ')}.`;
}

interface OpenApiOperation {
  description?: string;
  [k: string]: unknown;
}

/**
 * Writes each operation's "Roles: …" line from the table into an OpenAPI document (first line of its
 * description) and the entry itself as `x-authorization`, so clients and the matrix test read the same rules.
 */
export function describeAccess<D extends { paths?: object }>(doc: D, table: readonly Operation[] = operations): D {
  for (const [path, item] of Object.entries(doc.paths ?? {}) as [string, Record<string, unknown> | undefined][]) {
    for (const [method, value] of Object.entries(item ?? {})) {
      const operation = table.find((o) => o.method === method.toUpperCase() && o.path === path);
      if (!operation || typeof value !== 'object' || value === null) continue;
      const o = value as OpenApiOperation;
      o.description = o.description ? `${rolesLine(operation)}\n\n${o.description}` : rolesLine(operation);
      o['x-authorization'] = operation.access === 'bearer' ? { roles: operation.roles } : { access: operation.access };
    }
  }
  return doc;
}
