import { SignJWT } from 'jose';
import { departments, notifications, stations, subdistricts, whistles } from '../db/schema';
import { roles, type Claims, type Role } from '../api/http/auth';
import { type Grant, type Operation, operations } from '../api/http/authorization';
import { addPartner } from './helpers/partners';
import { api, eventually, testSecret, useStack } from './helpers/stack';
import { eq } from 'drizzle-orm';

/**
 * Issue 15, item 3: every operation of /openapi.json, with every role — in its scope, out of it — and with no
 * token, answers exactly as api/http/authorization.ts's table says; a route missing from either side fails by name.
 *
 * Fixtures: the demo station qianggen (subdistrict xinjiekou) holds one case, planned with a task for the partner
 * anju-repair (T1, a notice pushed to it) and one for the department housing (T2), with a whistle calling housing,
 * a supervisor alert and a batch. "Wrong scope" tokens belong to a second subdistrict (other-sd, station elsewhere,
 * department other-dept) or another partner. Allowed writes carry an invalid body (400 shows they got past
 * authorization and change nothing); out-of-scope writes carry a valid body, so the scope check — after the body's —
 * is what answers, and refuses: no cell changes the shared fixtures.
 */

const { stack, tokens } = useStack({}, { timeout: 120_000 });

type Tokens = Record<Role, string>;
const right = {} as Tokens;
/** Tokens of the same roles outside the fixtures' scope (admin has none). */
const wrong = {} as Partial<Tokens>;

const fx = { caseId: '', whistleId: '', noticeId: '', alertId: '', batchId: '' };
const inHours = (h: number) => new Date(Date.now() + h * 3_600_000).toISOString();

/** The operation's path with its parameters filled from the fixtures; a parameter without a fixture fails the test by name. */
function fill(path: string): string {
  const values: Record<string, (p: string) => string | undefined> = {
    id: (p) =>
      p.startsWith('/api/cases/')
        ? fx.caseId
        : p.startsWith('/api/whistles/')
          ? fx.whistleId
          : p.startsWith('/api/departments/')
            ? 'housing'
            : p.startsWith('/api/partners/')
              ? 'matrix-partner'
              : p.startsWith('/api/supervision/batches/')
                ? fx.batchId
                : undefined,
    taskId: () => 'T1',
    notificationId: (p) => (p.startsWith('/api/cases/') ? fx.noticeId : p.startsWith('/api/supervision/alerts/') ? fx.alertId : undefined),
    departmentId: () => 'housing',
    year: () => '2026',
    code: () => 'normal',
  };
  return path.replace(/\{(\w+)\}/g, (_, name: string) => {
    const v = values[name]?.(path);
    if (!v) throw new Error(`the matrix has no fixture for {${name}} in ${path}: add one to fill()`);
    return encodeURIComponent(v);
  });
}

/** Query strings an operation needs to reach its scope check (required parameters). */
const queries: Record<string, string> = {
  'GET /api/departments/{id}/assessment': '?from=2026-01-01&to=2027-01-01',
  'GET /api/assessments/departments': '?from=2026-01-01&to=2027-01-01',
};

/** Valid bodies: out-of-scope callers must be refused by scope, not by validation. */
const validBodies = (): Record<string, unknown> => ({
  'POST /api/cases': { stationId: 'qianggen', serviceCode: 'legal-consultation', demand: 'Lease question', resident: { name: 'Matrix Resident' } },
  'POST /api/cases/{id}/acceptance': { decision: 'accept', documents: [] },
  'POST /api/cases/{id}/diagnosis': { findings: 'Looked at it' },
  'POST /api/cases/{id}/plan': { goals: ['Done'], tasks: [] },
  'POST /api/cases/{id}/tasks/{taskId}/completion': { outcome: 'done' },
  'POST /api/cases/{id}/pause': { reason: 'Waiting on papers' },
  'POST /api/cases/{id}/resume': {},
  'POST /api/cases/{id}/closure': { resolution: 'resolved' },
  'POST /api/cases/{id}/evaluation': { rating: 'satisfied', via: 'app' },
  'POST /api/cases/{id}/deadline-extension': { clock: 'resolution', newDueAt: inHours(24 * 30), reason: 'Parts on order' },
  'POST /api/cases/{id}/urge': { target: 'owner', reason: 'Please move it on' },
  'POST /api/cases/{id}/reassignment': { to: { kind: 'staff', id: 'li' }, reason: 'Workload' },
  'POST /api/cases/{id}/withdrawal': { kind: 'opened-in-error', reason: 'Mistake' },
  'POST /api/cases/{id}/notifications/{notificationId}/retry': { reason: 'Try again' },
  'POST /api/cases/{id}/whistles': whistleBody,
  'POST /api/partner-replies': { caseId: fx.caseId, taskId: 'T2', status: 'accepted' },
  'POST /api/whistles/{id}/check-in': {},
  'POST /api/whistles/{id}/dispute': { reason: 'Not ours' },
  'POST /api/whistles/{id}/report': { outcome: 'done', note: 'Fixed' },
  'POST /api/whistles/{id}/feedback': { score: 4 },
  'POST /api/whistles/{id}/departments/{departmentId}/decision': { decision: 'insist' },
  'POST /api/whistles/{id}/closure': { reason: 'Enough' },
  'POST /api/whistles/{id}/ratings': { departmentId: 'housing', score: 4 },
  'POST /api/supervision/alerts/acknowledgement': { ids: [fx.alertId] },
  'POST /api/supervision/alerts/{notificationId}/acknowledgement': {},
  'POST /api/supervision/batches': { operation: 'urge', reason: 'Move these on', caseIds: [fx.caseId] },
});
const whistleBody = { reason: 'joint-enforcement', urgency: 'normal', summary: 'Water coming through the roof of the north block', departments: ['housing'], lead: 'housing' };
/** A body no operation accepts: a caller past authorization gets 400 and nothing changes. */
const probe = { matrixProbe: true };

