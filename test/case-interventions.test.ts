import { eq } from 'drizzle-orm';
import { cases, deadlineClasses } from '../db/schema';
import { caseWorkflowId } from '../temporal/client';
import { caseStateQuery } from '../workflows/case/messages';
import { notificationsOf, timeline } from './helpers/cases';
import { keepHistory } from './helpers/histories';
import { expectProblem } from './helpers/problems';
import { api, demoTokens, eventually, useStack } from './helpers/stack';

/**
 * Supervisors' interventions through the real API, dev server and database: urge (督办), reassign and
 * withdraw. Each is accepted with its timeline entry and the supervisor as actor, refused with a clear 409
 * (or 404/422) when impossible, and closed to everyone but supervisors and admins.
 */
describe('supervisors intervene: urge, reassign, withdraw', () => {
  const { stack } = useStack({}, { timeout: 120_000 });
  let tokens: Awaited<ReturnType<typeof demoTokens>> & Record<'otherSupervisor' | 'otherStaff', string>;
  beforeAll(async () => {
    tokens = {
      ...(await demoTokens(stack)),
      otherSupervisor: await stack.token({ role: 'supervisor', subdistrict: 'other-sd', sub: 'sun' }),
      otherStaff: await stack.token({ role: 'staff', station: 'elsewhere', sub: 'zhou' }),
    };
    const classes = { responseGoal: null, responseUnit: null, resolutionGoal: 60, resolutionUnit: 'minutes' as const, escalateOnBreach: false };
    await stack.database.db.insert(deadlineClasses).values([
      { code: 'test-overdue', name: 'Test: overdue at once', nameZh: '测试', ...classes, resolutionGoal: 0.05 },
      { code: 'test-idle', name: 'Test: idle at once', nameZh: '测试', ...classes, idleAfterHours: 3 / 3600 },
    ]);
  }, 120_000);

  let residents = 0;
  const resident = () => {
    residents++;
    return { name: `Intervention Resident ${residents}`, phone: `1380000${String(residents).padStart(4, '0')}` };
  };
  /** Opens a case over HTTP as the station's staff; every test acts on it straight after the 201. */
  const open = async (body: Record<string, unknown> = {}) => {
    const res = await api(stack, 'POST', '/api/cases', {
      token: tokens.staff,
      body: { serviceCode: 'garbage-sorting-complaint', demand: 'Bins overflow', resident: resident(), ...body },
    });
    expect(res.status).toBe(201);
    return res.body.id as string;
  };
  const post = async (path: string, body: unknown, token = tokens.supervisor, headers?: Record<string, string>) => {
    const res = await api(stack, 'POST', path, { token, body, headers });
    const ok = [200, 201, 202].includes(res.status);
    expect({ path, ok, problem: ok ? undefined : res.body }).toEqual({ path, ok: true, problem: undefined });
    return res.body;
  };
  /** A case in execute with one task for the housing department. */
  const withTask = async (body: Record<string, unknown> = {}) => {
    const id = await open(body);
    await post(`/api/cases/${id}/acceptance`, { decision: 'accept', documents: [] }, tokens.staff);
    await post(`/api/cases/${id}/diagnosis`, { findings: 'The drain under the bins is blocked' }, tokens.staff);
    await post(
      `/api/cases/${id}/plan`,
      { goals: ['Bins emptied'], tasks: [{ title: 'Clear the drain', assignee: { kind: 'department', id: 'housing' }, dueAt: new Date(Date.now() + 3_600_000).toISOString() }] },
      tokens.staff,
    );
    return id;
  };
  const row = async (id: string) => (await stack.database.db.select().from(cases).where(eq(cases.id, id)))[0]!;
  const eventsOf = async (id: string, type: string) => (await timeline(stack, id)).filter((e) => e.type === type);

  describe('urge (督办)', () => {
    it("urges the owner right after the 201: timeline with the supervisor, a notice, a count; idle stays idle", async () => {
      const id = await open({ deadlineClass: 'test-idle' });
      const progressBefore = (await row(id)).lastProgressAt;
      const first = await post(`/api/cases/${id}/urge`, { target: 'owner', reason: 'The resident has called twice' });
      expect(first.urges).toEqual([expect.objectContaining({ target: 'owner', party: { kind: 'staff', id: 'wang' }, count: 1, by: 'chen', reason: 'The resident has called twice' })]);
      const second = await post(`/api/cases/${id}/urge`, { target: 'owner', reason: 'Still nothing' });
      expect(second.urges.map((u: { count: number }) => u.count)).toEqual([1, 2]);

      const urged = await eventsOf(id, 'case.urged');
      expect(urged.map((e) => [e.actor, e.actorRole, (e.data as { count: number }).count])).toEqual([
        ['chen', 'supervisor', 1],
        ['chen', 'supervisor', 2],
      ]);
      expect(urged[0]!.data).toMatchObject({ target: 'owner', party: { kind: 'staff', id: 'wang' }, reason: 'The resident has called twice' });
      const notices = (await notificationsOf(stack, id)).filter((n) => n.kind === 'case.urged');
      expect(notices.map((n) => [n.recipientKind, n.recipientId])).toEqual([
        ['staff', 'wang'],
        ['staff', 'wang'],
      ]);
      // The workflow's current details (what the Temporal UI shows beside it) say what the case waits on, and
      // nothing of the resident.
      const metadata = await stack.client.workflow.getHandle(caseWorkflowId(id)).query<{ currentDetails: string }>('__temporal_workflow_metadata');
      expect(metadata.currentDetails).toBe('Waiting for staff wang to accept the demand');
      // An urge is no progress of the case: the idle clock still counts from the opening.
      expect((await row(id)).lastProgressAt?.toISOString()).toBe(progressBefore?.toISOString());
      await eventually(async () => {
        const res = await api(stack, 'GET', '/api/supervision/stuck?reason=idle&limit=100', { token: tokens.supervisor });
        return res.body.items?.some((i: { caseId: string }) => i.caseId === id);
      }, 20_000, `${id} idle despite the urges`);
    });

    it("urges a task's assignee and a whistle's department; refuses an unknown task (404), a settled one and an uncalled department (409)", async () => {
      const id = await withTask();
      const view = await post(`/api/cases/${id}/urge`, { target: 'task', taskId: 'T1', reason: 'The drain floods the yard' });
      expect(view.urges[0]).toMatchObject({ target: 'task', taskId: 'T1', party: { kind: 'department', id: 'housing' }, count: 1 });
      expectProblem(await api(stack, 'POST', `/api/cases/${id}/urge`, { token: tokens.supervisor, body: { target: 'task', taskId: 'T9', reason: 'x' } }), 404, /T9/, undefined, 'task-not-found');
      expectProblem(
        await api(stack, 'POST', `/api/cases/${id}/urge`, { token: tokens.supervisor, body: { target: 'department', departmentId: 'water', reason: 'Please check in' } }),
        409,
        /water is not called by an open whistle/,
        undefined,
        'case-conflict',
      );

      const blown = await post(
        `/api/cases/${id}/whistles`,
        { reason: 'prominent-problem', urgency: 'urgent', summary: 'Blocked drain', location: 'North gate', departments: ['housing', 'water'], lead: 'housing' },
        tokens.staff,
      );
      const urged = await post(`/api/cases/${id}/urge`, { target: 'department', departmentId: 'water', reason: 'Please check in' });
      expect(urged.urges.at(-1)).toMatchObject({ target: 'department', party: { kind: 'department', id: 'water' }, whistleId: blown.id, count: 1 });
      // housing was urged on its task already: the count is the party's on this case.
      const again = await post(`/api/cases/${id}/urge`, { target: 'department', departmentId: 'housing', reason: 'Lead, please report' });
      expect(again.urges.at(-1)).toMatchObject({ party: { kind: 'department', id: 'housing' }, whistleId: blown.id, count: 2 });

      await post(`/api/cases/${id}/tasks/T1/completion`, { outcome: 'done' }, tokens.staff);
      expectProblem(await api(stack, 'POST', `/api/cases/${id}/urge`, { token: tokens.supervisor, body: { target: 'task', taskId: 'T1', reason: 'x' } }), 409, /T1 is already completed/);
      const notices = (await notificationsOf(stack, id)).filter((n) => n.kind === 'case.urged');
      expect(notices.map((n) => n.recipientId).sort()).toEqual(['housing', 'housing', 'water']);
      // Departments see the urge in their own notices: no personal data travels with it.
      for (const n of notices) expect(JSON.stringify(n.data)).not.toMatch(/Intervention Resident|138000/);
    });

    it('refuses the bypasses of the personal-data filter in a reason to a department (422); ordinary reasons pass', async () => {
      const id = await withTask({ resident: { name: '司马光明', phone: '136 0000 0077', address: '前根胡同8号院5号楼1单元302室' } });
      const urge = (reason: string) => api(stack, 'POST', `/api/cases/${id}/urge`, { token: tokens.supervisor, body: { target: 'task', taskId: 'T1', reason } });
      const refused = ['光明还在等', '１３６００００００７７', '136\u20600000\u20600077', '住在1单元302', 'ID 11010519520315002x'];
      for (const res of await Promise.all(refused.map(urge))) expectProblem(res, 422, { type: 'personal-data', pointers: ['#/reason'] });
      expect(await eventsOf(id, 'case.urged')).toEqual([]);
      await post(`/api/cases/${id}/urge`, { target: 'task', taskId: 'T1', reason: '明天之前请处理5号楼的下水道' });
      expect(await eventsOf(id, 'case.urged')).toHaveLength(1);
    });

    it('refuses a reason that names the resident to a party outside the station (422), and hostile bodies (400)', async () => {
      const id = await withTask();
      const { name, phone } = (await row(id)).resident;
      for (const reason of [`${name} is waiting`, `call ${phone}`, 'ID 110102195203150027']) {
        expectProblem(await api(stack, 'POST', `/api/cases/${id}/urge`, { token: tokens.supervisor, body: { target: 'task', taskId: 'T1', reason } }), 422, { type: 'personal-data', pointers: ['#/reason'] });
      }
      const bad: [unknown, string][] = [
        [{ target: 'owner', reason: 'nul\u0000here' }, '#/reason'],
        [{ target: 'owner', reason: 'bell\u0007' }, '#/reason'],
        [{ target: 'owner', reason: 'x'.repeat(1001) }, '#/reason'],
        [{ target: 'owner', reason: '   ' }, '#/reason'],
        [{ target: 'owner' }, '#/reason'],
        [{ target: 'task', reason: 'which task?' }, '#/taskId'],
        [{ target: 'department', reason: 'which one?' }, '#/departmentId'],
        [{ target: 'owner', taskId: 'T1', reason: 'both' }, '#/taskId'],
        [{ target: "owner'; drop table cases; --", reason: 'x' }, '#/target'],
        [{ target: 'task', taskId: 'Ｔ１', reason: 'full-width id' }, '#/taskId'],
        [{ target: 'owner', reason: 'x', extra: 1 }, '#'],
      ];
      for (const [body, pointer] of bad) {
        const res = await api(stack, 'POST', `/api/cases/${id}/urge`, { token: tokens.supervisor, body });
        expectProblem(res, 400);
        if (pointer !== '#') expect(res.body.errors.map((e: { pointer: string }) => e.pointer)).toContain(pointer);
      }
      // The same rules for the other interventions' text and ids.
      const others: [string, unknown, string][] = [
        ['reassignment', { to: { kind: 'staff', id: 'li' }, reason: 'nul\u0000' }, '#/reason'],
        ['reassignment', { to: { kind: 'staff', id: 'l\u0000i' }, reason: 'x' }, '#/to/id'],
        ['reassignment', { to: { kind: 'robot', id: 'li' }, reason: 'x' }, '#/to/kind'],
        ['reassignment', { taskId: "T1' or 1=1 --", to: { kind: 'staff', id: 'li' }, reason: 'x' }, '#/taskId'],
        ['withdrawal', { kind: 'resident-withdrew', reason: 'y'.repeat(1001) }, '#/reason'],
        ['withdrawal', { kind: 'resident-withdrew', reason: '\u001b[31mred' }, '#/reason'],
        ['withdrawal', { kind: 'duplicate', reason: 'x', duplicateOf: 'QG-２０２６１１２３-0001' }, '#/duplicateOf'],
        ['withdrawal', { kind: 'gone', reason: 'x' }, '#/kind'],
      ];
      for (const [path, body, pointer] of others) {
        const res = await api(stack, 'POST', `/api/cases/${id}/${path}`, { token: tokens.supervisor, body });
        expectProblem(res, 400, { pointers: [pointer] });
      }
      // Text that is merely unusual is taken as sent: emoji, SQL-ish, full-width digits.
      const odd = "🙏 请尽快处理 '; select 1; -- １２３";
      const view = await post(`/api/cases/${id}/urge`, { target: 'owner', reason: odd });
      expect(view.urges.at(-1).reason).toBe(odd);
      // Nothing refused reached the case: one urge, no reassignment or withdrawal, and the case still answers at once.
      expect((await eventsOf(id, 'case.urged')).length).toBe(1);
      expect((await timeline(stack, id)).filter((e) => ['case.reassigned', 'task.reassigned', 'case.withdrawn'].includes(e.type))).toEqual([]);
    });

    it('duplicates sent at once: the same Idempotency-Key urges once; different ones count each', async () => {
      const id = await open();
      const same = await Promise.all(
        Array.from({ length: 4 }, () => api(stack, 'POST', `/api/cases/${id}/urge`, { token: tokens.supervisor, body: { target: 'owner', reason: 'Once' }, headers: { 'Idempotency-Key': 'urge-1' } })),
      );
      expect(same.map((r) => r.status)).toEqual([200, 200, 200, 200]);
      const distinct = await Promise.all(
        Array.from({ length: 3 }, () => api(stack, 'POST', `/api/cases/${id}/urge`, { token: tokens.supervisor, body: { target: 'owner', reason: 'Each' } })),
      );
      expect(distinct.map((r) => r.status)).toEqual([200, 200, 200]);
      const counts = (await eventsOf(id, 'case.urged')).map((e) => (e.data as { count: number }).count);
      expect(counts).toEqual([1, 2, 3, 4]);
    });
  });

  describe('reassign', () => {
    it("gives the case to a new owner: the commitments and the stuck list follow; refuses the same owner (409) and a non-staff owner (422)", async () => {
      const id = await open({ deadlineClass: 'test-overdue' });
      const view = await post(`/api/cases/${id}/reassignment`, { to: { kind: 'staff', id: 'li' }, reason: 'Wang is on leave' });
      expect(view.owner).toBe('li');
      const live = await stack.client.workflow.getHandle(caseWorkflowId(id)).query(caseStateQuery);
      expect(live.clocks!.find((c) => c.kind === 'resolution')!.assignee).toEqual({ kind: 'staff', id: 'li' });
      const [event] = await eventsOf(id, 'case.reassigned');
      expect(event).toMatchObject({ actor: 'chen', actorRole: 'supervisor', data: { from: 'wang', to: 'li', reason: 'Wang is on leave' } });
      expect((await row(id)).owner).toBe('li');
      expect((await notificationsOf(stack, id)).filter((n) => n.kind === 'case.reassigned').map((n) => n.recipientId)).toEqual(['li']);
      const overdue = await eventually(async () => {
        const res = await api(stack, 'GET', '/api/supervision/stuck?reason=overdue&limit=100', { token: tokens.supervisor });
        return res.body.items?.find((i: { caseId: string }) => i.caseId === id);
      }, 20_000, `${id} overdue`);
      expect(overdue.reasons[0].responsible).toMatchObject({ kind: 'staff', id: 'li' });

      expectProblem(await api(stack, 'POST', `/api/cases/${id}/reassignment`, { token: tokens.supervisor, body: { to: { kind: 'staff', id: 'li' }, reason: 'again' } }), 409, /already owns/);
      expectProblem(
        await api(stack, 'POST', `/api/cases/${id}/reassignment`, { token: tokens.supervisor, body: { to: { kind: 'department', id: 'housing' }, reason: 'x' } }),
        422,
        { pointers: ['#/to/kind'] },
      );
    });

    it("gives an open task to another assignee: both told, the clock follows; refuses unknown assignees (422) and settled tasks (409)", async () => {
      const id = await withTask();
      const view = await post(`/api/cases/${id}/reassignment`, { taskId: 'T1', to: { kind: 'department', id: 'urban-management' }, reason: 'Not housing’s drain' });
      expect(view.tasks[0]).toMatchObject({ id: 'T1', assignee: { kind: 'department', id: 'urban-management' }, status: 'open' });
      const live = await stack.client.workflow.getHandle(caseWorkflowId(id)).query(caseStateQuery);
      expect(live.clocks!.find((c) => c.id === 'task:T1')!.assignee).toEqual({ kind: 'department', id: 'urban-management' });
      const [event] = await eventsOf(id, 'task.reassigned');
      expect(event).toMatchObject({ actor: 'chen', actorRole: 'supervisor', data: { taskId: 'T1', from: { kind: 'department', id: 'housing' }, to: { kind: 'department', id: 'urban-management' } } });
      const notices = (await notificationsOf(stack, id)).map((n) => [n.kind, n.recipientId]);
      expect(notices).toEqual(expect.arrayContaining([['task.reassigned', 'housing'], ['task.assigned', 'urban-management']]));

      expectProblem(
        await api(stack, 'POST', `/api/cases/${id}/reassignment`, { token: tokens.supervisor, body: { taskId: 'T1', to: { kind: 'department', id: 'no-such-dept' }, reason: 'x' } }),
        422,
        { type: 'unknown-reference', pointers: ['#/to/id'] },
      );
      expectProblem(
        await api(stack, 'POST', `/api/cases/${id}/reassignment`, { token: tokens.supervisor, body: { taskId: 'T1', to: { kind: 'department', id: 'urban-management' }, reason: 'x' } }),
        409,
        /already assigned/,
      );
      await post(`/api/cases/${id}/tasks/T1/completion`, { outcome: 'done' }, tokens.staff);
      expectProblem(
        await api(stack, 'POST', `/api/cases/${id}/reassignment`, { token: tokens.supervisor, body: { taskId: 'T1', to: { kind: 'department', id: 'housing' }, reason: 'x' } }),
        409,
        /already completed/,
      );
    });
  });

  describe('withdraw', () => {
    it('the resident withdrew: the case ends as withdrawn, not closed unresolved; its tasks cancelled and their assignees told; nothing more is accepted', async () => {
      const id = await withTask();
      const view = await post(`/api/cases/${id}/withdrawal`, { kind: 'resident-withdrew', reason: 'The resident fixed it himself' });
      expect(view).toMatchObject({ stage: 'closed', resolution: 'withdrawn', withdrawal: { kind: 'resident-withdrew', by: 'chen' } });
      expect(view.closure).toBeUndefined();
      expect(view.tasks[0].status).toBe('cancelled');
      const types = (await timeline(stack, id)).map((e) => e.type);
      expect(types.slice(-2)).toEqual(['case.withdrawn', 'stage.entered']);
      const [event] = await eventsOf(id, 'case.withdrawn');
      expect(event).toMatchObject({ actor: 'chen', actorRole: 'supervisor', data: { kind: 'resident-withdrew', resolution: 'withdrawn', cancelledTasks: ['T1'] } });
      expect(await row(id)).toMatchObject({ stage: 'closed', resolution: 'withdrawn' });
      expect((await notificationsOf(stack, id)).filter((n) => n.kind === 'case.withdrawn').map((n) => n.recipientId)).toEqual(['housing']);
      // The workflow has ended with its own final state.
      const described = await stack.client.workflow.getHandle(caseWorkflowId(id)).describe();
      expect(described.status.name).toBe('COMPLETED');
      const listed = await api(stack, 'GET', `/api/cases/${id}`, { token: tokens.staff });
      expect(listed.body).toMatchObject({ resolution: 'withdrawn' });

      for (const [path, body] of [
        ['urge', { target: 'owner', reason: 'x' }],
        ['withdrawal', { kind: 'resident-withdrew', reason: 'again' }],
        ['pause', { reason: 'x' }],
      ] as const) {
        expectProblem(await api(stack, 'POST', `/api/cases/${id}/${path}`, { token: tokens.supervisor, body }), 409);
      }
    });

    it('a duplicate is cancelled and names its original; concurrent withdrawals: one applies, the rest are refused', async () => {
      const original = await open();
      const id = await open();
      expectProblem(await api(stack, 'POST', `/api/cases/${id}/withdrawal`, { token: tokens.supervisor, body: { kind: 'duplicate', reason: 'Same bins' } }), 422, { pointers: ['#/duplicateOf'] });
      expectProblem(await api(stack, 'POST', `/api/cases/${id}/withdrawal`, { token: tokens.supervisor, body: { kind: 'duplicate', reason: 'Same bins', duplicateOf: id } }), 422, /itself/);
      const results = await Promise.all(
        Array.from({ length: 3 }, () => api(stack, 'POST', `/api/cases/${id}/withdrawal`, { token: tokens.supervisor, body: { kind: 'duplicate', reason: 'Same bins', duplicateOf: original } })),
      );
      expect(results.map((r) => r.status).sort()).toEqual([200, 409, 409]);
      expect(results.find((r) => r.status === 200)!.body).toMatchObject({ resolution: 'cancelled', withdrawal: { kind: 'duplicate', duplicateOf: original } });
      expect((await eventsOf(id, 'case.withdrawn')).length).toBe(1);
      expect((await row(id)).resolution).toBe('cancelled');
    });

    it('refuses while a whistle is open, and once the case is closed awaiting its evaluation (409)', async () => {
      const id = await withTask();
      await post(
        `/api/cases/${id}/whistles`,
        { reason: 'prominent-problem', urgency: 'urgent', summary: 'Blocked drain', location: 'North gate', departments: ['housing'], lead: 'housing' },
        tokens.staff,
      );
      expectProblem(await api(stack, 'POST', `/api/cases/${id}/withdrawal`, { token: tokens.supervisor, body: { kind: 'resident-withdrew', reason: 'x' } }), 409, /Whistle .+ is still open/);

      const closed = await open();
      await post(`/api/cases/${closed}/acceptance`, { decision: 'accept', documents: [] }, tokens.staff);
      await post(`/api/cases/${closed}/closure`, { resolution: 'unresolved', reason: 'Out of reach' }, tokens.staff);
      expectProblem(await api(stack, 'POST', `/api/cases/${closed}/withdrawal`, { token: tokens.supervisor, body: { kind: 'resident-withdrew', reason: 'x' } }), 409, /already closed as unresolved/);
    });
  });

  it('only supervisors (in their subdistrict) and admins intervene', async () => {
    const id = await withTask();
    const bodies = {
      urge: { target: 'owner', reason: 'x' },
      reassignment: { to: { kind: 'staff', id: 'li' }, reason: 'x' },
      withdrawal: { kind: 'opened-in-error', reason: 'x' },
    };
    for (const [path, body] of Object.entries(bodies)) {
      for (const token of [tokens.staff, tokens.housing, tokens.partner]) expectProblem(await api(stack, 'POST', `/api/cases/${id}/${path}`, { token, body }), 403);
      expectProblem(await api(stack, 'POST', `/api/cases/${id}/${path}`, { body }), 401);
      const other = await api(stack, 'POST', `/api/cases/${id}/${path}`, { token: tokens.otherSupervisor, body });
      expect([403, 404]).toContain(other.status);
      expect(other.headers.get('content-type')).toMatch(/problem\+json/);
      expectProblem(await api(stack, 'POST', `/api/cases/QG-20990101-9999/${path}`, { token: tokens.supervisor, body }), 404);
    }
    expect((await timeline(stack, id)).filter((e) => ['case.urged', 'case.reassigned', 'case.withdrawn'].includes(e.type))).toEqual([]);
    // An admin may.
    const view = await post(`/api/cases/${id}/withdrawal`, bodies.withdrawal, tokens.admin);
    expect(view).toMatchObject({ resolution: 'cancelled', withdrawal: { by: 'root' } });
  });

  it('records the interventions’ histories, which replay', async () => {
    const id = await withTask();
    await post(`/api/cases/${id}/urge`, { target: 'task', taskId: 'T1', reason: 'Please hurry' });
    await post(`/api/cases/${id}/reassignment`, { taskId: 'T1', to: { kind: 'department', id: 'water' }, reason: 'Water pipes' });
    await post(`/api/cases/${id}/reassignment`, { to: { kind: 'staff', id: 'li' }, reason: 'Leave' });
    await post(`/api/cases/${id}/withdrawal`, { kind: 'resident-withdrew', reason: 'Solved' });
    await keepHistory(stack, stack.client.workflow.getHandle(caseWorkflowId(id)), 'case-interventions');
  });
});
