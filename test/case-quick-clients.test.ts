import { and, eq } from 'drizzle-orm';
import { cases } from '../db/schema';
import { api, eventually, useStack } from './helpers/stack';
import { withTemporalAway } from './helpers/temporal-away';
import { keepHistory } from './helpers/histories';
import { expectProblem } from './helpers/problems';
import { caseWorkflowId } from '../temporal/client';
import { caseWorkflow } from '../workflows/case/workflow';
import { acceptUpdate, type CaseState } from '../workflows/case/messages';
import { timeline } from './helpers/cases';
import { caseInput } from './helpers/fixtures';

/**
 * Clients that do not pause: they act on a case the moment its 201 arrives, and send the same demand
 * twice at once. Issue 11 items 1, 3, 4 and 5, over real HTTP on the real dev server.
 */

let residents = 0;
const resident = () => {
  residents += 1;
  return { name: `Quick Resident ${residents}`, phone: `1360000${String(residents).padStart(4, '0')}`, address: `Lane ${residents}` };
};
const demand = (extra: Record<string, unknown> = {}) => ({ serviceCode: 'home-plumbing-repair', demand: 'Kitchen pipe leaking', resident: resident(), ...extra });

describe('quick clients', () => {
  const { stack, tokens } = useStack();
  let staff: string;

  const open = (body: unknown, headers?: Record<string, string>) => api(stack, 'POST', '/api/cases', { token: staff, body, headers });
  const post = (id: string, path: string, body: unknown, token = staff) => api(stack, 'POST', `/api/cases/${id}/${path}`, { token, body });
  const view = (id: string) => api(stack, 'GET', `/api/cases/${id}`, { token: staff });

  beforeAll(async () => {
    staff = tokens.staff;
  });

  it('a case is readable and actionable the moment its 201 arrives', async () => {
    const opened = await Promise.all(Array.from({ length: 5 }, () => open(demand())));
    for (const res of opened) expect(res.status).toBe(201);
    const reads = await Promise.all(opened.map((r) => view(r.body.id)));
    for (const r of reads) {
      expect(r.status).toBe(200);
      expect(r.body).toMatchObject({ stage: 'accept', live: true });
    }
    // Acting at once: a pause on one, straight after its 201.
    const res = await open(demand());
    expect(res.status).toBe(201);
    const paused = await post(res.body.id, 'pause', { reason: 'Resident is at the hospital' });
    expect(paused.status).toBe(200);
    expect(paused.body).toMatchObject({ paused: true, pause: { reason: 'Resident is at the hospital' } });
    // And the listing has it already.
    const list = await api(stack, 'GET', '/api/cases?limit=100', { token: staff });
    expect(list.body.items.map((c: { id: string }) => c.id)).toContain(res.body.id);
  });

  it('an acceptance right after the 201 meets the response commitment (accept and handle-now)', async () => {
    const accepted = await Promise.all(
      Array.from({ length: 4 }, async () => {
        const res = await open(demand());
        expect(res.status).toBe(201);
        const a = await post(res.body.id, 'acceptance', { decision: 'accept' });
        expect(a.status).toBe(200);
        return a.body;
      }),
    );
    for (const c of accepted) {
      const response = c.clocks.find((k: { kind: string }) => k.kind === 'response');
      expect(response).toMatchObject({ status: 'met', metAt: c.acceptance.at });
      const types = c.timeline.map((e: { type: string }) => e.type);
      expect(types.indexOf('commitments.set')).toBeGreaterThan(-1);
      expect(types.indexOf('commitments.set')).toBeLessThan(types.indexOf('case.accepted'));
    }

    const now = await open(demand({ serviceCode: 'residence-certificate' }));
    expect(now.status).toBe(201);
    const handled = await post(now.body.id, 'acceptance', { decision: 'handle-now' });
    expect(handled.status).toBe(200);
    expect(handled.body.clocks.find((k: { kind: string }) => k.kind === 'response')).toMatchObject({ status: 'met' });
    expect(handled.body.stage).toBe('close');
    // Recorded with RECORD_HISTORIES=1: the opening-first and handle-now patches, replayed in CI.
    await keepHistory(stack, stack.client.workflow.getHandle(caseWorkflowId(now.body.id)), 'case-quick-handle-now');
    await keepHistory(stack, stack.client.workflow.getHandle(caseWorkflowId(accepted[0]!.id)), 'case-quick-accept');
  });

  it('straight to Temporal: an acceptance sent together with the start meets the response commitment, after commitments.set', async () => {
    const results = await Promise.all(
      ['QG-20261201-7101', 'QG-20261201-7102', 'QG-20261201-7103'].map(async (caseId) => {
        const h = await stack.client.workflow.start(caseWorkflow, {
          taskQueue: stack.temporal.taskQueue,
          workflowId: caseWorkflowId(caseId),
          args: [caseInput(caseId, { openedAt: new Date().toISOString(), catalogue: { name: 'Plumbing', handlingMode: 'needs-documents', requiredDocuments: [], needsHomeVisit: false, issuesCertificate: false } })],
        });
        const state = (await h.executeUpdate(acceptUpdate, { args: [{ decision: 'accept', documents: [], actor: { id: 'wang', role: 'staff' } }] })) as CaseState;
        const events = await eventually(async () => {
          const t = await timeline(stack, caseId);
          return t.some((e) => e.type === 'case.accepted') && t.some((e) => e.type === 'commitments.set') && t;
        }, 20_000, 'both events');
        return { state, types: events.map((e) => e.type) };
      }),
    );
    for (const { state, types } of results) {
      expect(state.clocks!.find((c) => c.kind === 'response')).toMatchObject({ status: 'met', metAt: state.acceptance!.at });
      expect(types.indexOf('commitments.set')).toBeLessThan(types.indexOf('case.accepted'));
    }
    await keepHistory(stack, stack.client.workflow.getHandle(caseWorkflowId('QG-20261201-7101')), 'case-accept-with-start');
  });

  it('handle-now records every stage it passes the same way', async () => {
    const res = await open(demand({ serviceCode: 'legal-consultation' }));
    const handled = await post(res.body.id, 'acceptance', { decision: 'handle-now' });
    expect(handled.status).toBe(200);
    const entered = handled.body.timeline.filter((e: { type: string }) => e.type === 'stage.entered');
    const byStage = Object.fromEntries(entered.map((e: { data: { stage: string; passed?: string } }) => [e.data.stage, e.data]));
    for (const stage of ['diagnose', 'plan', 'execute', 'coordinate']) expect(byStage[stage]).toMatchObject({ stage, passed: 'handled at once' });
    expect(byStage.close).toBeDefined();
    expect(byStage.close.passed).toBeUndefined();
  });

  it('a whistle is answerable the moment its 201 arrives: check-ins and a report straight after', async () => {
    const res = await open(demand({ serviceCode: 'garbage-sorting-complaint' }));
    expect((await post(res.body.id, 'acceptance', { decision: 'accept' })).status).toBe(200);
    const blown = await post(res.body.id, 'whistles', {
      reason: 'joint-enforcement',
      urgency: 'urgent',
      summary: 'Garbage left at the north gate every night',
      departments: ['urban-management', 'housing'],
      lead: 'urban-management',
    });
    expect(blown.status).toBe(201);
    expect(blown.body).toMatchObject({ live: true, calls: [expect.objectContaining({ departmentId: 'urban-management' }), expect.objectContaining({ departmentId: 'housing' })] });
    const id = blown.body.id;
    const as = async (d: string) => stack.token({ role: 'department', department: d, sub: `${d}-duty` });
    const [lead, co] = await Promise.all([as('urban-management'), as('housing')]);
    const checkIns = await Promise.all([
      api(stack, 'POST', `/api/whistles/${id}/check-in`, { token: lead, body: {} }),
      api(stack, 'POST', `/api/whistles/${id}/check-in`, { token: co, body: {} }),
    ]);
    expect(checkIns.map((r) => r.status)).toEqual([200, 200]);
    const reported = await api(stack, 'POST', `/api/whistles/${id}/report`, { token: co, body: { outcome: 'done', note: 'Bins moved' } });
    expect(reported.status).toBe(200);
  });

  it('the same demand sent twice at once opens one case; the other is recorded on it as a repeat', async () => {
    const body = demand();
    const [a, b] = await Promise.all([open(body, { 'idempotency-key': 'window-1' }), open(body, { 'idempotency-key': 'window-2' })]);
    expect([a.status, b.status].sort()).toEqual([200, 201]);
    const created = a.status === 201 ? a : b;
    const repeat = a.status === 201 ? b : a;
    expect(repeat.body).toMatchObject({ repeated: true, repeatOf: created.body.id });
  });

  it('fifty identical demands at once open one case and link forty-nine repeats', async () => {
    const body = demand({ demand: 'Water coming through the ceiling' });
    const results = await Promise.all(Array.from({ length: 50 }, (_, i) => open(body, { 'idempotency-key': `burst-${i}` })));
    const statuses = results.map((r) => r.status);
    expect(statuses.filter((s) => s === 201)).toHaveLength(1);
    expect(statuses.filter((s) => s === 200)).toHaveLength(49);
    const id = results.find((r) => r.status === 201)!.body.id;
    for (const r of results.filter((x) => x.status === 200)) expect(r.body.repeatOf).toBe(id);
    const rows = await stack.database.db
      .select({ id: cases.id })
      .from(cases)
      .where(and(eq(cases.serviceCode, 'home-plumbing-repair'), eq(cases.demand, 'Water coming through the ceiling')));
    expect(rows).toHaveLength(1);
    const v = (await view(id)).body;
    expect(v.repeats).toHaveLength(49);
    expect(v.timeline.filter((e: { type: string }) => e.type === 'demand.repeated')).toHaveLength(49);
  });

  it('a retried opening with the same Idempotency-Key, sent concurrently, gives the same case', async () => {
    const body = demand();
    const results = await Promise.all(Array.from({ length: 5 }, () => open(body, { 'idempotency-key': 'same-call' })));
    for (const r of results) expect(r.status).toBe(201);
    expect(new Set(results.map((r) => r.body.id)).size).toBe(1);
    expect(results.filter((r) => r.headers.get('idempotent-replayed') === 'true').length).toBe(4);
  });

  it('with no worker, an opening answers 503 in the documented way; the same key after the worker returns gives the case', async () => {
    const body = demand();
    await stack.stopWorker();
    let res;
    let duplicate;
    try {
      res = await open(body, { 'idempotency-key': 'worker-away' });
      // The same demand again during the outage (no key): it finds the case the first one started.
      duplicate = await open(body);
    } finally {
      await stack.startWorker();
    }
    expectProblem(res, 503, /no worker/i, undefined, 'worker-unavailable');
    expect(res.headers.get('retry-after')).toBeTruthy();
    expectProblem(duplicate, 503, new RegExp(`Case ${res.body.caseId} did not confirm`), undefined, 'worker-unavailable');
    const again = await open(body, { 'idempotency-key': 'worker-away' });
    expect(again.status).toBe(201);
    expect((await view(again.body.id)).status).toBe(200);
    expect(again.body.id).toBe(res.body.caseId);
    expect((await post(again.body.id, 'acceptance', { decision: 'accept' })).status).toBe(200);
    // One case for the demand; the duplicate's repeat, queued during the outage, is on it once.
    const rows = await stack.database.db.select({ id: cases.id }).from(cases).where(eq(cases.resident, body.resident));
    expect(rows.map((r) => r.id)).toEqual([again.body.id]);
    await eventually(async () => (await view(again.body.id)).body.repeats?.length === 1, 20_000, 'the queued repeat');
  });

  it('with Temporal unreachable, an opening answers 503 temporal-unavailable and opens nothing', async () => {
    await withTemporalAway(stack, async (down) => {
      const body = demand();
      const res = await api(down, 'POST', '/api/cases', { token: staff, body });
      expectProblem(res, 503, /Temporal/, undefined, 'temporal-unavailable');
      expect(res.headers.get('retry-after')).toBeTruthy();
      expect(res.body.caseId).toMatch(/^QG-\d{8}-\d{4}$/);
      // Temporal never had it: nothing of this demand is in the read model.
      const rows = await stack.database.db.select({ id: cases.id }).from(cases).where(eq(cases.resident, body.resident));
      expect(rows).toEqual([]);
    });
  });
});
