import { sql } from 'drizzle-orm';
import { deadlineClasses, whistleUrgencies } from '../db/schema';
import { caseWorkflowId } from '../temporal/client';
import { inMinutes } from './helpers/cases';
import { addPartner } from './helpers/partners';
import { expectProblem } from './helpers/problems';
import { startReceiver, type Receiver } from './helpers/receiver';
import { api, demoTokens, eventually, useStack } from './helpers/stack';

/**
 * Supervision's stuck list and summary, through the real API on the real dev server: every reason the read
 * model can tell is produced for real (short deadlines, a partner that refuses every notice, a pause, a
 * closure without evaluation), listed with its age and responsible party, and gone once its cause is fixed.
 */
describe('what is stuck, why, whose move', () => {
  let receiver: Receiver;
  beforeAll(async () => {
    receiver = await startReceiver();
  });
  const { stack } = useStack(
    { delivery: { timeoutMs: 1_000, retryWindowMs: 2_000, initialIntervalMs: 200, maximumIntervalMs: 500 }, stuck: { awaitingResidentAfterMs: 2_000 } },
    { timeout: 120_000 },
  );
  let tokens: Awaited<ReturnType<typeof demoTokens>> & Record<'otherSupervisor' | 'otherStaff' | 'water', string>;
  beforeAll(async () => {
    tokens = {
      ...(await demoTokens(stack)),
      otherSupervisor: await stack.token({ role: 'supervisor', subdistrict: 'other-sd', sub: 'sun' }),
      otherStaff: await stack.token({ role: 'staff', station: 'elsewhere', sub: 'zhou' }),
      water: await stack.token({ role: 'department', department: 'water', sub: 'water-duty' }),
    };
    const classes = { responseGoal: null, responseUnit: null, resolutionGoal: 60, resolutionUnit: 'minutes' as const, escalateOnBreach: false };
    await stack.database.db.insert(deadlineClasses).values([
      // Resolution due three seconds after opening.
      { code: 'test-overdue', name: 'Test: overdue at once', nameZh: '测试', ...classes, resolutionGoal: 0.05 },
      // Idle after four seconds without a person's action.
      { code: 'test-idle', name: 'Test: idle at once', nameZh: '测试', ...classes, idleAfterHours: 4 / 3600 },
      // The call-back falls due four seconds after closure.
      { code: 'test-callback', name: 'Test: call back at once', nameZh: '测试', ...classes, callBackAfterHours: 4 / 3600, reopenWindowHours: 1 },
    ]);
    await stack.database.db
      .insert(whistleUrgencies)
      .values({ code: 'test-drill', name: 'Drill', nameZh: '演练', checkInGoal: 0.05, checkInUnit: 'minutes', reportGoal: 0.1, reportUnit: 'minutes' });
    receiver.script('/hooks/refusing', Array(50).fill(400));
    await addPartner(stack, 'refusing', [{ type: 'webhook', url: receiver.url('/hooks/refusing') }]);
  }, 120_000);
  afterAll(async () => {
    await receiver?.close();
  });

  let residents = 0;
  /** Opens a case over HTTP as the station's staff and answers its id; acted on straight after the 201. */
  const open = async (body: Record<string, unknown> = {}) => {
    residents++;
    const res = await api(stack, 'POST', '/api/cases', {
      token: tokens.staff,
      body: { serviceCode: 'garbage-sorting-complaint', demand: 'Bins overflow', resident: { name: `Stuck Resident ${residents}`, phone: `1370000${String(residents).padStart(4, '0')}` }, ...body },
    });
    expect(res.status).toBe(201);
    return res.body.id as string;
  };
  /** A POST that must succeed (200, 201 or, for a retried delivery, 202); a refusal shows its problem. */
  const post = async (path: string, body: unknown, token = tokens.staff) => {
    const res = await api(stack, 'POST', path, { token, body });
    const ok = [200, 201, 202].includes(res.status);
    expect({ path, ok, problem: ok ? undefined : res.body }).toEqual({ path, ok: true, problem: undefined });
    return res.body;
  };
  type Reason = { reason: string; since: string; ageSeconds: number; age: string; words: string; responsible: { kind: string; id?: string; name?: string }; detail: Record<string, unknown> };
  type Item = { caseId: string; stuckSince: string; reasons: Reason[]; links: { diagnostics: string } };
  const stuck = async (token = tokens.supervisor, query = '') => {
    const res = await api(stack, 'GET', `/api/supervision/stuck?limit=100${query}`, { token });
    expect(res.status).toBe(200);
    return res.body as { asOf: string; items: Item[]; nextCursor?: string };
  };
  const reasonsOf = async (caseId: string, token = tokens.supervisor) => (await stuck(token)).items.find((i) => i.caseId === caseId)?.reasons ?? [];
  const becomes = (caseId: string, reason: string, token = tokens.supervisor) =>
    eventually(async () => (await reasonsOf(caseId, token)).find((r) => r.reason === reason), 30_000, `${caseId} to be stuck as ${reason}`);
  const reasonNames = async (caseId: string) => (await reasonsOf(caseId)).map((r) => r.reason);

  let healthy: string;
  beforeAll(async () => {
    healthy = await open({ serviceCode: 'legal-consultation' });
    await post(`/api/cases/${healthy}/acceptance`, { decision: 'accept', documents: [] });
  });

  it('overdue: the commitment, since its deadline, owed by the owner; gone once a supervisor extends it', async () => {
    const id = await open({ deadlineClass: 'test-overdue' });
    await post(`/api/cases/${id}/acceptance`, { decision: 'accept', documents: [] });
    const r = await becomes(id, 'overdue');
    const view = (await api(stack, 'GET', `/api/cases/${id}`, { token: tokens.staff })).body;
    const resolution = view.clocks.find((c: { kind: string }) => c.kind === 'resolution');
    expect(r).toMatchObject({ responsible: { kind: 'staff', id: 'wang' }, detail: { commitment: 'resolution', kind: 'resolution' } });
    expect(Date.parse(r.since)).toBe(Date.parse(resolution.dueAt));
    expect(r.words).toMatch(/^the resolution commitment passed its deadline .+ ago; staff member wang owes it$/);
    expect(r.ageSeconds).toBeGreaterThanOrEqual(0);

    await post(`/api/cases/${id}/deadline-extension`, { clock: 'resolution', newDueAt: inMinutes(60), reason: 'The bins contractor comes on Monday' }, tokens.supervisor);
    expect(await reasonNames(id)).not.toContain('overdue');
  });

  it('idle: no action by a person for longer than the class allows, measured from the last one', async () => {
    const id = await open({ deadlineClass: 'test-idle' });
    const r = await becomes(id, 'idle');
    const view = (await api(stack, 'GET', `/api/cases/${id}`, { token: tokens.staff })).body;
    expect(r).toMatchObject({ responsible: { kind: 'staff', id: 'wang' }, detail: { stage: 'accept', deadlineClass: 'test-idle', idleAfterMs: 4000 } });
    expect(Date.parse(r.since)).toBe(Date.parse(view.openedAt));
    expect(r.words).toMatch(/^no progress for .+ in stage accept \(the test-idle class allows 4 s\); staff member wang owns the case$/);

    const accepted = await post(`/api/cases/${id}/acceptance`, { decision: 'accept', documents: [] });
    const acceptedAt = Date.parse(accepted.acceptance.at);
    const after = await stuck();
    const idle = after.items.find((i) => i.caseId === id)?.reasons.find((x) => x.reason === 'idle');
    // Idle again only once four seconds have passed since the acceptance, and then measured from it.
    if (Date.parse(after.asOf) - acceptedAt < 4000) expect(idle).toBeUndefined();
    else expect(Date.parse(idle!.since)).toBe(acceptedAt);
  });

  it('awaiting resident: paused longer than the threshold, the resident unnamed; gone on resume', async () => {
    const id = await open();
    await post(`/api/cases/${id}/acceptance`, { decision: 'accept', documents: [] });
    const paused = await post(`/api/cases/${id}/pause`, { reason: 'The resident brings the photos next week' });
    const r = await becomes(id, 'awaiting-resident');
    expect(r.responsible).toEqual({ kind: 'resident' });
    expect(Date.parse(r.since)).toBe(Date.parse(paused.pause.since));
    expect(r.words).toMatch(/^paused, waiting for the resident, for .+; staff member wang follows up$/);
    expect(JSON.stringify(r)).not.toMatch(/Stuck Resident|13700/);
    await post(`/api/cases/${id}/resume`, {});
    expect(await reasonNames(id)).not.toContain('awaiting-resident');
  });

  it('partner unreachable: the dead letter, the partner named; gone once a retry gets through', async () => {
    const id = await open();
    await post(`/api/cases/${id}/acceptance`, { decision: 'accept', documents: [] });
    await post(`/api/cases/${id}/diagnosis`, { findings: 'The bins are too few' });
    await post(`/api/cases/${id}/plan`, { goals: ['Bins emptied'], tasks: [{ title: 'Add two bins', assignee: { kind: 'partner', id: 'refusing' }, dueAt: inMinutes(240) }] });
    const r = await becomes(id, 'partner-unreachable');
    expect(r).toMatchObject({ responsible: { kind: 'partner', id: 'refusing', name: expect.any(String) }, detail: { kind: 'task.assigned', partnerId: 'refusing' } });
    expect(r.words).toMatch(/^a task\.assigned notice reached no channel of partner .+ \(refusing\); given up .+ ago$/);

    receiver.script('/hooks/refusing', Array(50).fill(200));
    await post(`/api/cases/${id}/notifications/${String(r.detail.notificationId)}/retry`, { reason: 'The partner fixed its endpoint' }, tokens.supervisor);
    await eventually(async () => !(await reasonNames(id)).includes('partner-unreachable'), 30_000, 'the retried notice to get through');
  });

  it('check-in missed, then report overdue: the department named and responsible; each gone when the department acts', async () => {
    const id = await open();
    await post(`/api/cases/${id}/acceptance`, { decision: 'accept', documents: [] });
    await post(`/api/cases/${id}/diagnosis`, { findings: 'The drain under the bins is blocked' });
    const blown = await post(`/api/cases/${id}/whistles`, {
      reason: 'prominent-problem',
      urgency: 'test-drill',
      summary: 'Blocked drain under the north gate bins',
      location: 'North gate',
      departments: ['housing'],
      lead: 'housing',
    });
    const missed = await becomes(id, 'check-in-missed');
    expect(missed).toMatchObject({ responsible: { kind: 'department', id: 'housing', name: expect.any(String) }, detail: { whistleId: blown.id, role: 'lead' } });
    expect(missed.words).toMatch(new RegExp(`^department .+ \\(housing\\) was called by whistle ${blown.id} and has not checked in`));
    // The department sees it (the reason is its own); another department does not, nor may it ask for housing's.
    expect((await reasonsOf(id, tokens.housing)).map((x) => x.reason)).toEqual(['check-in-missed']);
    expect(await reasonsOf(id, tokens.water)).toEqual([]);
    expectProblem(await api(stack, 'GET', '/api/supervision/stuck?department=housing', { token: tokens.water }), 403, /covers department water, not housing/, undefined, 'forbidden-scope');
    // The summary's cell for it: the only missed check-in, with its oldest case.
    const summary = (await api(stack, 'GET', '/api/supervision/summary?reason=check-in-missed', { token: tokens.supervisor })).body;
    expect(summary.cells).toEqual([{ reason: 'check-in-missed', stationId: 'qianggen', departmentId: 'housing', count: 1, cases: 1, oldest: { caseId: id, since: missed.since, age: expect.any(String) } }]);
    expect(summary.totals).toEqual([{ reason: 'check-in-missed', count: 1, cases: 1 }]);

    await post(`/api/whistles/${blown.id}/check-in`, {}, tokens.housing);
    expect(await reasonNames(id)).not.toContain('check-in-missed');
    const late = await becomes(id, 'report-overdue');
    expect(late).toMatchObject({ responsible: { kind: 'department', id: 'housing' }, detail: { whistleId: blown.id } });
    await post(`/api/whistles/${blown.id}/report`, { outcome: 'done', note: 'Drain cleared' }, tokens.housing);
    expect(await reasonNames(id)).not.toContain('report-overdue');
  });

  it('call-back due: closed, the evaluation not in by the call-back time; gone once it is recorded', async () => {
    const id = await open({ serviceCode: 'legal-consultation', deadlineClass: 'test-callback' });
    await post(`/api/cases/${id}/acceptance`, { decision: 'handle-now', documents: [] });
    const closed = await post(`/api/cases/${id}/closure`, { resolution: 'resolved', summary: 'Advice given at the window' });
    const r = await becomes(id, 'call-back-due');
    expect(r.responsible).toEqual({ kind: 'staff', id: 'wang' });
    expect(Date.parse(r.since)).toBe(Date.parse(closed.closure.at) + 4000);
    await post(`/api/cases/${id}/evaluation`, { rating: 'satisfied', via: 'call-back' });
    expect(await reasonNames(id)).not.toContain('call-back-due');
  });

  it('activity retrying: a write the database keeps refusing for now, with its attempts and failure; gone once it succeeds', async () => {
    const id = await open();
    await post(`/api/cases/${id}/acceptance`, { decision: 'accept', documents: [] });
    const { db } = stack.database;
    // The database refuses this case's diagnosis for now (lock not available: a transient error, retried).
    await db.execute(
      sql.raw(`CREATE FUNCTION test_busy() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN
        IF NEW.case_id = '${id}' AND NEW.type = 'case.diagnosed' THEN RAISE EXCEPTION 'the table is busy' USING ERRCODE = '55P03'; END IF;
        RETURN NEW; END $$`),
    );
    await db.execute(sql.raw('CREATE TRIGGER test_busy BEFORE INSERT ON case_events FOR EACH ROW EXECUTE FUNCTION test_busy()'));
    const diagnosing = api(stack, 'POST', `/api/cases/${id}/diagnosis`, { token: tokens.staff, body: { findings: 'The bins are too few' } });
    try {
      const r = await becomes(id, 'activity-retrying');
      expect(r).toMatchObject({ responsible: { kind: 'operator' }, detail: { workflowId: caseWorkflowId(id), activityType: 'recordCaseChanges', local: true } });
      expect(r.detail.attempt).toBeGreaterThanOrEqual(3);
      expect(r.detail.lastFailure).toMatch(/SQLSTATE 55P03/);
      expect(r.words).toMatch(/^the recordCaseChanges step has failed \d+ attempts in a row since .+ ago: /);
    } finally {
      await db.execute(sql.raw('DROP TRIGGER test_busy ON case_events'));
      await db.execute(sql.raw('DROP FUNCTION test_busy()'));
    }
    // The change was kept: the write succeeds on its next attempt (the request itself may have given up waiting: 503).
    expect([200, 503]).toContain((await diagnosing).status);
    await eventually(async () => !(await reasonNames(id)).includes('activity-retrying'), 90_000, 'the write to succeed');
    const view = (await api(stack, 'GET', `/api/cases/${id}`, { token: tokens.staff })).body;
    expect(view.timeline.filter((e: { type: string }) => e.type === 'case.diagnosed')).toHaveLength(1);
  }, 120_000);

  it('a healthy case is never listed; scope: another subdistrict, another station see none of these; partners may not ask', async () => {
    const all = await stuck();
    expect(all.items.length).toBeGreaterThan(0);
    expect(all.items.map((i) => i.caseId)).not.toContain(healthy);
    expect((await stuck(tokens.admin)).items.map((i) => i.caseId)).toEqual(expect.arrayContaining(all.items.map((i) => i.caseId)));
    expect((await stuck(tokens.staff)).items.map((i) => i.caseId)).toEqual(expect.arrayContaining(all.items.map((i) => i.caseId)));
    expect((await stuck(tokens.otherSupervisor)).items).toEqual([]);
    expect((await stuck(tokens.otherStaff)).items).toEqual([]);
    const summary = await api(stack, 'GET', '/api/supervision/summary', { token: tokens.otherSupervisor });
    expect(summary.body).toMatchObject({ totals: [], cells: [] });
    expectProblem(await api(stack, 'GET', '/api/supervision/stuck', { token: tokens.partner }), 403, /role/, undefined, 'forbidden-role');
    expectProblem(await api(stack, 'GET', '/api/supervision/summary', { token: tokens.partner }), 403, /role/, undefined, 'forbidden-role');
    expectProblem(await api(stack, 'GET', '/api/supervision/stuck?station=qianggen', { token: tokens.otherSupervisor }), 403, /does not cover station qianggen/, undefined, 'forbidden-scope');
    expect((await api(stack, 'GET', '/api/supervision/stuck')).status).toBe(401);
  });

  it('pages through the stuck list oldest first, without gaps or repeats', async () => {
    const ids = [await open({ deadlineClass: 'test-overdue' }), await open({ deadlineClass: 'test-overdue' }), await open({ deadlineClass: 'test-overdue' })];
    await Promise.all(ids.map((id) => becomes(id, 'overdue')));
    const query = '&reason=overdue&category=public';
    const whole = (await stuck(tokens.supervisor, query)).items.map((i) => i.caseId);
    expect(whole).toEqual(expect.arrayContaining(ids));
    const paged: string[] = [];
    let cursor: string | undefined;
    do {
      const res = await api(stack, 'GET', `/api/supervision/stuck?limit=1${query}${cursor ? `&cursor=${cursor}` : ''}`, { token: tokens.supervisor });
      expect(res.status).toBe(200);
      expect(res.body.items.length).toBeLessThanOrEqual(1);
      paged.push(...res.body.items.map((i: Item) => i.caseId));
      cursor = res.body.nextCursor;
    } while (cursor);
    expect(paged).toEqual(whole);
    const since = (await stuck(tokens.supervisor, query)).items.map((i) => Date.parse(i.stuckSince));
    expect(since).toEqual([...since].sort((a, b) => a - b));
    // olderThan keeps only reasons older than it: none of these is a day old.
    expect((await stuck(tokens.supervisor, `${query}&olderThan=1d`)).items).toEqual([]);
  });

  it.each([
    ['reason=bogus', '#/reason/0'],
    ['reason=overdue,', '#/reason/1'],
    ['olderThan=３d', '#/olderThan'],
    ['olderThan=1y', '#/olderThan'],
    ['station=x%27%20OR%201%3D1--', '#/station'],
    ['station=%00', '#/station'],
    ['department=%F0%9F%98%80', '#/department'],
    ['category=life%3Bdrop', '#/category'],
    ['limit=0', '#/limit'],
    ['limit=１０', '#/limit'],
    ['cursor=not-a-cursor', '#/cursor'],
    ['page=2', undefined],
  ])('400 for %s', async (query, pointer) => {
    const res = await api(stack, 'GET', `/api/supervision/stuck?${query}`, { token: tokens.supervisor });
    const want = { detail: true as const, pointers: pointer ? [pointer] : undefined };
    expectProblem(res, 400, want);
    if (!query.startsWith('limit') && !query.startsWith('cursor')) expectProblem(await api(stack, 'GET', `/api/supervision/summary?${query}`, { token: tokens.supervisor }), 400, want);
  });
});