type Res = Awaited<ReturnType<typeof api>>;
/** Lists ("omitted"): whether the fixture of the right scope is in the answer. */
const shows: Record<string, (res: Res) => boolean> = {
  'GET /api/cases': (r) => r.body.items.some((i: { id: string }) => i.id === fx.caseId),
  'GET /api/whistles': (r) => r.body.items.some((i: { id: string }) => i.id === fx.whistleId),
  'GET /api/supervision/alerts': (r) => r.body.items.some((i: { id: string }) => i.id === fx.alertId),
  'GET /api/assessments/departments': (r) => r.body.items.some((i: { department: { id: string } }) => i.department.id === 'housing'),
  'GET /api/stations': (r) => r.body.items.some((i: { id: string }) => i.id === 'qianggen'),
  'GET /api/departments': (r) => r.body.items.some((i: { id: string }) => i.id === 'housing'),
  'POST /api/supervision/alerts/acknowledgement': (r) => !r.body.notFound.includes(fx.alertId),
};
const key = (o: Pick<Operation, 'method' | 'path'>) => `${o.method} ${o.path}`;

interface Cell {
  name: string;
  run: () => Promise<string | undefined>;
}

const isProblem = (r: Res) => /^application\/problem\+json/.test(r.headers.get('content-type') ?? '');
const said = (r: Res) => `${r.status}${r.body && typeof r.body === 'object' && 'type' in r.body ? ` ${r.body.type}` : ''}`;

/** The cells of one operation: every role in and out of scope, and no token. Each returns what was wrong, or undefined. */
function cellsOf(o: Operation): Cell[] {
  const path = fill(o.path);
  const url = `${path}${queries[key(o)] ?? ''}`;
  const write = o.method !== 'GET';
  const call = (token: string | undefined, body?: unknown) => api(stack, o.method, url, { token, body: write ? body : undefined });
  const cells: Cell[] = [];

  if (o.access === 'codec') {
    // Its own authentication (api/codec/routes.ts, test/codec-server.test.ts): here only that it is served, to every role.
    for (const who of roles) {
      cells.push({
        name: `${key(o)} ${who} (codec)`,
        run: async () => {
          const r = await call(right[who], { payloads: [] });
          return r.status >= 500 || (r.status === 404 && r.body?.type === '/problems/route-not-found') ? `got ${said(r)}` : undefined;
        },
      });
    }
    return cells;
  }
  if (o.access !== 'bearer') {
    // Served without a user token: a user token neither opens nor closes it.
    for (const who of [undefined, ...roles]) {
      cells.push({
        name: `${key(o)} ${who ?? 'no token'} (${o.access})`,
        run: async () => {
          const r = await call(who && right[who]);
          return r.status === 401 || r.status === 403 || r.status >= 500 ? `got ${said(r)}` : undefined;
        },
      });
    }
    return cells;
  }

  cells.push({
    name: `${key(o)} no token`,
    run: async () => {
      const r = await call(undefined, probe);
      return r.status === 401 && isProblem(r) && r.body.type === '/problems/unauthorized' ? undefined : `want 401 unauthorized, got ${said(r)}`;
    },
  });
  const allowed = Object.keys(o.roles) as Role[];
  for (const role of roles) {
    const grant: Grant | undefined = o.roles[role];
    if (!grant) {
      cells.push({
        name: `${key(o)} ${role} (role not allowed)`,
        run: async () => {
          const r = await call(right[role], probe);
          const wantDetail = `This action needs the role ${allowed.join(' or ')}; your token has the role ${role}`;
          return r.status === 403 && isProblem(r) && r.body.type === '/problems/forbidden-role' && r.body.detail === wantDetail
            ? undefined
            : `want 403 forbidden-role "${wantDetail}", got ${said(r)} ${JSON.stringify(r.body?.detail)}`;
        },
      });
      continue;
    }
    cells.push({
      name: `${key(o)} ${role} (in scope)`,
      run: async () => {
        const r = await call(right[role], probe);
        if (r.status === 401 || r.status === 403 || r.status >= 500 || (r.status === 404 && r.body?.type === '/problems/route-not-found')) return `want allowed, got ${said(r)}`;
        if (r.status >= 400 && !isProblem(r)) return `error ${r.status} is not problem+json`;
        const visible = shows[key(o)];
        if (grant.outside === 'omitted' && visible && r.status === 200 && !visible(r)) return 'the fixture in scope is missing from the list';
        return undefined;
      },
    });
    const away = wrong[role];
    if (grant.scope === 'any' || !away) continue;
    cells.push({
      name: `${key(o)} ${role} (wrong scope: ${grant.outside})`,
      run: async () => {
        const r = await call(away, validBodies()[key(o)] ?? probe);
        if (grant.outside === 'omitted') {
          if (r.status !== 200) return `want 200 without the other scope's data, got ${said(r)}`;
          const visible = shows[key(o)];
          return visible?.(r) ? "the other scope's fixture is listed" : undefined;
        }
        return r.status === grant.outside && isProblem(r) ? undefined : `want ${grant.outside}, got ${said(r)}`;
      },
    });
  }
  return cells;
}

