import { and, eq } from 'drizzle-orm';
import { notifications } from '../db/schema';
import { acceptUpdate, closeUpdate } from '../workflows/case/messages';
import { act, inMinutes, notificationsOf, openCase, timeline } from './helpers/cases';
import { addPartner, caseWithTask, liveState, pushedNotice, repairCase } from './helpers/partners';
import { expectProblem } from './helpers/problems';
import { api, eventually, type Stack, useStack } from './helpers/stack';

/**
 * Partners (with their own token) and department users answer about tasks assigned to them over
 * POST /api/partner-replies: accepted, declined (back to the station) or done.
 */
describe('partner replies over HTTP', () => {
  const { stack } = useStack({}, { timeout: 120_000 });
  const tokens: Record<string, string> = {};
  /** Every reply's answer, raw: none may carry the resident's personal data. */
  const answers: string[] = [];

  const reply = async (token: string | undefined, body: unknown, headers: Record<string, string> = {}) => {
    const res = await api(stack, 'POST', '/api/partner-replies', { token, body, headers });
    answers.push(JSON.stringify(res.body ?? ''));
    return res;
  };
  /** Registers a partner (an email channel: its notices are written to the stack's mail directory) and has an admin mint its token. */
  const partnerWithToken = async (id: string) => {
    await addPartner(stack, id, [{ type: 'email', address: `desk@${id}.example` }]);
    const res = await api(stack, 'POST', `/api/partners/${id}/tokens`, { token: tokens.admin, body: {} });
    expect({ status: res.status, body: res.body }).toMatchObject({ status: 200, body: { token: expect.any(String) } });
    return res.body.token as string;
  };
  const caseView = async (caseId: string) => {
    const res = await api(stack, 'GET', `/api/cases/${caseId}`, { token: tokens.staff });
    expect(res.status).toBe(200);
    return res.body;
  };
  const eventsOf = async (caseId: string, type: string) => (await timeline(stack, caseId)).filter((e) => e.type === type);
  /** The case's events of `type`, once the read model has at least one. */
  const recorded = (caseId: string, type: string) =>
    eventually(async () => {
      const events = await eventsOf(caseId, type);
      return events.length ? events : undefined;
    }, 15_000, `${type} of ${caseId}`);
  /** The case's notice of `kind` to one recipient, once its delivery status is set. */
  const pushedTo = (caseId: string, kind: string, recipientId: string) =>
    eventually(async () => {
      const [n] = await stack.database.db
        .select()
        .from(notifications)
        .where(and(eq(notifications.caseId, caseId), eq(notifications.kind, kind), eq(notifications.recipientId, recipientId)));
      return n?.deliveryStatus ? n : undefined;
    }, 20_000, `${kind} of ${caseId} to ${recipientId}`);

  beforeAll(async () => {
    const claims: Record<string, Parameters<Stack['token']>[0]> = {
      staff: { role: 'staff', station: 'qianggen', sub: 'wang' },
      supervisor: { role: 'supervisor', subdistrict: 'xinjiekou', sub: 'chen' },
      admin: { role: 'admin', sub: 'root' },
      water: { role: 'department', department: 'water', sub: 'water-duty' },
    };
    for (const [name, c] of Object.entries(claims)) tokens[name] = await stack.token(c);
  }, 120_000);

  it("accepts a task with the partner's own token: the task shows acceptedAt, the timeline the partner; a second accept is a conflict", async () => {
    const caseId = 'QG-20261123-0660';
    const token = await partnerWithToken('pr-accept');
    const h = await caseWithTask(stack, caseId, { kind: 'partner', id: 'pr-accept' });
    await pushedNotice(stack, caseId);

    const res = await reply(token, { caseId, taskId: 'T1', status: 'accepted', note: 'On our way tomorrow morning' });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      caseId,
      stage: 'coordinate',
      task: { id: 'T1', title: 'Replace the sink trap', status: 'open', assignee: { kind: 'partner', id: 'pr-accept' }, acceptedAt: expect.any(String) },
    });
    expect(res.body.task.completedAt).toBeUndefined();

    const [accepted, ...more] = await recorded(caseId, 'task.accepted');
    expect(more).toHaveLength(0);
    expect(accepted).toMatchObject({
      actor: 'partner-pr-accept',
      actorRole: 'partner',
      data: { taskId: 'T1', assignee: { kind: 'partner', id: 'pr-accept' }, note: 'On our way tomorrow morning' },
    });

    const view = await caseView(caseId);
    expect(view.tasks).toMatchObject([{ id: 'T1', status: 'open', acceptedAt: res.body.task.acceptedAt, acceptedBy: 'partner-pr-accept' }]);
    expect((await liveState(h)).tasks![0]!.acceptedAt).toBe(res.body.task.acceptedAt);

    // The same partner through another token (another dispatcher): already accepted.
    const other = await stack.token({ role: 'partner', partner: 'pr-accept', sub: 'pr-accept-dispatcher' });
    const again = await reply(other, { caseId, taskId: 'T1', status: 'accepted' });
    expectProblem(again, 409, { type: 'case-conflict', detail: true });
    expect(again.body.detail).toMatch(/already accepted/);
    expect(await eventsOf(caseId, 'task.accepted')).toHaveLength(1);
  });

  it('completes a task with done and a note: completed by the token’s subject, and the case moves on to close', async () => {
    const caseId = 'QG-20261123-0661';
    await addPartner(stack, 'pr-done', [{ type: 'email', address: 'desk@pr-done.example' }]);
    const token = await stack.token({ role: 'partner', partner: 'pr-done', sub: 'pr-done-fitter' });
    const h = await caseWithTask(stack, caseId, { kind: 'partner', id: 'pr-done' });

    const res = await reply(token, { caseId, taskId: 'T1', status: 'done', note: 'Trap replaced, no more leak' });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      caseId,
      stage: 'close',
      task: { id: 'T1', status: 'completed', outcome: 'done', completedAt: expect.any(String), assignee: { kind: 'partner', id: 'pr-done' } },
    });

    const live = await liveState(h);
    expect(live.stage).toBe('close');
    expect(live.tasks![0]).toMatchObject({ status: 'completed', outcome: 'done', completedBy: 'pr-done-fitter', note: 'Trap replaced, no more leak' });
    const [completed] = await recorded(caseId, 'task.completed');
    expect(completed).toMatchObject({ actor: 'pr-done-fitter', actorRole: 'partner', data: { taskId: 'T1', outcome: 'done', note: 'Trap replaced, no more leak' } });
    await eventually(async () => (await caseView(caseId)).stage === 'close', 15_000, 'the read model at stage close');

    // Settled: nothing more to answer, whatever the reply.
    for (const status of ['done', 'accepted', 'declined']) {
      expectProblem(await reply(token, { caseId, taskId: 'T1', status, note: 'again' }), 409, { type: 'case-conflict', detail: true });
    }
  });

  it('declines (a note is required): the task goes back to the case owner, who is told, and a revised plan hands it to another partner', async () => {
    const caseId = 'QG-20261123-0662';
    const token = await partnerWithToken('pr-decline');
    await addPartner(stack, 'pr-second', [{ type: 'email', address: 'desk@pr-second.example' }]);
    const h = await caseWithTask(stack, caseId, { kind: 'partner', id: 'pr-decline' });
    expect((await reply(token, { caseId, taskId: 'T1', status: 'accepted' })).status).toBe(200);

    const bare = await reply(token, { caseId, taskId: 'T1', status: 'declined' });
    expectProblem(bare, 422, { type: 'case-invalid', detail: true, pointers: ['#/note'] });
    expect(await eventsOf(caseId, 'task.declined')).toHaveLength(0);

    const res = await reply(token, { caseId, taskId: 'T1', status: 'declined', note: 'No fitter free this week' });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ caseId, task: { id: 'T1', status: 'open', assignee: { kind: 'staff', id: 'wang' } } });
    // The acceptance went with the decline.
    expect(res.body.task.acceptedAt).toBeUndefined();

    const view = await caseView(caseId);
    expect(view.tasks).toHaveLength(1);
    expect(view.tasks[0]).toMatchObject({
      id: 'T1',
      status: 'open',
      assignee: { kind: 'staff', id: 'wang' },
      declines: [{ assignee: { kind: 'partner', id: 'pr-decline' }, by: 'partner-pr-decline', at: expect.any(String), note: 'No fitter free this week' }],
    });
    expect(view.tasks[0].acceptedAt).toBeUndefined();
    expect(view.tasks[0].acceptedBy).toBeUndefined();
    // The task's commitment follows the task to the owner.
    const clock = (await liveState(h)).clocks!.find((c) => c.id === 'task:T1' && c.status === 'running');
    expect(clock).toMatchObject({ assignee: { kind: 'staff', id: 'wang' } });

    const [declined] = await recorded(caseId, 'task.declined');
    expect(declined).toMatchObject({
      actor: 'partner-pr-decline',
      actorRole: 'partner',
      data: { taskId: 'T1', assignee: { kind: 'partner', id: 'pr-decline' }, note: 'No fitter free this week', returnedTo: { kind: 'staff', id: 'wang' } },
    });
    const told = await eventually(async () => (await notificationsOf(stack, caseId)).find((n) => n.kind === 'task.declined'), 15_000, 'task.declined notice');
    expect(told).toMatchObject({ recipientKind: 'staff', recipientId: 'wang', partnerId: null, deliveryStatus: null, data: { taskId: 'T1', by: { kind: 'partner', id: 'pr-decline' } } });

    // It is not the declining partner's task any more.
    expectProblem(await reply(token, { caseId, taskId: 'T1', status: 'done' }), 403, { type: 'not-task-assignee', detail: true });

    // The station revises the plan: the same task to another partner, which hears of it.
    const revised = await api(stack, 'POST', `/api/cases/${caseId}/plan`, {
      token: tokens.staff,
      body: {
        goals: ['Water tight'],
        reason: 'pr-decline has no fitter free this week',
        tasks: [{ id: 'T1', title: 'Replace the sink trap', assignee: { kind: 'partner', id: 'pr-second' }, dueAt: inMinutes(300) }],
      },
    });
    expect({ status: revised.status, body: revised.body }).toMatchObject({ status: 200, body: { tasks: [{ id: 'T1', status: 'open', assignee: { kind: 'partner', id: 'pr-second' } }] } });
    const notice = await pushedTo(caseId, 'task.assigned', 'pr-second');
    expect(notice).toMatchObject({ recipientKind: 'partner', partnerId: 'pr-second', data: { taskId: 'T1' } });

    // The new assignee takes it on; the one that declined stays on record.
    const second = await stack.token({ role: 'partner', partner: 'pr-second', sub: 'partner-pr-second' });
    const accepted = await reply(second, { caseId, taskId: 'T1', status: 'accepted' });
    expect({ status: accepted.status, body: accepted.body }).toMatchObject({ status: 200, body: { task: { assignee: { kind: 'partner', id: 'pr-second' }, acceptedAt: expect.any(String) } } });
    expect((await liveState(h)).tasks![0]!.declines).toHaveLength(1);
  });

  it('refuses replies about tasks of others (403), unknown tasks and cases (404), and tasks the case no longer runs (409)', async () => {
    const caseId = 'QG-20261123-0663';
    await addPartner(stack, 'pr-owner', [{ type: 'email', address: 'desk@pr-owner.example' }]);
    await addPartner(stack, 'pr-other', [{ type: 'email', address: 'desk@pr-other.example' }]);
    const owner = await stack.token({ role: 'partner', partner: 'pr-owner', sub: 'partner-pr-owner' });
    const other = await stack.token({ role: 'partner', partner: 'pr-other', sub: 'partner-pr-other' });
    const h = await caseWithTask(stack, caseId, { kind: 'partner', id: 'pr-owner' });

    const foreign = await reply(other, { caseId, taskId: 'T1', status: 'done' });
    expectProblem(foreign, 403, { type: 'not-task-assignee', detail: true });
    expect(foreign.body.detail).toMatch(/not assigned to partner pr-other/);
    expectProblem(await reply(owner, { caseId, taskId: 'T9', status: 'accepted' }), 404, { type: 'task-not-found', detail: true });
    expectProblem(await reply(owner, { caseId: 'QG-20261123-0699', taskId: 'T1', status: 'accepted' }), 404, { type: 'case-not-found', detail: true });

    // A case that has no plan yet has no task to answer about: the task is unknown before the stage is asked.
    const early = 'QG-20261123-0664';
    const e = await openCase(stack, early, repairCase);
    await act(e, acceptUpdate, { decision: 'accept', documents: [] });
    expectProblem(await reply(owner, { caseId: early, taskId: 'T1', status: 'accepted' }), 404, { type: 'task-not-found', detail: true });

    // Closed early (unresolved): the open task was cancelled, the case waits for the evaluation.
    await act(h, closeUpdate, { resolution: 'unresolved', reason: 'The resident moved out' });
    const closed = await reply(owner, { caseId, taskId: 'T1', status: 'done' });
    expectProblem(closed, 409, { type: 'case-conflict', detail: true });
    expect((await liveState(h)).tasks![0]!.status).toBe('cancelled');
    expect(await eventsOf(caseId, 'task.completed')).toHaveLength(0);
  });

  it("refuses a deactivated partner's token (revoked with the deactivation: 401), and mints it no new one", async () => {
    const caseId = 'QG-20261123-0665';
    const token = await partnerWithToken('pr-retired');
    await caseWithTask(stack, caseId, { kind: 'partner', id: 'pr-retired' });
    const off = await api(stack, 'DELETE', '/api/partners/pr-retired', { token: tokens.admin });
    expect({ status: off.status, body: off.body }).toMatchObject({ status: 200, body: { id: 'pr-retired', active: false } });

    expectProblem(await reply(token, { caseId, taskId: 'T1', status: 'accepted' }), 401, { detail: /has been revoked/ });
    expectProblem(await reply(token, { caseId, taskId: 'T1', status: 'done' }), 401, { detail: /has been revoked/ });
    expectProblem(await api(stack, 'POST', '/api/partners/pr-retired/tokens', { token: tokens.admin, body: {} }), 409, { type: 'partner-inactive', detail: true });
    // A token naming a partner that is not in the registry at all is refused alike.
    const ghost = await stack.token({ role: 'partner', partner: 'pr-never-registered', sub: 'ghost' });
    expectProblem(await reply(ghost, { caseId, taskId: 'T1', status: 'accepted' }), 403, { type: 'partner-inactive', detail: true });
    expect(await eventsOf(caseId, 'task.accepted')).toHaveLength(0);
  });

  it("lets a department user answer for its department's task, and only for it", async () => {
    const caseId = 'QG-20261123-0666';
    const h = await caseWithTask(stack, caseId, { kind: 'department', id: 'water' });

    const housing = await stack.token({ role: 'department', department: 'housing', sub: 'housing-duty' });
    expectProblem(await reply(housing, { caseId, taskId: 'T1', status: 'done' }), 403, { type: 'not-task-assignee', detail: true });

    const res = await reply(tokens.water, { caseId, taskId: 'T1', status: 'done', note: 'Main valve replaced' });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ caseId, stage: 'close', task: { status: 'completed', outcome: 'done', assignee: { kind: 'department', id: 'water' } } });
    expect((await liveState(h)).tasks![0]).toMatchObject({ completedBy: 'water-duty' });
    const [completed] = await recorded(caseId, 'task.completed');
    expect(completed).toMatchObject({ actor: 'water-duty', actorRole: 'department' });

    // The same department user about a partner's task.
    const partnerCase = 'QG-20261123-0667';
    await addPartner(stack, 'pr-dept-test', [{ type: 'email', address: 'desk@pr-dept-test.example' }]);
    await caseWithTask(stack, partnerCase, { kind: 'partner', id: 'pr-dept-test' });
    const foreign = await reply(tokens.water, { caseId: partnerCase, taskId: 'T1', status: 'done' });
    expectProblem(foreign, 403, { type: 'not-task-assignee', detail: true });
    expect(foreign.body.detail).toMatch(/not assigned to department water/);
  });

  it("lets a department's registry entry answer with its own partner token for the department's tasks (its notices ask it to)", async () => {
    const caseId = 'QG-20261123-0669';
    await caseWithTask(stack, 'QG-20261123-0671', { kind: 'department', id: 'water' });
    await addPartner(stack, 'pr-housing-desk', [{ type: 'email', address: 'desk@pr-housing-desk.example' }], { kind: 'department', departmentId: 'housing' });
    const minted = await api(stack, 'POST', '/api/partners/pr-housing-desk/tokens', { token: tokens.admin, body: {} });
    expect(minted.status).toBe(200);
    await caseWithTask(stack, caseId, { kind: 'department', id: 'housing' });
    // The department's notice went to its registry entry, with what a reply needs.
    const notice = await pushedTo(caseId, 'task.assigned', 'housing');
    expect(notice).toMatchObject({ recipientKind: 'department', partnerId: 'pr-housing-desk' });

    const res = await reply(minted.body.token, { caseId, taskId: 'T1', status: 'accepted' });
    expect({ status: res.status, body: res.body }).toMatchObject({ status: 200, body: { task: { assignee: { kind: 'department', id: 'housing' }, acceptedAt: expect.any(String) } } });
    const [accepted] = await recorded(caseId, 'task.accepted');
    expect(accepted).toMatchObject({ actor: 'partner-pr-housing-desk', actorRole: 'partner', data: { assignee: { kind: 'department', id: 'housing' } } });
    // It speaks for its department (and itself) only: not for another partner's task, nor another department's.
    const foreign = await reply(minted.body.token, { caseId: 'QG-20261123-0667', taskId: 'T1', status: 'accepted' });
    expectProblem(foreign, 403, { type: 'not-task-assignee', detail: true });
    const water = await reply(minted.body.token, { caseId: 'QG-20261123-0671', taskId: 'T1', status: 'accepted' });
    expectProblem(water, 403, { type: 'not-task-assignee', detail: true });
    // A task assigned to the entry itself: it answers as the partner it is.
    const own = 'QG-20261123-0670';
    await caseWithTask(stack, own, { kind: 'partner', id: 'pr-housing-desk' });
    const done = await reply(minted.body.token, { caseId: own, taskId: 'T1', status: 'done' });
    expect({ status: done.status, body: done.body }).toMatchObject({ status: 200, body: { task: { status: 'completed', assignee: { kind: 'partner', id: 'pr-housing-desk' } } } });
  });

  it('refuses other roles (403) and missing tokens (401), and validates the request (400, 415)', async () => {
    const body = { caseId: 'QG-20261123-0667', taskId: 'T1', status: 'accepted' };
    for (const role of ['staff', 'supervisor', 'admin']) {
      const res = await reply(tokens[role], body);
      expectProblem(res, 403, { type: 'forbidden-role', detail: true });
      expect(res.body.detail).toMatch(/partner or department/);
    }
    const anonymous = await reply(undefined, body);
    expectProblem(anonymous, 401, { type: 'unauthorized', detail: true });
    expect(anonymous.headers.get('www-authenticate')).toMatch(/^Bearer/);
    expectProblem(await reply('not-a-jwt', body), 401, { type: 'unauthorized', detail: true });

    const partner = await stack.token({ role: 'partner', partner: 'pr-dept-test', sub: 'partner-pr-dept-test' });
    const bad = await reply(partner, { caseId: 'case-7', taskId: 'task-1', status: 'maybe', priority: 'high' });
    expectProblem(bad, 400, { type: 'validation-failed', detail: true, pointers: ['#/caseId', '#/taskId', '#/status', '#/priority'] });
    expectProblem(await reply(partner, {}), 400, { type: 'validation-failed', detail: true, pointers: ['#/caseId', '#/taskId', '#/status'] });
    expectProblem(await reply(partner, { ...body, note: 42 }), 400, { type: 'validation-failed', detail: true, pointers: ['#/note'] });
    const text = await api(stack, 'POST', '/api/partner-replies', { token: partner, rawBody: 'accepted', headers: { 'content-type': 'text/plain' } });
    expectProblem(text, 415, { detail: true });
    const broken = await api(stack, 'POST', '/api/partner-replies', { token: partner, rawBody: '{"caseId":', headers: { 'content-type': 'application/json' } });
    expectProblem(broken, 400, { detail: true });
    expectProblem(await reply(partner, body, { 'Idempotency-Key': 'two words' }), 400, { type: 'validation-failed', detail: true });
    expect(await eventsOf('QG-20261123-0667', 'task.accepted')).toHaveLength(0);
  });

  it('applies a done reply sent twice with the same Idempotency-Key once: both answer 200', async () => {
    const caseId = 'QG-20261123-0668';
    const token = await partnerWithToken('pr-idem');
    await caseWithTask(stack, caseId, { kind: 'partner', id: 'pr-idem' });
    const body = { caseId, taskId: 'T1', status: 'done', note: 'Fixed' };
    const headers = { 'Idempotency-Key': 'pr-idem-reply-1' };

    const first = await reply(token, body, headers);
    const second = await reply(token, body, headers);
    expect(first.status).toBe(200);
    expect(second.status).toBe(200);
    expect(second.body).toEqual(first.body);
    expect(first.body.task).toMatchObject({ status: 'completed', outcome: 'done' });
    // Without the key, the retry is a new reply: the task is done already.
    expectProblem(await reply(token, body), 409, { type: 'case-conflict', detail: true });

    expect(await recorded(caseId, 'task.completed')).toHaveLength(1);
    expect((await caseView(caseId)).tasks).toMatchObject([{ id: 'T1', status: 'completed', completedBy: 'partner-pr-idem' }]);
  });

  it("never shows the resident's name or phone in a reply's answer or in the logs", async () => {
    expect(answers.length).toBeGreaterThan(20);
    const logs = stack.logLines.join('\n');
    expect(logs).toContain('partner replied');
    for (const secret of [repairCase.resident.name, repairCase.resident.phone]) {
      for (const a of answers) expect(a).not.toContain(secret);
      expect(logs).not.toContain(secret);
    }
  });
});
