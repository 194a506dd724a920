import { deadlineClasses, partners, stations, subdistricts } from '../db/schema';
import { api, eventually, useStack } from './helpers/stack';
import { expectProblem } from './helpers/problems';


// Every demand comes from another resident, unless a test means the same one.
let residents = 0;
const resident = () => {
  residents += 1;
  return { name: `Resident ${residents}`, phone: `1370000${String(residents).padStart(4, '0')}`, address: `Building ${residents}` };
};
const demand = (extra: Record<string, unknown> = {}) => ({
  serviceCode: 'home-plumbing-repair',
  demand: 'Kitchen pipe leaking',
  resident: resident(),
  ...extra,
});
const inMinutes = (m: number) => new Date(Date.now() + m * 60_000).toISOString();
const homeVisit = { date: '2026-11-24', staff: ['wang'], notes: 'Lives alone on the 5th floor' };
const subsidyDocuments = ['ID card', 'household register', 'bank card'];

/** Every transition with a body that passes the edge's validation (its fate is the workflow's). */
const routes: [string, unknown][] = [
  ['acceptance', { decision: 'accept' }],
  ['diagnosis', { findings: 'Pipe corroded' }],
  ['plan', { goals: ['Fixed'], tasks: [{ title: 'Repair', assignee: { kind: 'staff', id: 'wang' }, dueAt: inMinutes(60) }] }],
  ['tasks/T1/completion', { outcome: 'done' }],
  ['pause', { reason: 'Resident travelling' }],
  ['resume', {}],
  ['closure', { resolution: 'unresolved', reason: 'Resident withdrew' }],
  ['evaluation', { rating: 'satisfied', via: 'call-back' }],
  ['deadline-extension', { clock: 'resolution', newDueAt: inMinutes(60 * 24 * 30), reason: 'Parts on order' }],
];

