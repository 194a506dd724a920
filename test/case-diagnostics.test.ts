import { sql } from 'drizzle-orm';
import { caseWorkflowId } from '../temporal/client';
import { inMinutes } from './helpers/cases';
import { addPartner } from './helpers/partners';
import { expectProblem } from './helpers/problems';
import { startReceiver, type Receiver } from './helpers/receiver';
import { api, eventually, useStack } from './helpers/stack';
import { withTemporalAway } from './helpers/temporal-away';

/**
 * GET /api/cases/{id}/diagnostics on the real stack: a fresh case's process, workflow and history; the words
 * of what it waits on as it moves; a write the database keeps refusing and a partner's webhook that keeps
 * failing, seen with their attempts and last failure; a completed case; no resident data anywhere in the answer;
 * scope, unknown and hostile ids, and Temporal away.
 */
describe('case diagnostics', () => {
  let receiver: Receiver;
  beforeAll(async () => {
    receiver = await startReceiver();
  });
  const { stack, tokens } = useStack({ delivery: { timeoutMs: 1_000, retryWindowMs: 120_000, initialIntervalMs: 200, maximumIntervalMs: 500 } }, { timeout: 120_000 });
  let more: Record<'otherStaff' | 'otherSupervisor', string>;
  beforeAll(async () => {
    more = {
      otherStaff: await stack.token({ role: 'staff', station: 'elsewhere', sub: 'zhou' }),
      otherSupervisor: await stack.token({ role: 'supervisor', subdistrict: 'other-sd', sub: 'sun' }),
    };
    receiver.script('/hooks/flaky', Array(1000).fill(503));
    await addPartner(stack, 'flaky', [{ type: 'webhook', url: receiver.url('/hooks/flaky') }]);
  }, 60_000);
  afterAll(async () => {
    await receiver?.close();
  });

  /** The resident's personal data and the demand: none of it may appear in a diagnostics answer. */
  let residents = 0;
  const personal = () => {
    residents++;
    return {
      name: `Ouyang Diagnostica ${residents}`,
      phone: `1391111${String(residents).padStart(4, '0')}`,
      address: `Flat ${residents}, Courtyard of the Quiet Well`,
      demand: `Rain pours through the bedroom ceiling of resident number ${residents}`,
    };
  };
  const open = async (p: ReturnType<typeof personal>, body: Record<string, unknown> = {}) => {
    const res = await api(stack, 'POST', '/api/cases', {
      token: tokens.staff,
      body: { serviceCode: 'garbage-sorting-complaint', demand: p.demand, resident: { name: p.name, phone: p.phone, address: p.address }, ...body },
    });
    expect(res.status).toBe(201);
    return res.body.id as string;
  };
  const post = async (path: string, body: unknown, token = tokens.staff) => {
    const res = await api(stack, 'POST', path, { token, body });
    const ok = [200, 201, 202].includes(res.status);
    expect({ path, ok, problem: ok ? undefined : res.body }).toEqual({ path, ok: true, problem: undefined });
    return res.body;
  };
  const diagnostics = async (id: string, token = tokens.supervisor) => {
    const res = await api(stack, 'GET', `/api/cases/${id}/diagnostics`, { token });
    expect({ status: res.status, body: res.status === 200 ? undefined : res.body }).toEqual({ status: 200, body: undefined });
    return res.body;
  };
  const expectNothingPersonal = (body: unknown, p: ReturnType<typeof personal>, ...more: string[]) => {
    const text = JSON.stringify(body);
    for (const secret of [p.name, p.phone, p.address, p.demand, 'Ouyang', 'Quiet Well', 'bedroom ceiling', ...more]) {
      expect({ secret, found: text.includes(secret) }).toEqual({ secret, found: false });
    }
  };

  it('a fresh case, read right after the 201: its process, what it waits on, its workflow and latest events, the UI link; nothing personal', async () => {
    const p = personal();
    const id = await open(p);
    const d = await diagnostics(id, tokens.staff);

    expect(d.case).toEqual({ id, stationId: 'qianggen', stage: 'accept', status: 'open', resolution: null, overdue: false, updatedAt: expect.any(String) });
    expect(d.live).toMatchObject({ stage: 'accept', paused: null, awaitingRevision: false, resolution: null, evaluated: false, openTasks: [], escalations: [], unreachable: [], projectionFailures: 0, runs: 0 });
    expect(d.live.commitments.map((c: { id: string }) => c.id)).toContain('resolution');
    for (const c of d.live.commitments) {
      expect(c).toMatchObject({ status: 'running', breached: false, assignee: { kind: 'staff', id: 'wang' }, dueAt: expect.any(String) });
    }
    expect(d.waitingOn).toEqual({ words: 'Waiting for staff wang to accept the demand', on: [{ kind: 'staff', id: 'wang' }] });

    expect(d.workflow).toMatchObject({ workflowId: caseWorkflowId(id), type: 'caseWorkflow', status: 'RUNNING', closeTime: null, pendingActivities: [] });
    expect(d.workflow.runId).toMatch(/^[0-9a-f-]{36}$/);
    expect(d.workflow.historyLength).toBeGreaterThan(3);
    expect(Date.parse(d.workflow.startTime)).toBeLessThanOrEqual(Date.now());
    // A workflow task may be under way right after the 201 (the case's writes), never a failing one.
    if (d.workflow.pendingWorkflowTask !== null) expect(d.workflow.pendingWorkflowTask.attempt).toBe(1);

    const events = d.recentEvents as { eventId: number; eventTime: string; eventType: string; failure?: string }[];
    expect(events.length).toBe(Math.min(20, events[0]!.eventId));
    for (const e of events) {
      expect(e.eventType).toMatch(/^[A-Z][A-Za-z]+$/);
      expect(Date.parse(e.eventTime)).not.toBeNaN();
      expect(Object.keys(e).sort()).toEqual(expect.arrayContaining(['eventId', 'eventTime', 'eventType']));
    }
    if (events[0]!.eventId <= 20) expect(events.at(-1)).toMatchObject({ eventId: 1, eventType: 'WorkflowExecutionStarted' });
    // The latest events, one after another (the whole history is never read: only one page of it).
    expect(events.map((e, i) => e.eventId + i)).toEqual(events.map(() => events[0]!.eventId));
    expect(events[0]!.eventId).toBeGreaterThanOrEqual(d.workflow.historyLength);
    expect(events.map((e) => e.eventType)).toContain('WorkflowExecutionUpdateCompleted');

    const view = (await api(stack, 'GET', `/api/cases/${id}`, { token: tokens.staff })).body;
    expect(d.links).toEqual({ case: `/api/cases/${id}`, temporalUi: view.links.temporalUi });
    expect(d.links.temporalUi).toBe(`http://localhost:8233/namespaces/default/workflows/${encodeURIComponent(caseWorkflowId(id))}`);
    expect(d.retryingActivities).toEqual([]);
    expectNothingPersonal(d, p);
    // The case view does carry them: the test's secrets are where they should be, and only there.
    expect(JSON.stringify(view)).toContain(p.name);
  });

  it('the words follow the case: accepted, paused for the resident (never the reason), resumed, planned with a partner task', async () => {
    const p = personal();
    const id = await open(p);
    await post(`/api/cases/${id}/acceptance`, { decision: 'accept', documents: [] });
    expect((await diagnostics(id)).waitingOn).toEqual({ words: 'Waiting for staff wang to diagnose the demand', on: [{ kind: 'staff', id: 'wang' }] });

    const reason = `${p.name} is in hospital; call ${p.phone} next week`;
    const paused = await post(`/api/cases/${id}/pause`, { reason });
    let d = await diagnostics(id);
    expect(d.case.status).toBe('paused');
    expect(d.live.paused).toEqual({ since: paused.pause.since, by: 'wang' });
    expect(d.waitingOn.words).toBe(`Paused for the resident since ${new Date(paused.pause.since).toISOString().replace(/\.\d{3}Z$/, 'Z')}; staff wang follows up`);
    expect(d.waitingOn.on).toEqual([{ kind: 'resident' }, { kind: 'staff', id: 'wang' }]);
    expectNothingPersonal(d, p, reason, 'hospital');

    await post(`/api/cases/${id}/resume`, { note: `${p.name} brought the photos` });
    await post(`/api/cases/${id}/diagnosis`, { findings: `The roof of ${p.address} leaks` });
    const dueAt = inMinutes(240);
    await post(`/api/cases/${id}/plan`, { goals: ['Roof sealed'], tasks: [{ title: `Seal the roof at ${p.address}`, assignee: { kind: 'partner', id: 'anju-repair' }, dueAt }] });
    d = await eventually(async () => {
      const x = await diagnostics(id);
      return x.live.stage === 'coordinate' && x;
    }, 15_000, 'the case to wait in coordinate');
    expect(d.case.stage).toBe('coordinate');
    expect(d.live.openTasks).toEqual([{ id: 'T1', assignee: { kind: 'partner', id: 'anju-repair' }, dueAt: expect.any(String), accepted: false }]);
    expect(Date.parse(d.live.openTasks[0].dueAt)).toBe(Date.parse(dueAt));
    expect(d.live.commitments.map((c: { id: string }) => c.id)).toContain('task:T1');
    expect(d.waitingOn.words).toMatch(/^Waiting on task T1 \(partner anju-repair, due \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ\)$/);
    expect(d.waitingOn.on).toEqual([{ kind: 'partner', id: 'anju-repair' }]);
    expectNothingPersonal(d, p, reason, 'Seal the roof', 'brought the photos');
  });

  it('a write the database keeps refusing (55P03): the retrying local activity with its attempts and last failure; the stuck list links here; gone once it succeeds', async () => {
    const p = personal();
    const id = await open(p);
    await post(`/api/cases/${id}/acceptance`, { decision: 'accept', documents: [] });
    const { db } = stack.database;
    await db.execute(
      sql.raw(`CREATE FUNCTION test_diag_busy() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN
        IF NEW.case_id = '${id}' AND NEW.type = 'case.diagnosed' THEN RAISE EXCEPTION 'the table is busy' USING ERRCODE = '55P03'; END IF;
        RETURN NEW; END $$`),
    );
    await db.execute(sql.raw('CREATE TRIGGER test_diag_busy BEFORE INSERT ON case_events FOR EACH ROW EXECUTE FUNCTION test_diag_busy()'));
    const diagnosing = api(stack, 'POST', `/api/cases/${id}/diagnosis`, { token: tokens.staff, body: { findings: `Roof of ${p.address}` } });
    try {
      const d = await eventually(async () => {
        const x = await diagnostics(id);
        return x.retryingActivities.some((r: { attempt: number }) => r.attempt >= 3) && x;
      }, 45_000, 'the write to be noted as retrying');
      const [r] = d.retryingActivities;
      expect(r).toMatchObject({ workflowId: caseWorkflowId(id), activityType: 'recordCaseChanges', local: true, lastFailure: expect.stringMatching(/SQLSTATE 55P03/) });
      expect(r.attempt).toBeGreaterThanOrEqual(3);
      expect(Date.parse(r.firstFailedAt)).toBeLessThanOrEqual(Date.parse(r.lastFailedAt));
      expect(d.workflow.status).toBe('RUNNING');
      expectNothingPersonal(d, p);

      // The stuck list names it and links to this very answer.
      const stuck = await eventually(async () => {
        const res = await api(stack, 'GET', '/api/supervision/stuck?limit=100&reason=activity-retrying', { token: tokens.supervisor });
        return res.body.items?.find((i: { caseId: string }) => i.caseId === id);
      }, 30_000, 'the case in the stuck list');
      expect(stuck.links.diagnostics).toBe(`/api/cases/${id}/diagnostics`);
      expect((await api(stack, 'GET', stuck.links.diagnostics, { token: tokens.supervisor })).status).toBe(200);
    } finally {
      await db.execute(sql.raw('DROP TRIGGER test_diag_busy ON case_events'));
      await db.execute(sql.raw('DROP FUNCTION test_diag_busy()'));
    }
    expect([200, 503]).toContain((await diagnosing).status);
    const after = await eventually(async () => {
      const x = await diagnostics(id);
      return x.retryingActivities.length === 0 && x.live?.stage === 'plan' && x;
    }, 90_000, 'the write to succeed');
    expect(after.waitingOn.words).toBe('Waiting for the plan (staff wang)');
  }, 150_000);

  it("a partner's webhook that keeps failing: its delivery's activity retrying, with attempts and the HTTP status", async () => {
    const p = personal();
    const id = await open(p);
    await post(`/api/cases/${id}/acceptance`, { decision: 'accept', documents: [] });
    await post(`/api/cases/${id}/diagnosis`, { findings: 'Bins too few' });
    await post(`/api/cases/${id}/plan`, { goals: ['Bins emptied'], tasks: [{ title: 'Add bins', assignee: { kind: 'partner', id: 'flaky' }, dueAt: inMinutes(240) }] });
    const d = await eventually(async () => {
      const x = await diagnostics(id);
      return x.retryingActivities.some((r: { activityType: string; attempt: number }) => r.activityType === 'deliverByWebhook' && r.attempt >= 2) && x;
    }, 45_000, 'the delivery to be noted as retrying');
    const r = d.retryingActivities.find((x: { activityType: string }) => x.activityType === 'deliverByWebhook');
    expect(r).toMatchObject({ workflowId: expect.stringMatching(/^notification-[0-9a-f-]{36}$/), local: false, lastFailure: expect.stringMatching(/503/) });
    expectNothingPersonal(d, p);
  }, 90_000);

  it('a case whose workflow completed still answers: COMPLETED, nothing pending, waiting on nobody', async () => {
    const p = personal();
    const id = await open(p, { serviceCode: 'legal-consultation' });
    await post(`/api/cases/${id}/acceptance`, { decision: 'handle-now', documents: [] });
    await post(`/api/cases/${id}/closure`, { resolution: 'resolved', summary: `Advice given to ${p.name}` });
    await post(`/api/cases/${id}/evaluation`, { rating: 'satisfied', via: 'in-person', comment: `${p.name} is happy` });
    const d = await eventually(async () => {
      const x = await diagnostics(id);
      return x.workflow?.status === 'COMPLETED' && x.case.stage === 'closed' && x;
    }, 20_000, 'the workflow to complete');
    expect(d.case).toMatchObject({ id, stage: 'closed', status: 'closed', resolution: 'resolved' });
    expect(d.workflow).toMatchObject({ pendingActivities: [], pendingWorkflowTask: null, closeTime: expect.any(String) });
    expect(d.recentEvents[0].eventType).toBe('WorkflowExecutionCompleted');
    if (d.live) {
      expect(d.live).toMatchObject({ stage: 'closed', resolution: 'resolved', evaluated: true });
      expect(d.waitingOn).toEqual({ words: 'Closed as resolved; waiting on nobody', on: [{ kind: 'nobody' }] });
    }
    expectNothingPersonal(d, p, 'Advice given', 'is happy');
  });

  it('a withdrawn case: closed as withdrawn, waiting on nobody, never the reason', async () => {
    const p = personal();
    const id = await open(p);
    await post(`/api/cases/${id}/acceptance`, { decision: 'accept', documents: [] });
    await post(`/api/cases/${id}/withdrawal`, { kind: 'resident-withdrew', reason: 'The neighbours mended the roof together' }, tokens.supervisor);
    const d = await eventually(async () => {
      const x = await diagnostics(id);
      return x.workflow?.status === 'COMPLETED' && x;
    }, 20_000, 'the workflow to complete');
    expect(d.case).toMatchObject({ id, status: 'closed', resolution: 'withdrawn' });
    if (d.live) {
      expect(d.live).toMatchObject({ resolution: 'withdrawn', openTasks: [] });
      expect(d.waitingOn).toEqual({ words: expect.stringMatching(/^Withdrawn by the resident \S+; waiting on nobody$/), on: [{ kind: 'nobody' }] });
    }
    expectNothingPersonal(d, p, 'neighbours mended');
  });

  describe('who may ask, and about what', () => {
    let id: string;
    beforeAll(async () => {
      id = await open(personal());
    });

    it('staff of the station, supervisors of the subdistrict, admins; not other stations or subdistricts, departments, partners, or no token', async () => {
      for (const token of [tokens.staff, tokens.supervisor, tokens.admin]) expect((await api(stack, 'GET', `/api/cases/${id}/diagnostics`, { token })).status).toBe(200);
      expectProblem(await api(stack, 'GET', `/api/cases/${id}/diagnostics`, { token: more.otherStaff }), 403, /does not cover station qianggen/, undefined, 'forbidden-scope');
      expectProblem(await api(stack, 'GET', `/api/cases/${id}/diagnostics`, { token: more.otherSupervisor }), 403, /does not cover station qianggen/, undefined, 'forbidden-scope');
      expectProblem(await api(stack, 'GET', `/api/cases/${id}/diagnostics`, { token: tokens.housing }), 403, /role/, undefined, 'forbidden-role');
      expectProblem(await api(stack, 'GET', `/api/cases/${id}/diagnostics`, { token: tokens.partner }), 403, /role/, undefined, 'forbidden-role');
      expectProblem(await api(stack, 'GET', `/api/cases/${id}/diagnostics`), 401);
    });

    it('an unknown case is 404; hostile ids are 400 or 404 problems, never 500', async () => {
      expectProblem(await api(stack, 'GET', '/api/cases/QG-20000101-9999/diagnostics', { token: tokens.admin }), 404, /Case QG-20000101-9999 not found/, undefined, 'case-not-found');
      const hostile = [
        '%00',
        `${id}%00`,
        encodeURIComponent('QG-😀'),
        encodeURIComponent('QG-２０２６１２０６-０００１'),
        encodeURIComponent("QG-1' OR '1'='1"),
        encodeURIComponent("'; DROP TABLE cases; --"),
        encodeURIComponent('\u202eQG-20261206-0001'),
        'x'.repeat(3000),
        '%E0%A4%A',
        '%2e%2e',
      ];
      for (const raw of hostile) {
        const res = await api(stack, 'GET', `/api/cases/${raw}/diagnostics`, { token: tokens.admin });
        expect({ raw, status: [400, 404].includes(res.status) }).toEqual({ raw, status: true });
        expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      }
    });

    it('is described in the OpenAPI document', async () => {
      const doc = (await api(stack, 'GET', '/openapi.json')).body;
      const path = doc.paths['/api/cases/{id}/diagnostics'];
      expect(path.get.responses['200'].content['application/json'].schema).toEqual({ $ref: '#/components/schemas/CaseDiagnostics' });
      expect(Object.keys(path.get.responses)).toEqual(expect.arrayContaining(['200', '401', '403', '404', '503']));
      expect(Object.keys(doc.components.schemas.CaseDiagnostics.properties).sort()).toEqual(
        ['case', 'links', 'live', 'recentEvents', 'retryingActivities', 'waitingOn', 'workflow'].sort(),
      );
    });

    it('with Temporal unreachable: 503 temporal-unavailable', async () => {
      await withTemporalAway(stack, async (down) => {
        const started = Date.now();
        const res = await api(down, 'GET', `/api/cases/${id}/diagnostics`, { token: tokens.supervisor });
        expectProblem(res, 503, /Temporal/, undefined, 'temporal-unavailable');
        expect(res.headers.get('retry-after')).toBeTruthy();
        expect(Date.now() - started).toBeLessThan(15_000);
      });
    });
  });
});
