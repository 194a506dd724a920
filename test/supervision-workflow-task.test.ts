import { bundleWorkflowCode, type Worker, type WorkflowBundle } from '@temporalio/worker';
import { and, eq } from 'drizzle-orm';
import { caseEvents, workflowProblems } from '../db/schema';
import { caseWorkflowId } from '../temporal/client';
import { createWorker } from '../temporal/worker';
import { workflowTaskNote } from '../temporal/workflow-problems';
import { brokenHandlerMessage } from './workflows/bad-deploy';
import { expectWholeTimeline, timeline } from './helpers/cases';
import { expectProblem } from './helpers/problems';
import { api, eventually, useStack } from './helpers/stack';
import { withTemporalAway } from './helpers/temporal-away';

/**
 * "Workflow task failing" on the real stack: a case whose workflow task keeps failing is listed for
 * supervisors with its attempts, age and responsible party (the service's operators), and the reason goes
 * once the cause is fixed — by deploying the fixed code, or by an admin's reset of the case.
 *
 * How a task is made to fail, honestly: real cases are opened and accepted through the API by the real
 * worker; then that worker is stopped and a "bad deploy" takes its place — a worker whose bundle is the
 * real workflows plus test-only workflow code (test/workflows/bad-deploy.ts) that makes the case
 * workflow's diagnosis handler throw a plain Error. A diagnosis sent through the API then fails the
 * workflow task that handles it, attempt after attempt, exactly as a bug shipped in a deploy would, while
 * everything else keeps working. Fixes: the real bundle deployed again (the waiting diagnosis is then
 * handled), or a reset to before the diagnosis (the new run never sees it).
 */