describe('case transitions over HTTP', () => {
  const { stack, tokens } = useStack();
  let staff: string;
  let admin: string;
  let supervisor: string;
  /** A case in stage accept for checks that stop before the workflow. */
  let c0: string;

  const post = (id: string, path: string, body: unknown, token = staff, headers?: Record<string, string>) =>
    api(stack, 'POST', `/api/cases/${id}/${path}`, { token, body, headers });
  const view = (id: string, token = staff) => api(stack, 'GET', `/api/cases/${id}`, { token });

  /** Opens a case through the API and waits until the read model has it with its commitments. */
  async function openCase(body: Record<string, unknown> = demand()): Promise<string> {
    const res = await api(stack, 'POST', '/api/cases', { token: staff, body });
    expect(res.status).toBe(201);
    await eventually(async () => {
      const r = await view(res.body.id);
      return r.status === 200 && r.body.live && r.body.timeline.length >= 2;
    }, 20_000, `case ${res.body.id} to be recorded`);
    return res.body.id;
  }

  async function timelineTypes(id: string): Promise<string[]> {
    return (await view(id, admin)).body.timeline.map((e: { type: string }) => e.type);
  }

  beforeAll(async () => {
    ({ staff, admin, supervisor } = tokens);
    const { db } = stack.database;
    await db.insert(subdistricts).values({ id: 'other-sd', name: 'Other', nameZh: '其他' });
    await db.insert(stations).values({ id: 'elsewhere', subdistrictId: 'other-sd', name: 'Elsewhere', nameZh: '别处', casePrefix: 'EW' });
    await db.insert(partners).values({ id: 'closed-shop', kind: 'service-agency', name: 'Closed Shop', nameZh: '已停业', active: false });
    // Response due 3 s after opening: a case of this class is overdue almost at once.
    await db.insert(deadlineClasses).values({
      code: 'test-fast',
      name: 'Test: three seconds',
      nameZh: '测试',
      responseGoal: 0.05,
      responseUnit: 'minutes',
      resolutionGoal: 60,
      resolutionUnit: 'minutes',
    });
    c0 = await openCase();
  });

  describe('validation at the edge: 400 with a pointer, before Temporal is asked', () => {
    it.each([
      ['acceptance', '#/decision', {}, /is required/],
      ['acceptance', '#/decision', { decision: 'maybe' }, /decision/],
      ['acceptance', '#/documents', { decision: 'accept', documents: 'ID card' }, /expected array/],
      ['acceptance', '#/documents/0', { decision: 'accept', documents: [''] }, /must not be empty/],
      ['acceptance', '#/priority', { decision: 'accept', priority: 'high' }, /unknown field "priority"/],
      ['acceptance', '#/transferTo/id', { decision: 'transfer', transferTo: { kind: 'department' } }, /is required/],
      ['acceptance', '#/transferTo/name', { decision: 'transfer', transferTo: { kind: 'agency' } }, /is required/],
      ['acceptance', '#/transferTo/kind', { decision: 'transfer', transferTo: { kind: 'moon', name: 'x' } }, /kind/],
      ['acceptance', '#/note', { decision: 'accept', note: '   ' }, /must not be empty/],
      ['diagnosis', '#/findings', {}, /is required/],
      ['diagnosis', '#/findings', { findings: 'x'.repeat(4001) }, /4000/],
      ['diagnosis', '#/homeVisit/date', { findings: 'x', homeVisit: { ...homeVisit, date: '2026-02-30' } }, /YYYY-MM-DD/],
      ['diagnosis', '#/homeVisit/staff', { findings: 'x', homeVisit: { ...homeVisit, staff: [] } }, /who visited/],
      ['diagnosis', '#/homeVisit/notes', { findings: 'x', homeVisit: { date: '2026-11-24', staff: ['wang'] } }, /is required/],
      ['plan', '#/tasks', { goals: ['x'] }, /is required/],
      ['plan', '#/goals', { goals: 'x', tasks: [] }, /expected array/],
      ['plan', '#/tasks/0/assignee/kind', { goals: [], tasks: [{ title: 't', assignee: { kind: 'robot', id: 'r2' }, dueAt: inMinutes(5) }] }, /kind/],
      ['plan', '#/tasks/0/dueAt', { goals: [], tasks: [{ title: 't', assignee: { kind: 'staff', id: 'wang' }, dueAt: '2026-12-01T10:00:00' }] }, /time zone/],
      ['plan', '#/tasks/0/assignee/id', { goals: [], tasks: [{ title: 't', assignee: { kind: 'staff', id: 'a b' }, dueAt: inMinutes(5) }] }, /an id of/],
      ['tasks/T1/completion', '#/outcome', {}, /is required/],
      ['tasks/T1/completion', '#/outcome', { outcome: 'half' }, /outcome/],
      ['tasks/T1/completion', '#/taskId', { outcome: 'done', taskId: 'T2' }, /unknown field "taskId"/],
      ['pause', '#/reason', {}, /is required/],
      ['pause', '#/reason', { reason: '  ' }, /must not be empty/],
      ['resume', '#/documents/0', { documents: [1] }, /expected string/],
      ['resume', '#/reason', { reason: 'back' }, /unknown field/],
      ['closure', '#/resolution', { resolution: 'fixed' }, /resolution/],
      ['closure', '#/certificateNo', { resolution: 'resolved', certificateNo: 'x'.repeat(51) }, /50/],
      ['closure', '#/transferTo/phone', { resolution: 'transferred', transferTo: { kind: 'department', id: 'housing', phone: '1' } }, /unknown field/],
      ['evaluation', '#/rating', { rating: 'great', via: 'app' }, /rating/],
      ['evaluation', '#/via', { rating: 'satisfied', via: 'fax' }, /via/],
      ['evaluation', '#/via', { rating: 'satisfied' }, /is required/],
      ['deadline-extension', '#/clock', { clock: 'tomorrow', newDueAt: inMinutes(60), reason: 'r' }, /response, resolution or task/],
      ['deadline-extension', '#/newDueAt', { clock: 'resolution', newDueAt: '2026-12-01', reason: 'r' }, /ISO date-time/],
      ['deadline-extension', '#/reason', { clock: 'task:T1', newDueAt: inMinutes(60) }, /is required/],
    ])('%s: %s', async (path, pointer, body, detail) => {
      const res = await post(c0, path, body, admin);
      expectProblem(res, 400, detail, pointer);
      expect(res.body.type).toBe('/problems/validation-failed');
    });

    it('400 for malformed JSON and a bad Idempotency-Key, 415 for a body that is not JSON', async () => {
      const url = `/api/cases/${c0}/pause`;
      expectProblem(await api(stack, 'POST', url, { token: staff, rawBody: '{"reason": ', headers: { 'content-type': 'application/json' } }), 400, /not valid JSON/);
      expectProblem(await api(stack, 'POST', url, { token: staff, rawBody: 'reason=x', headers: { 'content-type': 'text/plain' } }), 415, /application\/json/);
      expectProblem(await post(c0, 'pause', { reason: 'x' }, staff, { 'idempotency-key': 'has a space' }), 400, /Idempotency-Key header/);
    });

    it('a body-less resume reaches the workflow, which refuses it: 409, the case is not paused', async () => {
      const res = await api(stack, 'POST', `/api/cases/${c0}/resume`, { token: staff });
      expectProblem(res, 409, /not paused/);
      expect(res.body.type).toBe('/problems/case-conflict');
    });
  });

  describe('who may act', () => {
    it.each(routes)('%s: 401 without a token', async (path, body) => {
      expectProblem(await api(stack, 'POST', `/api/cases/${c0}/${path}`, { body }), 401, /Authentication required/);
    });

    it.each(routes)('%s: 403 for a department token', async (path, body) => {
      const department = await stack.token({ role: 'department', department: 'housing' });
      expectProblem(await post(c0, path, body, department), 403, /needs the role/);
    });

    it.each(routes.filter(([path]) => path !== 'deadline-extension'))('%s: 403 for staff of another station', async (path, body) => {
      const other = await stack.token({ role: 'staff', station: 'elsewhere', sub: 'zhou' });
      const res = await post(c0, path, body, other);
      expectProblem(res, 403, /does not cover station qianggen/);
      expect(res.body.type).toBe('/problems/forbidden-scope');
    });

    it('403 for a supervisor of another subdistrict; staff may not extend deadlines', async () => {
      const foreign = await stack.token({ role: 'supervisor', subdistrict: 'other-sd' });
      expectProblem(await post(c0, 'deadline-extension', routes[8]![1], foreign), 403, /does not cover station qianggen/);
      const res = await post(c0, 'deadline-extension', routes[8]![1], staff);
      expectProblem(res, 403, /role supervisor or admin; your token has the role staff/);
    });
  });

  describe('unknown cases and tasks', () => {
    it.each(routes)('%s: 404 for an unknown case', async (path, body) => {
      const res = await post('QG-20260101-9999', path, body, admin);
      expectProblem(res, 404, /Case QG-20260101-9999 not found/);
      expect(res.body.type).toBe('/problems/case-not-found');
    });

    it('404 for a malformed case id, an unknown task and a malformed task id', async () => {
      expectProblem(await post('not-a-case', 'pause', { reason: 'x' }), 404, /not-a-case not found/);
      const unknown = await post(c0, 'tasks/T99/completion', { outcome: 'done' });
      expectProblem(unknown, 404, /Task T99 does not exist/);
      expect(unknown.body.type).toBe('/problems/task-not-found');
      expectProblem(await post(c0, 'tasks/..%20x/completion', { outcome: 'done' }), 404, /not found/);
    });
  });

  describe('master data checked at the edge: 422 with a pointer', () => {
    it('plan tasks name an active partner and an existing department', async () => {
      const task = (kind: string, id: string) => ({ title: 'Help', assignee: { kind, id }, dueAt: inMinutes(60) });
      const res = await post(c0, 'plan', { goals: ['x'], tasks: [task('staff', 'wang'), task('partner', 'nobody'), task('department', 'nowhere'), task('partner', 'closed-shop')] });
      expectProblem(res, 422, /not an active partner \(nobody\)/);
      expect(res.body.type).toBe('/problems/unknown-reference');
      expect(res.body.errors).toEqual([
        { pointer: '#/tasks/1/assignee/id', detail: 'is not an active partner (nobody)' },
        { pointer: '#/tasks/2/assignee/id', detail: 'is not a department (nowhere)' },
        { pointer: '#/tasks/3/assignee/id', detail: 'is not an active partner (closed-shop)' },
      ]);
      // Known ones pass the edge; the workflow then refuses a plan in stage accept.
      const known = await post(c0, 'plan', { goals: ['x'], tasks: [task('partner', 'anju-repair'), task('department', 'water')] });
      expectProblem(known, 409, /in stage accept/);
    });

    it('a transfer to a department names an existing one', async () => {
      const transfer = { kind: 'department', id: 'nowhere' };
      expectProblem(await post(c0, 'acceptance', { decision: 'transfer', transferTo: transfer }), 422, /not a department/, '#/transferTo/id');
      expectProblem(await post(c0, 'closure', { resolution: 'transferred', transferTo: transfer }), 422, /not a department/, '#/transferTo/id');
    });
  });

  describe('a case through its six stages', () => {
    it('accept (documents missing: paused) → resume → diagnose → plan → execute → coordinate → close → evaluation', async () => {
      const id = await openCase(demand({ serviceCode: 'elderly-care-subsidy', demand: 'Subsidy for my mother' }));
      let v = (await view(id)).body;
      expect(v).toMatchObject({ stage: 'accept', live: true, owner: 'wang', paused: false, overdue: false, documents: [], missingDocuments: subsidyDocuments });
      expect(v.clocks.map((c: { id: string }) => c.id)).toEqual(['response', 'resolution']);
      for (const c of v.clocks) expect(c.remainingMs).toBeGreaterThan(0);
      expect(v.nextDueAt).toBe(v.clocks[0].dueAt);

      expectProblem(await post(id, 'diagnosis', { findings: 'x' }), 409, /Cannot record the diagnosis in stage accept/);
      expectProblem(await post(id, 'acceptance', { decision: 'handle-now' }), 422, /not a ready-to-handle affair/, '#/decision');

      let res = await post(id, 'acceptance', { decision: 'accept', documents: ['ID card'] });
      expect(res.status).toBe(200);
      v = res.body;
      expect(v).toMatchObject({ stage: 'diagnose', paused: true, documents: ['ID card'], missingDocuments: ['household register', 'bank card'] });
      expect(v.pause.reason).toMatch(/awaiting documents/);
      const resolution = v.clocks.find((c: { id: string }) => c.id === 'resolution');
      expect(resolution.status).toBe('paused');
      expect(resolution.remainingMs).toBeGreaterThan(0);
      expect(v.clocks.find((c: { id: string }) => c.id === 'response').status).toBe('met');

      expectProblem(await post(id, 'resume', {}), 422, /Still missing required documents/, '#/documents');
      res = await post(id, 'resume', { documents: ['household register', 'bank card'] });
      expect(res.body).toMatchObject({ paused: false, missingDocuments: [] });
      expect(res.body.pause).toBeUndefined();

      expectProblem(await post(id, 'diagnosis', { findings: 'Eligible by age' }), 422, /home visit/, '#/homeVisit');
      res = await post(id, 'diagnosis', { findings: 'Eligible by age', homeVisit });
      expect(res.body).toMatchObject({ stage: 'plan', diagnosis: { findings: 'Eligible by age', homeVisit, by: 'wang' } });

      expectProblem(await post(id, 'plan', { goals: ['Subsidy granted'], tasks: [] }), 422, /at least one task/, '#/tasks');
      res = await post(id, 'plan', {
        goals: ['Subsidy granted'],
        tasks: [
          { title: 'Submit the application', assignee: { kind: 'staff', id: 'wang' }, dueAt: inMinutes(60) },
          { title: 'Install grab bars', assignee: { kind: 'partner', id: 'anju-repair' }, dueAt: inMinutes(120) },
        ],
      });
      expect(res.status).toBe(200);
      expect(res.body.stage).toBe('execute');
      expect(res.body.plans).toEqual([expect.objectContaining({ revision: 1, goals: ['Subsidy granted'], taskIds: ['T1', 'T2'], by: 'wang' })]);
      expect(res.body.tasks.map((t: { id: string; status: string }) => [t.id, t.status])).toEqual([['T1', 'open'], ['T2', 'open']]);
      expect(res.body.clocks.map((c: { id: string }) => c.id)).toEqual(expect.arrayContaining(['task:T1', 'task:T2']));

      expectProblem(await post(id, 'tasks/T7/completion', { outcome: 'done' }), 404, /T7/);
      res = await post(id, 'tasks/T1/completion', { outcome: 'done', note: 'Submitted' });
      expect(res.body.stage).toBe('coordinate');
      expectProblem(await post(id, 'tasks/T1/completion', { outcome: 'done' }), 409, /already completed/);

      const newDueAt = inMinutes(240);
      res = await post(id, 'deadline-extension', { clock: 'task:T2', newDueAt, reason: 'Grab bars back-ordered' }, supervisor);
      expect(res.status).toBe(200);
      const t2 = res.body.clocks.find((c: { id: string }) => c.id === 'task:T2');
      expect(t2).toMatchObject({ kind: 'task', taskId: 'T2', status: 'running', extensions: [expect.objectContaining({ reason: 'Grab bars back-ordered', by: 'chen' })] });
      expect(Date.parse(t2.dueAt)).toBe(Date.parse(newDueAt));
      expectProblem(await post(id, 'deadline-extension', { clock: 'task:T2', newDueAt: inMinutes(10), reason: 'x' }, admin), 422, /later than the current/, '#/newDueAt');

      res = await post(id, 'tasks/T2/completion', { outcome: 'done' });
      expect(res.body.stage).toBe('close');
      expectProblem(await post(id, 'evaluation', { rating: 'satisfied', via: 'in-person' }), 409, /not closed yet/);

      expectProblem(await post(id, 'closure', { resolution: 'resolved', certificateNo: 'C-1' }), 422, /issues no certificate/, '#/certificateNo');
      res = await post(id, 'closure', { resolution: 'resolved', summary: 'Subsidy granted from December' });
      expect(res.body).toMatchObject({ stage: 'close', resolution: 'resolved', closure: { resolution: 'resolved', summary: 'Subsidy granted from December', by: 'wang' } });

      res = await post(id, 'evaluation', { rating: 'satisfied', via: 'in-person' });
      expect(res.body).toMatchObject({ stage: 'closed', evaluation: { rating: 'satisfied', via: 'in-person', by: 'wang' } });

      // The workflow has completed: the case is closed for good.
      const closed = await post(id, 'pause', { reason: 'x' });
      expectProblem(closed, 409, /closed for good/);
      expect(closed.body.type).toBe('/problems/case-closed');

      const timeline = (await view(id)).body.timeline as { seq: number; type: string }[];
      expect(timeline.map((e) => e.seq)).toEqual(timeline.map((_, i) => i));
      expect(timeline.map((e) => e.type)).toEqual(
        expect.arrayContaining(['case.opened', 'case.accepted', 'case.paused', 'case.resumed', 'case.diagnosed', 'plan.adopted', 'task.completed', 'commitment.extended', 'case.closed', 'case.evaluated']),
      );
      const listed = await eventually(async () => {
        const r = await api(stack, 'GET', '/api/cases?stage=closed&limit=100', { token: staff });
        return r.body.items.find((c: { id: string }) => c.id === id);
      }, 10_000, 'the closed case in the list');
      expect(listed).toMatchObject({ stage: 'closed', resolution: 'resolved', paused: false, nextDueAt: null });
    });

    it('a ready-to-handle affair (即办) passes diagnose and plan; its closure issues a certificate', async () => {
      const id = await openCase(demand({ serviceCode: 'residence-certificate', demand: 'Proof of residence for school' }));
      let res = await post(id, 'acceptance', { decision: 'handle-now' });
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ stage: 'close', plans: [], tasks: [], missingDocuments: [] });
      res = await post(id, 'closure', { resolution: 'resolved' });
      expect(res.body.closure.certificateNo).toBe(`${id}-C1`);
      // Unsatisfied within the reopen window: back to execution, waiting for a revised plan.
      res = await post(id, 'evaluation', { rating: 'unsatisfied', via: 'call-back', comment: 'Wrong address printed' });
      expect(res.body).toMatchObject({ stage: 'execute', awaitingRevision: true, resolution: null, reopenings: [expect.objectContaining({ closure: expect.objectContaining({ certificateNo: `${id}-C1` }) })] });
      expectProblem(await post(id, 'plan', { goals: ['Reissue'], tasks: [{ title: 'Reprint', assignee: { kind: 'staff', id: 'wang' }, dueAt: inMinutes(30) }] }), 422, /states why/, '#/reason');
    });

    it('refusals carry the workflow’s pointers; a transfer closes the case at once', async () => {
      const id = await openCase();
      expectProblem(await post(id, 'acceptance', { decision: 'transfer' }), 422, /names the receiving/, '#/transferTo');
      const res = await post(id, 'acceptance', { decision: 'transfer', transferTo: { kind: 'department', id: 'water' } });
      expect(res.status).toBe(200);
      // The department's name is filled in from master data.
      expect(res.body.acceptance.transferTo).toEqual({ kind: 'department', id: 'water', name: 'Water Affairs' });
      expect(res.body).toMatchObject({ stage: 'closed', resolution: 'transferred' });
      expectProblem(await post(id, 'closure', { resolution: 'unresolved', reason: 'x' }), 409, /closed/);
    });
  });

  describe('Idempotency-Key on a transition', () => {
    it('a retried request answers the same state and applies once; without the key it is a new request', async () => {
      const id = await openCase();
      const headers = { 'idempotency-key': 'pause-resident-away' };
      const body = { reason: 'Resident away until Monday' };
      const [a, b] = await Promise.all([post(id, 'pause', body, staff, headers), post(id, 'pause', body, staff, headers)]);
      const c = await post(id, 'pause', body, staff, headers);
      for (const r of [a, b, c]) expect(r.status).toBe(200);
      expect(b.body.pause).toEqual(a.body.pause);
      expect(c.body.pause).toEqual(a.body.pause);
      expect((await timelineTypes(id)).filter((t) => t === 'case.paused')).toHaveLength(1);

      // The same key on another route is another change.
      const resumed = await post(id, 'resume', { note: 'back' }, staff, headers);
      expect(resumed.body.paused).toBe(false);
      // And without a key a request is a new one: the case is no longer paused… then it is paused again.
      expectProblem(await post(id, 'resume', {}), 409, /not paused/);
      expect((await post(id, 'pause', body)).status).toBe(200);
      expect((await timelineTypes(id)).filter((t) => t === 'case.paused')).toHaveLength(2);
    });
  });

  describe('when no worker answers', () => {
    it('503 worker-unavailable within the deadline; the change applies when a worker returns, and a retry with the same key applies it once', async () => {
      const id = await openCase();
      await stack.stopWorker();
      try {
        // The read model still answers, marked live: false, without the live-only parts.
        const fallback = await view(id);
        expect(fallback.status).toBe(200);
        expect(fallback.body).toMatchObject({ id, live: false, stage: 'accept', overdue: false, paused: false, resolution: null, nextDueAt: expect.any(String) });
        expect(fallback.body.clocks).toBeUndefined();
        expect(fallback.body.timeline.length).toBeGreaterThanOrEqual(2);

        const headers = { 'idempotency-key': 'pause-while-down' };
        const t0 = Date.now();
        const res = await post(id, 'pause', { reason: 'Resident in hospital' }, staff, headers);
        expect(Date.now() - t0).toBeLessThan(12_500);
        expectProblem(res, 503, /did not confirm the change within 10 s: no worker is answering/);
        expect(res.body.type).toBe('/problems/worker-unavailable');
        expect(res.headers.get('retry-after')).toBe('5');

        // Opening needs a worker to put the case on record: 503, and the same key once a worker is back gives that case.
        const opening = demand();
        const openingKey = { 'idempotency-key': 'open-while-down' };
        const notYet = await api(stack, 'POST', '/api/cases', { token: staff, body: opening, headers: openingKey });
        expectProblem(notYet, 503, /did not confirm the change within 10 s: no worker is answering/, undefined, 'worker-unavailable');

        await stack.startWorker();
        const opened = await api(stack, 'POST', '/api/cases', { token: staff, body: opening, headers: openingKey });
        expect(opened.status).toBe(201);
        expect(opened.headers.get('idempotent-replayed')).toBe('true');
        expect(notYet.body.detail).toContain(opened.body.id);
        expect((await post(opened.body.id, 'pause', { reason: 'x' })).status).toBe(200);
        // The change that timed out was not dropped: the server hands it to the worker that returns…
        await eventually(async () => (await timelineTypes(id)).includes('case.paused'), 20_000, 'the pending pause to be applied');
        // …and the retry with the same key is that same change, answered without applying it again.
        const retried = await post(id, 'pause', { reason: 'Resident in hospital' }, staff, headers);
        expect(retried.status).toBe(200);
        expect(retried.body.pause).toMatchObject({ reason: 'Resident in hospital', by: 'wang' });
        expect((await timelineTypes(id)).filter((t) => t === 'case.paused')).toHaveLength(1);
      } finally {
        if (stack.worker.getState() !== 'RUNNING') await stack.startWorker();
      }
    }, 60_000);
  });

  describe('the repeat rule (12345): the same demand while its case is open', () => {
    it('200 with the open case’s progress and Location, recorded on that case; once per Idempotency-Key', async () => {
      const first = demand();
      const id = await openCase(first);
      const again = { ...first, demand: 'Still leaking, when will someone come?', channel: 'hotline-12345' };
      const res = await api(stack, 'POST', '/api/cases', { token: staff, body: again });
      expect(res.status).toBe(200);
      expect(res.headers.get('location')).toBe(`/api/cases/${id}`);
      expect(res.body).toMatchObject({ id, repeated: true, repeatOf: id, progress: { stage: 'accept', overdue: false, nextDueAt: expect.any(String) } });

      const headers = { 'idempotency-key': 'hotline-call-2' };
      const [r1, r2] = await Promise.all([
        api(stack, 'POST', '/api/cases', { token: staff, body: again, headers }),
        api(stack, 'POST', '/api/cases', { token: staff, body: again, headers }),
      ]);
      expect([r1.status, r2.status]).toEqual([200, 200]);
      const v = (await view(id)).body;
      expect(v.repeats).toEqual([
        expect.objectContaining({ demand: again.demand, channel: 'hotline-12345', by: 'wang' }),
        expect.objectContaining({ demand: again.demand, channel: 'hotline-12345', by: 'wang' }),
      ]);
      expect(v.timeline.filter((e: { type: string }) => e.type === 'demand.repeated')).toHaveLength(2);
    });

    it('matches the resident by phone (however written), else by name and address', async () => {
      const first = demand();
      const id = await openCase(first);
      const spaced = { ...first, resident: { name: 'Someone Else', phone: first.resident.phone.replace(/(\d{3})(\d{4})(\d{4})/, '$1 $2-$3') } };
      expect((await api(stack, 'POST', '/api/cases', { token: staff, body: spaced })).body.repeatOf).toBe(id);

      const noPhone = demand({ resident: { name: 'Zhou Min', address: 'Courtyard 5' } });
      const zhou = await openCase(noPhone);
      const sameName = { ...noPhone, resident: { name: '  zhou  min ', address: 'Courtyard 5' } };
      expect((await api(stack, 'POST', '/api/cases', { token: staff, body: sameName })).body.repeatOf).toBe(zhou);

      // Another address, another phone, another catalogue item: another case.
      const otherAddress = await api(stack, 'POST', '/api/cases', { token: staff, body: { ...noPhone, resident: { name: 'Zhou Min', address: 'Courtyard 6' } } });
      expect(otherAddress.status).toBe(201);
      const otherPhone = await api(stack, 'POST', '/api/cases', { token: staff, body: { ...first, resident: { ...first.resident, phone: '13999999999' } } });
      expect(otherPhone.status).toBe(201);
      const otherItem = await api(stack, 'POST', '/api/cases', { token: staff, body: { ...first, serviceCode: 'legal-consultation' } });
      expect(otherItem.status).toBe(201);
    });

    it('newFacts opens a new case linked to the open one; a closed case is not repeated', async () => {
      const first = demand();
      const id = await openCase(first);
      const res = await api(stack, 'POST', '/api/cases', { token: staff, body: { ...first, demand: 'The pipe burst now', newFacts: true } });
      expect(res.status).toBe(201);
      expect(res.body.id).not.toBe(id);
      const linked = await eventually(async () => {
        const r = await view(res.body.id);
        return r.status === 200 && r.body;
      }, 15_000, 'the new case');
      expect(linked.relatedCaseId).toBe(id);

      const transferred = demand();
      const tid = await openCase(transferred);
      expect((await post(tid, 'acceptance', { decision: 'transfer', transferTo: { kind: 'agency', name: 'District water company' } })).status).toBe(200);
      await eventually(async () => (await view(tid)).body.stage === 'closed', 10_000, 'the transfer to close the case');
      await eventually(async () => {
        const r = await api(stack, 'GET', '/api/cases?stage=closed&limit=100', { token: staff });
        return r.body.items.some((c: { id: string }) => c.id === tid);
      }, 10_000, 'the read model to show the case closed');
      const fresh = await api(stack, 'POST', '/api/cases', { token: staff, body: transferred });
      expect(fresh.status).toBe(201);
      expect(fresh.body.id).not.toBe(tid);
    });

    it('keeps phone numbers out of the logs', async () => {
      const before = stack.logLines.length;
      const first = demand({ resident: { name: 'Qian Hong', phone: '13712345678', address: 'Courtyard 8' } });
      const id = await openCase(first);
      const res = await api(stack, 'POST', '/api/cases', { token: staff, body: first });
      expect(res.body.repeatOf).toBe(id);
      const written = stack.logLines.slice(before).join('');
      expect(written).toContain(id);
      expect(written).not.toContain('13712345678');
      expect(written).not.toContain('Qian Hong');
    });
  });

  describe('listing', () => {
    it('filters by overdue and shows each case’s progress', async () => {
      const late = await openCase(demand({ deadlineClass: 'test-fast' }));
      const onTime = await openCase();
      const overdue = await eventually(async () => {
        const r = await api(stack, 'GET', '/api/cases?overdue=true&limit=100', { token: staff });
        return r.body.items.find((c: { id: string }) => c.id === late);
      }, 20_000, 'the case to be overdue');
      expect(overdue).toMatchObject({ overdue: true, paused: false, resolution: null, nextDueAt: expect.any(String) });
      const notOverdue = await api(stack, 'GET', '/api/cases?overdue=false&limit=100', { token: staff });
      const ids = notOverdue.body.items.map((c: { id: string }) => c.id);
      expect(ids).toContain(onTime);
      expect(ids).not.toContain(late);
      expect(notOverdue.body.items.every((c: { overdue: boolean }) => !c.overdue)).toBe(true);

      const v = (await view(late)).body;
      expect(v.overdue).toBe(true);
      const response = v.clocks.find((c: { id: string }) => c.id === 'response');
      expect(response.breachedAt).toEqual(expect.any(String));
      expect(response.remainingMs).toBeLessThan(0);

      expectProblem(await api(stack, 'GET', '/api/cases?overdue=maybe', { token: staff }), 400, /overdue/);
    });
  });

  describe('OpenAPI', () => {
    it('documents every transition with its body, the case view and its problems', async () => {
      const doc = (await api(stack, 'GET', '/openapi.json')).body;
      for (const [path] of routes) {
        const key = `/api/cases/{id}/${path.replace('T1', '{taskId}')}`;
        expect(doc.paths[key]?.post).toBeDefined();
        const op = doc.paths[key].post;
        expect(op.requestBody.content['application/json'].schema.$ref).toMatch(/^#\/components\/schemas\//);
        expect(op.responses['200'].content['application/json'].schema.$ref).toBe('#/components/schemas/CaseView');
        expect(Object.keys(op.responses)).toEqual(expect.arrayContaining(['400', '401', '403', '404', '409', '422', '503']));
      }
      expect(doc.paths['/api/cases'].post.responses['200'].content['application/json'].schema.$ref).toBe('#/components/schemas/RepeatedDemand');
      expect(Object.keys(doc.components.schemas.CaseView.properties)).toEqual(
        expect.arrayContaining(['live', 'clocks', 'tasks', 'plans', 'missingDocuments', 'timeline', 'overdue', 'nextDueAt']),
      );
      expect(doc.components.schemas.Acceptance.required).toEqual(['decision']);
      expect(doc.paths['/api/cases'].get.parameters.map((p: { name: string }) => p.name)).toContain('overdue');
    });
  });
});