/** Runs the cells, `width` at a time; returns the failures, by cell name. */
async function runCells(cells: Cell[], width = 6): Promise<string[]> {
  const failures: string[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: width }, async () => {
      while (next < cells.length) {
        const cell = cells[next++]!;
        const wrongWith = await cell.run().catch((err: Error) => `threw ${err.message}`);
        if (wrongWith) failures.push(`${cell.name}: ${wrongWith}`);
      }
    }),
  );
  return failures.sort();
}

describe('authorization matrix: /openapi.json × roles × scope, as api/http/authorization.ts says', () => {
  beforeAll(async () => {
    const { db } = stack.database;
    await db.insert(subdistricts).values({ id: 'other-sd', name: 'Other', nameZh: '其他' });
    await db.insert(stations).values({ id: 'elsewhere', subdistrictId: 'other-sd', name: 'Elsewhere', nameZh: '别处', casePrefix: 'EW' });
    await db.insert(departments).values({ id: 'other-dept', subdistrictId: 'other-sd', name: 'Other Department', nameZh: '其他部门' });
    await addPartner(stack, 'other-partner', [{ type: 'email', address: 'desk@other-partner.example' }]);
    await addPartner(stack, 'matrix-partner', [{ type: 'email', address: 'desk@matrix-partner.example' }]);

    const sign = (claims: Partial<Claims> & Pick<Claims, 'role'>) => stack.token({ sub: `matrix-${claims.role}`, ...claims });
    Object.assign(right, { staff: tokens.staff, department: tokens.housing, supervisor: tokens.supervisor, admin: tokens.admin, partner: tokens.partner });
    Object.assign(wrong, {
      staff: await sign({ role: 'staff', station: 'elsewhere' }),
      department: await sign({ role: 'department', department: 'other-dept' }),
      supervisor: await sign({ role: 'supervisor', subdistrict: 'other-sd' }),
      partner: await sign({ role: 'partner', partner: 'other-partner' }),
    });

    // The case, through the API: opened, accepted, diagnosed, planned with a partner's and a department's task.
    const ok = async (res: Promise<Res>, status = 200) => {
      const r = await res;
      expect({ status: r.status, body: r.body }).toMatchObject({ status });
      return r.body;
    };
    const asStaff = (method: string, path: string, body: unknown) => api(stack, method, path, { token: tokens.staff, body });
    fx.caseId = (await ok(asStaff('POST', '/api/cases', { serviceCode: 'legal-consultation', demand: 'Lease question', resident: { name: 'Matrix Resident' } }), 201)).id;
    const on = (action: string, body: unknown) => ok(asStaff('POST', `/api/cases/${fx.caseId}/${action}`, body));
    await on('acceptance', { decision: 'accept', documents: [] });
    await on('diagnosis', { findings: 'The landlord will not return the deposit' });
    await on('plan', {
      goals: ['Deposit returned'],
      tasks: [
        { title: 'Advise on the lease', assignee: { kind: 'partner', id: 'anju-repair' }, dueAt: inHours(48) },
        { title: 'Check the building', assignee: { kind: 'department', id: 'housing' }, dueAt: inHours(48) },
      ],
    });
    fx.whistleId = (await ok(asStaff('POST', `/api/cases/${fx.caseId}/whistles`, whistleBody), 201)).id;
    await eventually(async () => (await db.select().from(whistles).where(eq(whistles.id, fx.whistleId))).length > 0, 20_000, 'the whistle in the read model');
    fx.noticeId = await eventually(async () => {
      const r = await api(stack, 'GET', `/api/cases/${fx.caseId}/notifications`, { token: tokens.staff });
      return r.body?.items?.find((n: { kind: string; partnerId: string | null }) => n.kind === 'task.assigned' && n.partnerId === 'anju-repair')?.id;
    }, 20_000, 'the partner notice');
    const [alert] = await db
      .insert(notifications)
      .values({ key: 'matrix-alert', caseId: fx.caseId, recipientKind: 'supervisor', recipientId: 'xinjiekou', kind: 'commitment.breached', data: {}, createdAt: new Date() })
      .returning();
    fx.alertId = alert!.notificationId;
    fx.batchId = (await ok(api(stack, 'POST', '/api/supervision/batches', { token: tokens.supervisor, body: { operation: 'urge', reason: 'Matrix batch', caseIds: [fx.caseId] } }), 202)).id;
  }, 120_000);

  it('every operation of /openapi.json is in the table, and every entry of the table is in /openapi.json', async () => {
    const res = await api(stack, 'GET', '/openapi.json');
    expect(res.status).toBe(200);
    const documented = Object.entries(res.body.paths as Record<string, Record<string, unknown>>).flatMap(([path, item]) =>
      Object.keys(item)
        .filter((m) => ['get', 'post', 'put', 'patch', 'delete'].includes(m))
        .map((m) => `${m.toUpperCase()} ${path}`),
    );
    const table = operations.map(key);
    expect({ missingFromTable: documented.filter((d) => !table.includes(d)).sort(), notInOpenApi: table.filter((t) => !documented.includes(t)).sort() }).toEqual({
      missingFromTable: [],
      notInOpenApi: [],
    });
    expect(new Set(table).size).toBe(table.length);
    // The document's "Roles: …" line and x-authorization come from the table.
    const urge = res.body.paths['/api/cases/{id}/urge'].post;
    expect(urge['x-authorization']).toEqual({ roles: { supervisor: { scope: 'own-subdistrict', outside: 403 }, admin: { scope: 'any' } } });
    expect(urge.description).toMatch(/^Roles: supervisor \(own subdistrict; else 403\), admin \(any\)\./);
  });

  it('every operation × every role in scope, out of scope and with no token answers as its entry says', async () => {
    const cells = operations.flatMap(cellsOf);
    expect(cells.length).toBeGreaterThan(200);
    expect(await runCells(cells)).toEqual([]);
  }, 240_000);

  it('an /api path in no entry is 404 for any role (401 without a token), never let through', async () => {
    for (const [method, path] of [
      ['GET', '/api/nothing-here'],
      ['POST', '/api/cases/QG-20260101-0001/unknown-action'],
      ['GET', '/api/supervision'],
    ] as const) {
      expect((await api(stack, method, path)).status).toBe(401);
      const r = await api(stack, method, path, { token: tokens.admin, body: method === 'POST' ? {} : undefined });
      expect({ path, status: r.status, type: r.body?.type }).toEqual({ path, status: 404, type: '/problems/route-not-found' });
    }
  });

  it('hostile tokens are 401 on every /api operation: expired, wrong secret, alg none, garbage', async () => {
    const now = Math.floor(Date.now() / 1000);
    const secret = new TextEncoder().encode(testSecret);
    const claims = { role: 'admin' };
    const b64 = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
    const hostile = {
      expired: await new SignJWT(claims).setProtectedHeader({ alg: 'HS256' }).setSubject('root').setIssuer('stationflow').setIssuedAt(now - 7200).setExpirationTime(now - 3600).sign(secret),
      wrongSecret: await new SignJWT(claims)
        .setProtectedHeader({ alg: 'HS256' })
        .setSubject('root')
        .setIssuer('stationflow')
        .setIssuedAt()
        .setExpirationTime('1h')
        .sign(new TextEncoder().encode('another-secret-that-is-long-enough-for-hs256')),
      algNone: `${b64({ alg: 'none', typ: 'JWT' })}.${b64({ ...claims, sub: 'root', iss: 'stationflow', iat: now, exp: now + 3600 })}.`,
      garbage: 'not-a-token',
    };
    const cells: Cell[] = operations
      .filter((o) => o.access === 'bearer')
      .flatMap((o) =>
        Object.entries(hostile).map(([what, token]) => ({
          name: `${key(o)} ${what}`,
          run: async () => {
            const r = await api(stack, o.method, fill(o.path), { token, body: o.method === 'GET' ? undefined : probe });
            return r.status === 401 && isProblem(r) ? undefined : `want 401, got ${said(r)}`;
          },
        })),
      );
    expect(await runCells(cells)).toEqual([]);
  }, 120_000);
});