describe('workflow task failing: noted by the worker, listed, fixed by a deploy or a reset', () => {
  const { stack, tokens } = useStack({}, { timeout: 120_000 });

  /** The real workflows with test-only workflow code of a bad deploy (test/workflows). */
  const bundleWith = (module: string) => {
    const noop = () => {};
    return bundleWorkflowCode({
      workflowsPath: require.resolve('../workflows'),
      workflowInterceptorModules: [require.resolve(module)],
      logger: { trace: noop, debug: noop, info: noop, warn: noop, error: console.error, log: noop },
    });
  };
  let brokenBundle: WorkflowBundle;
  let nondeterministicBundle: WorkflowBundle;
  beforeAll(async () => {
    brokenBundle = await bundleWith('./workflows/bad-deploy');
    nondeterministicBundle = await bundleWith('./workflows/nondeterministic-deploy');
  }, 180_000);

  /** The bad deploy: the stack's worker stops, a worker running the bad bundle polls the same task queue. */
  let bad: { worker: Worker; running: Promise<void> } | undefined;
  const deployBad = async (badBundle = brokenBundle) => {
    await stack.stopWorker();
    const worker = await createWorker({
      connection: stack.env.nativeConnection,
      namespace: stack.temporal.namespace,
      taskQueue: stack.temporal.taskQueue,
      payloadKeys: stack.temporal.payloadKeys,
      db: stack.database.db,
      delivery: stack.delivery,
      workflowBundle: badBundle,
    });
    bad = { worker, running: worker.run() };
  };
  /** The fix deployed: the broken worker drains and stops, a worker with the real bundle takes over. */
  const deployGood = async () => {
    if (bad) {
      if (bad.worker.getState() === 'RUNNING') bad.worker.shutdown();
      await bad.running;
      bad = undefined;
    }
    if (stack.worker.getState() !== 'RUNNING') await stack.startWorker();
  };
  afterAll(async () => {
    if (bad) await deployGood();
  });

  let residents = 0;
  const open = async () => {
    residents++;
    const res = await api(stack, 'POST', '/api/cases', {
      token: tokens.staff,
      body: { serviceCode: 'garbage-sorting-complaint', demand: 'Bins overflow', resident: { name: `Task Resident ${residents}`, phone: `1380000${String(residents).padStart(4, '0')}` } },
    });
    expect(res.status).toBe(201);
    const id = res.body.id as string;
    expect((await api(stack, 'POST', `/api/cases/${id}/acceptance`, { token: tokens.staff, body: { decision: 'accept', documents: [] } })).status).toBe(200);
    return id;
  };
  const diagnose = (id: string) => api(stack, 'POST', `/api/cases/${id}/diagnosis`, { token: tokens.staff, body: { findings: 'The bins are too few' } });

  type Reason = { reason: string; since: string; ageSeconds: number; age: string; words: string; responsible: { kind: string; id?: string }; detail: Record<string, unknown> };
  type Item = { caseId: string; stuckSince: string; reasons: Reason[] };
  const failing = async (token = tokens.supervisor) => {
    const res = await api(stack, 'GET', '/api/supervision/stuck?limit=100&reason=workflow-task-failing', { token });
    expect(res.status).toBe(200);
    return res.body.items as Item[];
  };
  const failingOf = async (id: string) => (await failing()).find((i) => i.caseId === id)?.reasons.find((r) => r.reason === 'workflow-task-failing');
  const becomesFailing = (id: string) => eventually(() => failingOf(id), 60_000, `case ${id} to be listed as workflow-task-failing`);
  const recovers = (id: string) => eventually(async () => !(await failingOf(id)), 60_000, `case ${id} to leave the list`);
  const note = async (id: string) =>
    (
      await stack.database.db
        .select()
        .from(workflowProblems)
        .where(and(eq(workflowProblems.workflowId, caseWorkflowId(id)), eq(workflowProblems.activityId, workflowTaskNote)))
    )[0];

  let healthy: string;
  beforeAll(async () => {
    healthy = await open();
  });

  it('a bad deploy: listed with its attempts, age, the operators and the failure in words; a healthy case never; gone once the fix is deployed', async () => {
    const id = await open();
    await deployBad();
    let diagnosing: ReturnType<typeof diagnose> | undefined;
    try {
      diagnosing = diagnose(id);
      const r = await becomesFailing(id);
      const startedAt = Date.now();
      expect(r.responsible).toEqual({ kind: 'operator' });
      expect(r.detail).toMatchObject({ workflowId: caseWorkflowId(id), activityType: 'workflow-task', lastFailure: `Error: ${brokenHandlerMessage}` });
      expect(r.detail.attempt).toBeGreaterThanOrEqual(2);
      // The failure in words: its type and message, never its stack.
      expect(String(r.detail.lastFailure)).not.toMatch(/\n|\bat /);
      expect(r.words).toBe(`the worker cannot make progress on the case: its workflow task has failed ${String(r.detail.attempt)} attempts: Error: ${brokenHandlerMessage}`);
      expect(r.ageSeconds).toBeGreaterThanOrEqual(0);
      expect(Date.parse(r.since)).toBeLessThanOrEqual(startedAt);
      // The healthy case (nothing sent to it during the bad deploy) is not listed, for any reason.
      const all = (await api(stack, 'GET', '/api/supervision/stuck?limit=100', { token: tokens.admin })).body.items as Item[];
      expect(all.map((i) => i.caseId)).not.toContain(healthy);
      // Temporal's own view of the same failure: the pending workflow task and its attempt.
      const described = await stack.client.workflow.getHandle(caseWorkflowId(id)).describe();
      expect(described.raw.pendingWorkflowTask?.attempt).toBeGreaterThanOrEqual(2);
      // The attempts keep counting while the task keeps failing (core lets later attempts time out: ~10 s apart).
      await eventually(async () => Number((await failingOf(id))?.detail.attempt) > Number(r.detail.attempt), 30_000, 'another attempt');
      // The API's caller waited its 10 s and was told to retry later.
      expect((await diagnosing).status).toBe(503);
    } finally {
      await deployGood();
    }
    // The fixed code handles the diagnosis that kept failing; the note is removed, the reason gone.
    await recovers(id);
    expect(await note(id)).toBeUndefined();
    await eventually(async () => (await api(stack, 'GET', `/api/cases/${id}`, { token: tokens.staff })).body.stage === 'plan', 30_000, 'the diagnosis to be applied');
  }, 180_000);

  it('reset by an admin: refused to others and when there is nothing to reset; resets to the last good point, audited, and the case goes on', async () => {
    const id = await open();
    await deployBad();
    let reset: Awaited<ReturnType<typeof api>>;
    const reason = 'Bad deploy 2026-12-06: reset to before the diagnosis the broken handler cannot take';
    try {
      const waiting = diagnose(id).catch((e: unknown) => e);
      await becomesFailing(id);
      const path = `/api/cases/${id}/reset`;
      // Admins only.
      expectProblem(await api(stack, 'POST', path, { token: tokens.staff, body: { reason } }), 403, /role admin/, undefined, 'forbidden-role');
      expectProblem(await api(stack, 'POST', path, { token: tokens.supervisor, body: { reason } }), 403, /role admin/, undefined, 'forbidden-role');
      expect((await api(stack, 'POST', path, { body: { reason } })).status).toBe(401);
      // A reason, as text: required, at most 500 characters, no NUL or control characters.
      expectProblem(await api(stack, 'POST', path, { token: tokens.admin, body: {} }), 400, { pointers: ['#/reason'] });
      expectProblem(await api(stack, 'POST', path, { token: tokens.admin, body: { reason: '   ' } }), 400, { pointers: ['#/reason'] });
      expectProblem(await api(stack, 'POST', path, { token: tokens.admin, body: { reason: 'x'.repeat(501) } }), 400, { pointers: ['#/reason'] });
      expectProblem(await api(stack, 'POST', path, { token: tokens.admin, body: { reason: 'bad\u0000deploy' } }), 400, { pointers: ['#/reason'] });
      expectProblem(await api(stack, 'POST', path, { token: tokens.admin, body: { reason: 'bad\u001b[31mdeploy' } }), 400, { pointers: ['#/reason'] });
      expectProblem(await api(stack, 'POST', path, { token: tokens.admin, body: { reason, extra: 1 } }), 400);
      // Unknown cases; a case whose workflow task is not failing.
      expectProblem(await api(stack, 'POST', '/api/cases/QG-20000101-0001/reset', { token: tokens.admin, body: { reason } }), 404, undefined, undefined, 'case-not-found');
      expectProblem(await api(stack, 'POST', '/api/cases/nonsense%27--/reset', { token: tokens.admin, body: { reason } }), 404);
      expectProblem(await api(stack, 'POST', `/api/cases/${healthy}/reset`, { token: tokens.admin, body: { reason } }), 409, /nothing to reset/, undefined, 'nothing-to-reset');

      reset = await api(stack, 'POST', path, { token: tokens.admin, body: { reason } });
      expect(reset.status).toBe(200);
      expect(reset.body).toMatchObject({ caseId: id, fromEventId: expect.any(Number), runId: expect.any(String), newRunId: expect.any(String), at: expect.any(String) });
      expect(reset.body.newRunId).not.toBe(reset.body.runId);
      expect(reset.body.failedAttempts).toBeGreaterThanOrEqual(2);
      // The new run, from the last good point, never sees the diagnosis: even the broken deploy runs it.
      await recovers(id);
      expect(await note(id)).toBeUndefined();
      const described = await stack.client.workflow.getHandle(caseWorkflowId(id)).describe();
      expect(described.runId).toBe(reset.body.newRunId);
      // Reset once: a second request finds nothing failing.
      expectProblem(await api(stack, 'POST', path, { token: tokens.admin, body: { reason } }), 409, undefined, undefined, 'nothing-to-reset');
    } finally {
      await deployGood();
    }
    // The case goes on: the diagnosis, sent again, is applied.
    const diagnosed = await diagnose(id);
    expect(diagnosed.status).toBe(200);
    expect(diagnosed.body.stage).toBe('plan');
    // Audited on the timeline: who (the admin's id and role), why, from which point, which runs.
    const view = (await api(stack, 'GET', `/api/cases/${id}`, { token: tokens.staff })).body;
    const audit = view.timeline.filter((e: { type: string }) => e.type === 'case.reset');
    expect(audit).toEqual([
      expect.objectContaining({
        actor: 'root',
        actorRole: 'admin',
        data: { reason, fromEventId: reset.body.fromEventId, runId: reset.body.runId, newRunId: reset.body.newRunId },
      }),
    ]);
    const rows = await stack.database.db.select().from(caseEvents).where(and(eq(caseEvents.caseId, id), eq(caseEvents.type, 'case.reset')));
    expect(rows).toHaveLength(1);
    expect(rows[0]!.eventKey).toBe(`reset:${reset.body.newRunId}`);
    // What the new run re-ran from the last good point was written once: the workflow's timeline is whole.
    const own = (await timeline(stack, id)).filter((e) => e.type !== 'case.reset');
    expectWholeTimeline(own);
    expect(own.filter((e) => e.type === 'case.accepted')).toHaveLength(1);
    expect(own.filter((e) => e.type === 'case.diagnosed')).toHaveLength(1);
  }, 180_000);

  it('reset: described in the OpenAPI document; 503 temporal-unavailable when Temporal does not answer', async () => {
    const doc = (await api(stack, 'GET', '/openapi.json')).body;
    const path = doc.paths['/api/cases/{id}/reset'].post;
    expect(path.requestBody.content['application/json'].schema).toEqual({ $ref: '#/components/schemas/CaseReset' });
    expect(doc.components.schemas.CaseReset.required).toEqual(['reason']);
    expect(path.responses['200'].content['application/json'].schema).toEqual({ $ref: '#/components/schemas/CaseResetDone' });
    expect(Object.keys(path.responses)).toEqual(expect.arrayContaining(['200', '400', '401', '403', '404', '409', '503']));

    await withTemporalAway(stack, async (down) => {
      const started = Date.now();
      const res = await api(down, 'POST', `/api/cases/${healthy}/reset`, { token: tokens.admin, body: { reason: 'Temporal is away' } });
      expectProblem(res, 503, /Temporal/, undefined, 'temporal-unavailable');
      expect(Date.now() - started).toBeLessThan(15_000);
    });
    expect(await stack.database.db.select().from(caseEvents).where(and(eq(caseEvents.caseId, healthy), eq(caseEvents.type, 'case.reset')))).toEqual([]);

    // A case whose workflow has ended has no run to reset.
    const ended = await open();
    await stack.client.workflow.getHandle(caseWorkflowId(ended)).terminate('test: the workflow ended');
    expectProblem(await api(stack, 'POST', `/api/cases/${ended}/reset`, { token: tokens.admin, body: { reason: 'Too late' } }), 409, /terminated/, undefined, 'case-workflow-ended');
  });

  it('non-determinism after a deploy (found by core, not the workflow code): listed with the error; gone once the deploy is rolled back', async () => {
    const id = await open();
    await deployBad(nondeterministicBundle);
    try {
      const waiting = diagnose(id).catch((e: unknown) => e);
      const r = await becomesFailing(id);
      expect(r.responsible).toEqual({ kind: 'operator' });
      expect(r.detail).toMatchObject({ workflowId: caseWorkflowId(id), activityType: 'workflow-task', lastFailure: expect.stringMatching(/^NondeterminismError: .*[Nn]ondeterminism/) });
      expect(r.detail.attempt).toBeGreaterThanOrEqual(2);
      // Core's own message only ([TMPRL1100] …), not its debug dump of the failure (which may hold payloads).
      expect(r.detail.lastFailure).toMatch(/^NondeterminismError: \[TMPRL1100\] Nondeterminism error: /);
      expect(r.detail.lastFailure).not.toMatch(/Failure \{|encoded_attributes|\n/);
      await waiting;
    } finally {
      await deployGood();
    }
    await recovers(id);
    expect(await note(id)).toBeUndefined();
  }, 180_000);
});
