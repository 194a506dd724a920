import crypto from 'node:crypto';
import { eq } from 'drizzle-orm';
import { SignJWT } from 'jose';
import { stations, subdistricts } from '../db/schema';
import { caseWorkflowId } from '../temporal/client';
import { searchAttributes } from '../temporal/search-attribute-keys';
import { api, eventually, testSecret, useStack } from './helpers/stack';
import { expectProblem } from './helpers/problems';

// Each demand comes from another resident (another phone): the same one again would be a repeat of the open case.
let residents = 0;
const demand = (extra: Record<string, unknown> = {}) => ({
  serviceCode: 'home-plumbing-repair',
  demand: 'Kitchen pipe leaking under the sink',
  channel: 'walk-in',
  resident: { name: 'Li Hua', phone: `1380000${String(++residents).padStart(4, '0')}`, address: 'Building 3, Unit 2' },
  ...extra,
});

describe('HTTP API against the real worker', () => {
  const { stack, tokens } = useStack();
  let staff: string;
  beforeAll(async () => {
    staff = tokens.staff;
    // A second station in another subdistrict, to prove scope checks.
    await stack.database.db.insert(subdistricts).values({ id: 'other-sd', name: 'Other', nameZh: '其他' });
    await stack.database.db.insert(stations).values({ id: 'elsewhere', subdistrictId: 'other-sd', name: 'Elsewhere', nameZh: '别处', casePrefix: 'EW' });
  });

  describe('health and documentation', () => {
    it('answers /healthz and /readyz without a token', async () => {
      expect((await api(stack, 'GET', '/healthz')).status).toBe(200);
      const ready = await api(stack, 'GET', '/readyz');
      expect(ready.status).toBe(200);
      expect(ready.body.checks).toEqual({ database: { status: 'ok' }, temporal: { status: 'ok' }, worker: { status: 'ok' } });
    });

    it('serves an OpenAPI document describing the case routes', async () => {
      const res = await api(stack, 'GET', '/openapi.json');
      expect(res.status).toBe(200);
      expect(res.body.openapi).toBe('3.1.0');
      expect(Object.keys(res.body.paths)).toEqual(expect.arrayContaining(['/api/cases', '/api/cases/{id}', '/readyz']));
      expect(res.body.components.schemas.OpenCase.required).toEqual(expect.arrayContaining(['serviceCode', 'demand', 'resident']));
    });
  });

  describe('authentication and authorisation', () => {
    it('401 without a token, with a malformed one, a foreign signature or an expired one', async () => {
      expectProblem(await api(stack, 'GET', '/api/cases'), 401, { detail: /no Authorization header/, titled: true });
      expectProblem(await api(stack, 'GET', '/api/cases', { headers: { authorization: 'Basic abc' } }), 401, { detail: /Bearer/, titled: true });
      expectProblem(await api(stack, 'GET', '/api/cases', { token: 'not.a.jwt' }), 401, { detail: /malformed|signature/, titled: true });
      const foreign = await new SignJWT({ role: 'admin' })
        .setProtectedHeader({ alg: 'HS256' })
        .setSubject('mallory')
        .setIssuer('stationflow')
        .setExpirationTime('1h')
        .sign(new TextEncoder().encode('another-secret-another-secret-another-secret'));
      expectProblem(await api(stack, 'GET', '/api/cases', { token: foreign }), 401, { detail: /signature/, titled: true });
      // Expired two minutes ago: beyond the tolerated clock skew (30 s).
      const expired = await new SignJWT({ role: 'staff', station: 'qianggen' })
        .setProtectedHeader({ alg: 'HS256' })
        .setSubject('wang')
        .setIssuer('stationflow')
        .setIssuedAt(Math.floor(Date.now() / 1000) - 600)
        .setExpirationTime(Math.floor(Date.now() / 1000) - 120)
        .sign(new TextEncoder().encode(testSecret));
      const res = await api(stack, 'GET', '/api/cases', { token: expired });
      expectProblem(res, 401, { detail: /expired/, titled: true });
      expect(res.headers.get('www-authenticate')).toMatch(/^Bearer/);
    });

    it('401 when the claims do not fit the role', async () => {
      const noStation = await new SignJWT({ role: 'staff' })
        .setProtectedHeader({ alg: 'HS256' })
        .setSubject('wang')
        .setIssuer('stationflow')
        .setExpirationTime('1h')
        .sign(new TextEncoder().encode(testSecret));
      expectProblem(await api(stack, 'GET', '/api/cases', { token: noStation }), 401, { detail: /station/, titled: true });
    });

    it('403 for a department token on case routes and for staff of another station', async () => {
      const department = await stack.token({ role: 'department', department: 'housing' });
      expectProblem(await api(stack, 'POST', '/api/cases', { token: department, body: demand() }), 403, { detail: /role staff or supervisor or admin/, titled: true });
      expectProblem(await api(stack, 'POST', '/api/cases', { token: staff, body: demand({ stationId: 'elsewhere' }) }), 403, { detail: /does not cover station elsewhere/, titled: true });
      expectProblem(await api(stack, 'GET', '/api/cases?stationId=elsewhere', { token: staff }), 403, { detail: /does not cover station elsewhere/, titled: true });
    });
  });

  describe('opening a case', () => {
    it('201 with the case id, stage and a Temporal UI link; the workflow runs and the read model has it', async () => {
      const body = demand();
      const res = await api(stack, 'POST', '/api/cases', { token: staff, body });
      expect(res.status).toBe(201);
      expect(res.body.id).toMatch(/^QG-\d{8}-\d{4}$/);
      expect(res.body).toMatchObject({ stage: 'accept', stationId: 'qianggen', category: 'life', deadlineClass: 'utilities' });
      expect(res.body.links.temporalUi).toBe(`http://localhost:8233/namespaces/default/workflows/${caseWorkflowId(res.body.id)}`);
      expect(res.headers.get('location')).toBe(`/api/cases/${res.body.id}`);
      expect(res.body.resident).toBeUndefined();

      const handle = stack.client.workflow.getHandle(caseWorkflowId(res.body.id));
      const description = await handle.describe();
      expect(description.status.name).toBe('RUNNING');
      expect(description.typedSearchAttributes.get(searchAttributes.stage)).toBe('accept');

      const detail = await eventually(async () => {
        const r = await api(stack, 'GET', `/api/cases/${res.body.id}`, { token: staff });
        return r.status === 200 && r.body.timeline.length > 0 && r;
      }, 15_000, 'the case to reach the read model');
      expect(detail.body).toMatchObject({ id: res.body.id, stage: 'accept', live: true, openedBy: 'wang', resident: body.resident });
      expect(detail.body.timeline[0]).toEqual(expect.objectContaining({ type: 'case.opened', actor: 'wang', actorRole: 'staff' }));
    });

    it('numbers cases per station and day', async () => {
      const a = await api(stack, 'POST', '/api/cases', { token: staff, body: demand() });
      const b = await api(stack, 'POST', '/api/cases', { token: staff, body: demand() });
      const seq = (id: string) => Number(id.split('-')[2]);
      expect(seq(b.body.id)).toBe(seq(a.body.id) + 1);
    });

    it('returns the same case for a retried request with the same Idempotency-Key, never a second one', async () => {
      const headers = { 'idempotency-key': 'visit-2026-11-23-li-hua' };
      const body = demand();
      const first = await api(stack, 'POST', '/api/cases', { token: staff, body, headers });
      const [second, third] = await Promise.all([
        api(stack, 'POST', '/api/cases', { token: staff, body, headers }),
        api(stack, 'POST', '/api/cases', { token: staff, body, headers }),
      ]);
      expect(first.status).toBe(201);
      expect(second.body.id).toBe(first.body.id);
      expect(third.body.id).toBe(first.body.id);
      expect(second.headers.get('idempotent-replayed')).toBe('true');
      expect(second.body.openedAt).toBe(first.body.openedAt);
      const listed = await api(stack, 'GET', '/api/cases?limit=100', { token: staff });
      expect(listed.body.items.filter((c: { id: string }) => c.id === first.body.id).length).toBeLessThanOrEqual(1);

      const other = await api(stack, 'POST', '/api/cases', { token: staff, body: demand({ demand: 'Something else' }), headers });
      expectProblem(other, 422, { detail: /already used for a different request/, titled: true });
      // Another user's identical key is theirs alone (another resident: the same one would be a repeat).
      const colleague = await stack.token({ role: 'staff', station: 'qianggen', sub: 'zhang' });
      const theirs = await api(stack, 'POST', '/api/cases', { token: colleague, body: demand(), headers });
      expect(theirs.status).toBe(201);
      expect(theirs.body.id).not.toBe(first.body.id);
    });

    it('lets a supervisor open a case at a station of their subdistrict, naming it', async () => {
      const supervisor = await stack.token({ role: 'supervisor', subdistrict: 'xinjiekou' });
      expectProblem(await api(stack, 'POST', '/api/cases', { token: supervisor, body: demand() }), 422, { detail: /Name the station/, titled: true });
      const res = await api(stack, 'POST', '/api/cases', { token: supervisor, body: demand({ stationId: 'qianggen' }) });
      expect(res.status).toBe(201);
      expectProblem(await api(stack, 'POST', '/api/cases', { token: supervisor, body: demand({ stationId: 'elsewhere' }) }), 403, { detail: /elsewhere/, titled: true });
    });
  });

  describe('bad input gets a specific problem, never a 500', () => {
    it.each([
      ['malformed JSON', { rawBody: '{"serviceCode": ', headers: { 'content-type': 'application/json' } }, 400, /not valid JSON/],
      ['a JSON array', { body: [1, 2] }, 400, /expected object/],
      ['an unknown field', { body: demand({ priority: 'high' }) }, 400, /unknown field "priority"/],
      ['an unknown nested field', { body: demand({ resident: { name: 'Li', idNumber: '110101199003074514' } }) }, 400, /resident\/idNumber: unknown field/],
      ['a wrong type', { body: demand({ demand: 42 }) }, 400, /demand: .*expected string/],
      ['a missing field', { body: { serviceCode: 'home-plumbing-repair', demand: 'x' } }, 400, /resident: is required/],
      ['a bad channel', { body: demand({ channel: 'fax' }) }, 400, /channel/],
      ['a bad phone number', { body: demand({ resident: { name: 'Li', phone: 'call me' } }) }, 400, /phone number/],
      ['text instead of JSON', { rawBody: 'hello', headers: { 'content-type': 'text/plain' } }, 415, /application\/json/],
      ['a form post', { rawBody: 'a=b', headers: { 'content-type': 'application/x-www-form-urlencoded' } }, 415, /application\/json/],
      ['an oversize body', { body: demand({ demand: 'x'.repeat(200_000) }) }, 413, /limit is 102400 bytes/],
      ['an unknown service code', { body: demand({ serviceCode: 'teleportation' }) }, 422, /Unknown service code teleportation/],
      ['an unknown deadline class', { body: demand({ deadlineClass: 'whenever' }) }, 422, /Unknown deadline class whenever/],
      ['an unknown station', { body: demand({ stationId: 'atlantis' }) }, 422, /Unknown station atlantis/],
      ['a bad Idempotency-Key', { body: demand(), headers: { 'idempotency-key': 'x'.repeat(300) } }, 400, /visible ASCII/],
    ])('%s', async (_what, opts, status, detail) => {
      const res = await api(stack, 'POST', '/api/cases', { token: staff, ...(opts as object) });
      expectProblem(res, status, { detail: detail, titled: true });
      if (status === 400 && res.body.type.endsWith('validation-failed')) expect(res.body.errors.length).toBeGreaterThan(0);
    });

    it('keeps resident phone and ID numbers out of the logs', async () => {
      const before = stack.logLines.length;
      const res = await api(stack, 'POST', '/api/cases', {
        token: staff,
        body: demand({ resident: { name: 'Sun Li', phone: '13912345678', address: 'Courtyard 9' } }),
      });
      expect(res.status).toBe(201);
      await api(stack, 'POST', '/api/cases', { token: staff, body: demand({ resident: { name: 'Sun Li', idNumber: '110101199003074514' } }) });
      await api(stack, 'GET', `/api/cases/${res.body.id}`, { token: staff });
      const written = stack.logLines.slice(before).join('');
      expect(written).toContain(res.body.id); // the logs do describe these requests
      expect(written).not.toContain('13912345678');
      expect(written).not.toContain('110101199003074514');
      expect(written).not.toContain('Sun Li');
      expect(written).not.toContain(staff);
    });

    it('404 problem for an unknown case, a malformed id and an unknown route', async () => {
      expectProblem(await api(stack, 'GET', '/api/cases/QG-20260101-9999', { token: staff }), 404, { detail: /Case QG-20260101-9999 not found/, titled: true });
      expectProblem(await api(stack, 'GET', '/api/cases/..%2f..%2fetc', { token: staff }), 404, { detail: /not found/, titled: true });
      expectProblem(await api(stack, 'GET', '/api/nothing-here', { token: staff }), 404, { detail: /No route for GET/, titled: true });
    });

    it('400 for bad list parameters', async () => {
      expectProblem(await api(stack, 'GET', '/api/cases?stage=sleeping', { token: staff }), 400, { detail: /stage/, titled: true });
      expectProblem(await api(stack, 'GET', '/api/cases?limit=1000', { token: staff }), 400, { detail: /limit/, titled: true });
      expectProblem(await api(stack, 'GET', '/api/cases?colour=red', { token: staff }), 400, { detail: /unknown field "colour"/, titled: true });
      expectProblem(await api(stack, 'GET', '/api/cases?cursor=zzz', { token: staff }), 400, { detail: /cursor/, titled: true });
    });
  });

  describe('listing cases from the read model', () => {
    it('filters by stage and category and pages with a cursor, newest first', async () => {
      await api(stack, 'POST', '/api/cases', { token: staff, body: demand({ serviceCode: 'volunteer-registration' }) });
      await eventually(async () => {
        const r = await api(stack, 'GET', '/api/cases?category=public', { token: staff });
        return r.body.items.length > 0;
      }, 15_000, 'the public case to be listed');
      const all: string[] = [];
      let cursor: string | undefined;
      do {
        const page = await api(stack, 'GET', `/api/cases?limit=2${cursor ? `&cursor=${cursor}` : ''}`, { token: staff });
        expect(page.status).toBe(200);
        expect(page.body.items.length).toBeLessThanOrEqual(2);
        all.push(...page.body.items.map((c: { id: string }) => c.id));
        cursor = page.body.nextCursor;
      } while (cursor);
      expect(new Set(all).size).toBe(all.length);
      expect(all.length).toBeGreaterThanOrEqual(5);
      const opened = await Promise.all(all.map(async (id) => (await api(stack, 'GET', `/api/cases/${id}`, { token: staff })).body.openedAt));
      expect([...opened].sort().reverse()).toEqual(opened);

      const publicOnly = await api(stack, 'GET', '/api/cases?category=public', { token: staff });
      expect(publicOnly.body.items.every((c: { category: string }) => c.category === 'public')).toBe(true);
      const accept = await api(stack, 'GET', '/api/cases?stage=accept&stage=', { token: staff });
      expect(accept.status).toBe(400); // a repeated parameter is ambiguous
      const closed = await api(stack, 'GET', '/api/cases?stage=closed', { token: staff });
      expect(closed.body.items).toEqual([]);
    });

    it('sorts by next deadline on request: soonest first across pages, cases without one last; cursors of one order are refused by the other', async () => {
      // Different deadline classes give different next deadlines (emergency: hours; general: days).
      await Promise.all(
        ['emergency', 'general', 'utilities'].map((deadlineClass) =>
          api(stack, 'POST', '/api/cases', { token: staff, headers: { 'Idempotency-Key': crypto.randomUUID() }, body: demand({ deadlineClass, resident: { name: `Sort ${deadlineClass}` } }) }),
        ),
      );
      const all: { id: string; nextDueAt?: string }[] = [];
      let cursor: string | undefined;
      do {
        const page = await api(stack, 'GET', `/api/cases?sort=next-deadline&limit=2${cursor ? `&cursor=${cursor}` : ''}`, { token: staff });
        expect(page.status).toBe(200);
        all.push(...page.body.items);
        cursor = page.body.nextCursor;
        if (cursor) expectProblem(await api(stack, 'GET', `/api/cases?limit=2&cursor=${cursor}`, { token: staff }), 400, { detail: /cursor/ });
      } while (cursor);
      expect(new Set(all.map((c) => c.id)).size).toBe(all.length);
      const newest = await api(stack, 'GET', '/api/cases?limit=100', { token: staff });
      expect(all.length).toBe(newest.body.items.length);
      const dues = all.map((c) => c.nextDueAt ?? null);
      const firstNone = dues.indexOf(null);
      const withDue = firstNone === -1 ? dues : dues.slice(0, firstNone);
      expect(withDue.length).toBeGreaterThanOrEqual(3);
      expect([...withDue].sort()).toEqual(withDue);
      if (firstNone !== -1) expect(dues.slice(firstNone).every((d) => d === null)).toBe(true);
      const newestCursor = (await api(stack, 'GET', '/api/cases?limit=1', { token: staff })).body.nextCursor;
      expectProblem(await api(stack, 'GET', `/api/cases?sort=next-deadline&cursor=${newestCursor}`, { token: staff }), 400, { detail: /cursor/ });
      expectProblem(await api(stack, 'GET', '/api/cases?sort=oldest', { token: staff }), 400, { detail: /sort/ });
    });

    it('shows staff only their station and a supervisor the stations of their subdistrict', async () => {
      const admin = await stack.token({ role: 'admin' });
      await api(stack, 'POST', '/api/cases', { token: admin, body: demand({ stationId: 'elsewhere' }) });
      await eventually(async () => (await api(stack, 'GET', '/api/cases?stationId=elsewhere', { token: admin })).body.items.length > 0, 15_000, 'the other station case');
      const mine = await api(stack, 'GET', '/api/cases?limit=100', { token: staff });
      expect(mine.body.items.every((c: { stationId: string }) => c.stationId === 'qianggen')).toBe(true);
      const supervisor = await stack.token({ role: 'supervisor', subdistrict: 'xinjiekou' });
      const theirs = await api(stack, 'GET', '/api/cases?limit=100', { token: supervisor });
      expect(theirs.body.items.length).toBeGreaterThan(0);
      expect(theirs.body.items.every((c: { stationId: string }) => c.stationId === 'qianggen')).toBe(true);
      const otherCase = (await api(stack, 'GET', '/api/cases?stationId=elsewhere', { token: admin })).body.items[0].id;
      expectProblem(await api(stack, 'GET', `/api/cases/${otherCase}`, { token: staff }), 403, { detail: /does not cover station elsewhere/, titled: true });
    });
  });

  describe('when no worker is running', () => {
    it('loses no opening (503 with the case id, opened once a worker returns) and serves the read model without hanging', async () => {
      const before = await api(stack, 'POST', '/api/cases', { token: staff, body: demand() });
      await eventually(async () => (await api(stack, 'GET', `/api/cases/${before.body.id}`, { token: staff })).body.timeline?.length > 0, 15_000, 'read model');
      await stack.stopWorker();
      try {
        const ready = await api(stack, 'GET', '/readyz');
        // The server keeps a stopped worker's poller for a while; readiness may lag, the API must not.
        expect([200, 503]).toContain(ready.status);
        const t0 = Date.now();
        const known = await api(stack, 'GET', `/api/cases/${before.body.id}`, { token: staff });
        expect(known.status).toBe(200);
        expect(known.body.live).toBe(false);
        expect(Date.now() - t0).toBeLessThan(10_000);
        // No worker can put the case on record, so no 201; the start is taken, and the case id is in the problem.
        const accepted = await api(stack, 'POST', '/api/cases', { token: staff, body: demand() });
        expectProblem(accepted, 503, { detail: /no worker is answering/, titled: true });
        expect(accepted.body.type).toBe('/problems/worker-unavailable');
        expect(accepted.body.caseId).toMatch(/^QG-\d{8}-\d{4}$/);
        // Temporal took the start, so the API put the case on record itself: listed and readable during the outage.
        const pending = await api(stack, 'GET', `/api/cases/${accepted.body.caseId}`, { token: staff });
        expect(pending.status).toBe(200);
        expect(pending.body).toMatchObject({ id: accepted.body.caseId, live: false, stage: 'accept' });
        await stack.startWorker();
        const later = await eventually(async () => {
          const r = await api(stack, 'GET', `/api/cases/${accepted.body.caseId}`, { token: staff });
          return r.status === 200 && r.body.timeline.length > 0 && r;
        }, 20_000, 'the case opened while the worker was down');
        expect(later.body.live).toBe(true);
      } finally {
        if (stack.worker.getState() !== 'RUNNING') await stack.startWorker();
      }
    });
  });
});
