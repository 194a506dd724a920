import { and, eq, inArray } from 'drizzle-orm';
import { caseEvents, deadlineClasses, stations, subdistricts } from '../db/schema';
import { batchWorkflowId, maxBatchItems } from '../workflows/batch/messages';
import { acceptUpdate } from '../workflows/case/messages';
import { act, openCase, timeline } from './helpers/cases';
import { addPartner, caseWithTask, deliveryOf, pushedNotice } from './helpers/partners';
import { startReceiver, type Receiver } from './helpers/receiver';
import { keepHistory } from './helpers/histories';
import { expectProblem } from './helpers/problems';
import { childWorker } from './helpers/child-worker';
import { api, eventually, useStack } from './helpers/stack';

/**
 * Batch interventions (issue 14), through the real API on the real dev server: one request urges many
 * cases (named, or the stuck query's filter), each case's timeline records exactly one urge by the
 * supervisor, a case that refuses is a per-item result while the rest go on, an Idempotency-Key names one
 * batch, and a worker killed mid-batch (SIGKILL, PostgreSQL only) loses and repeats nothing.
 */
describe('batch interventions', () => {
  const { stack, tokens } = useStack({}, { timeout: 120_000 });
  let otherSupervisor: string;
  let seq = 700;
  /** A fresh case of the demo station (or another), opened straight on the workflow and recorded. */
  const newCase = async (stationId = 'qianggen', prefix = 'QG') => {
    const caseId = `${prefix}-20261123-${String(++seq).padStart(4, '0')}`;
    await openCase(stack, caseId, { stationId });
    return caseId;
  };
  const urges = async (caseIds: string[]) => {
    const rows = await stack.database.db
      .select({ caseId: caseEvents.caseId, actor: caseEvents.actor, actorRole: caseEvents.actorRole, data: caseEvents.data })
      .from(caseEvents)
      .where(and(eq(caseEvents.type, 'case.urged'), inArray(caseEvents.caseId, caseIds)));
    return caseIds.map((id) => rows.filter((r) => r.caseId === id));
  };
  const submit = (body: unknown, opts: { token?: string; key?: string } = {}) =>
    api(stack, 'POST', '/api/supervision/batches', { token: opts.token ?? tokens.supervisor, body, headers: opts.key ? { 'Idempotency-Key': opts.key } : {} });
  const progress = (id: string, token = tokens.supervisor) => api(stack, 'GET', `/api/supervision/batches/${id}`, { token });
  const completed = (id: string, timeoutMs = 60_000, token = tokens.supervisor) =>
    eventually(
      async () => {
        const res = await progress(id, token);
        return res.status === 200 && res.body.status === 'completed' ? res.body : undefined;
      },
      timeoutMs,
      `batch ${id} to complete`,
    );

  beforeAll(async () => {
    otherSupervisor = await stack.token({ role: 'supervisor', subdistrict: 'other-sd', sub: 'sun' });
    await stack.database.db.insert(subdistricts).values({ id: 'other-sd', name: 'Other Subdistrict', nameZh: '别的街道' });
    await stack.database.db.insert(stations).values({ id: 'elsewhere', subdistrictId: 'other-sd', name: 'Elsewhere Station', nameZh: '别处', casePrefix: 'EW' });
    await stack.database.db
      .insert(deadlineClasses)
      .values({ code: 'test-overdue', name: 'Test: overdue at once', nameZh: '测试', responseGoal: null, responseUnit: null, resolutionGoal: 0.05, resolutionUnit: 'minutes', escalateOnBreach: false });
  }, 60_000);

  it('urges every named case once, with the supervisor as actor; progress and results are readable, the history replays', async () => {
    const ids = [await newCase(), await newCase(), await newCase()];
    const res = await submit({ operation: 'urge', reason: 'Morning backlog: please move these today', caseIds: ids });
    expect(res.status).toBe(202);
    expect(res.body).toMatchObject({ id: expect.stringMatching(/^[0-9a-f]{32}$/), operation: 'urge', total: 3 });
    expect(res.headers.get('location')).toBe(`/api/supervision/batches/${res.body.id}`);

    const done = await completed(res.body.id);
    expect(done).toMatchObject({ operation: 'urge', status: 'completed', total: 3, done: 3, applied: 3, refused: 0, failed: 0, createdBy: { id: 'chen', role: 'supervisor' } });
    expect(done.items.map((i: { caseId: string; status: string }) => [i.caseId, i.status])).toEqual(ids.map((id) => [id, 'applied']));
    // Each urge names its batch: a later attempt of the same item finds it there and does not urge again.
    for (const events of await urges(ids)) expect(events).toEqual([expect.objectContaining({ actor: 'chen', actorRole: 'supervisor', data: expect.objectContaining({ batchId: res.body.id }) })]);

    // Its creator's scope only: another subdistrict's supervisor does not see it; an admin does.
    expectProblem(await progress(res.body.id, otherSupervisor), 404, undefined, undefined, 'batch-not-found');
    expect((await progress(res.body.id, tokens.admin)).status).toBe(200);
    expectProblem(await progress('0123456789abcdef0123456789abcdef'), 404, undefined, undefined, 'batch-not-found');
    expectProblem(await progress('not-a-batch'), 404);

    await keepHistory(stack, stack.client.workflow.getHandle(batchWorkflowId(res.body.id)), 'batch-urge');
  }, 90_000);

  it('a case that refuses is a per-item result; the others are applied', async () => {
    const [open1, transferred, open2] = [await newCase(), await newCase(), await newCase()];
    // A transferred case has ended: its workflow takes no more changes.
    await act(stack.client.workflow.getHandle(`case-${transferred}`) as never, acceptUpdate, { decision: 'transfer', documents: [], transferTo: { kind: 'agency', name: 'District office' } });
    const res = await submit({ operation: 'urge', reason: 'Please report progress', caseIds: [open1, transferred, open2] });
    expect(res.status).toBe(202);
    const done = await completed(res.body.id);
    expect(done).toMatchObject({ total: 3, done: 3, applied: 2, refused: 1, failed: 0 });
    expect(done.items[1]).toMatchObject({ caseId: transferred, status: 'refused', detail: expect.any(String), at: expect.any(String) });
    const [a, t, b] = await urges([open1, transferred, open2]);
    expect([a!.length, t!.length, b!.length]).toEqual([1, 0, 1]);

    // An unknown task of an open case: refused by the case, never retried.
    const task = await submit({ operation: 'urge', reason: 'The plumber is late', target: 'task', items: [{ caseId: open1, taskId: 'no-such-task' }] });
    expect(task.status).toBe(202);
    expect(await completed(task.body.id)).toMatchObject({ total: 1, refused: 1, applied: 0, items: [{ caseId: open1, status: 'refused' }] });
    await keepHistory(stack, stack.client.workflow.getHandle(batchWorkflowId(res.body.id)), 'batch-urge-refused');
  }, 90_000);

  it("urges the cases of a stuck query's filter, within the caller's scope", async () => {
    const open = async (n: number) => {
      const res = await api(stack, 'POST', '/api/cases', {
        token: tokens.staff,
        body: { serviceCode: 'garbage-sorting-complaint', demand: 'Bins overflow', deadlineClass: 'test-overdue', resident: { name: `Batch Resident ${n}`, phone: `1371111${String(n).padStart(4, '0')}` } },
      });
      expect(res.status).toBe(201);
      return res.body.id as string;
    };
    const ids = [await open(1), await open(2), await open(3)];
    await eventually(
      async () => {
        const res = await api(stack, 'GET', '/api/supervision/stuck?reason=overdue&limit=100', { token: tokens.supervisor });
        return ids.every((id) => res.body.items.some((i: { caseId: string }) => i.caseId === id));
      },
      30_000,
      'the cases to be overdue',
    );
    const res = await submit({ operation: 'urge', reason: 'Overdue: finish today', filter: { reason: 'overdue', station: 'qianggen' } });
    expect(res.status).toBe(202);
    const done = await completed(res.body.id);
    expect(done.items.map((i: { caseId: string }) => i.caseId).sort()).toEqual([...ids].sort());
    expect(done).toMatchObject({ applied: 3, refused: 0, failed: 0 });
    for (const events of await urges(ids)) expect(events).toEqual([expect.objectContaining({ actor: 'chen', actorRole: 'supervisor' })]);

    // Another subdistrict's supervisor finds none of them; naming a station outside the scope is 403.
    expectProblem(await submit({ operation: 'urge', reason: 'x', filter: { reason: 'overdue' } }, { token: otherSupervisor }), 422, undefined, undefined, 'batch-empty');
    expectProblem(await submit({ operation: 'urge', reason: 'x', filter: { station: 'qianggen' } }, { token: otherSupervisor }), 403, undefined, undefined, 'forbidden-scope');
  }, 90_000);

  it('duplicate requests with the same Idempotency-Key make one batch; the key with another request is 422', async () => {
    const ids = [await newCase(), await newCase()];
    const body = { operation: 'urge', reason: 'Once only', caseIds: ids };
    const answers = await Promise.all([1, 2, 3].map(() => submit(body, { key: 'morning-2026-12-07' })));
    expect(answers.map((a) => a.status)).toEqual([202, 202, 202]);
    expect(new Set(answers.map((a) => a.body.id)).size).toBe(1);
    await completed(answers[0]!.body.id);
    // After completion the same request still answers the same batch, and nothing runs again.
    const again = await submit(body, { key: 'morning-2026-12-07' });
    expect(again).toMatchObject({ status: 202, body: { id: answers[0]!.body.id } });
    for (const events of await urges(ids)) expect(events).toHaveLength(1);
    expectProblem(await submit({ ...body, reason: 'Something else' }, { key: 'morning-2026-12-07' }), 422, undefined, undefined, 'idempotency-key-reused');
    // Another caller's same key is a batch of its own.
    const admin = await submit(body, { key: 'morning-2026-12-07', token: tokens.admin });
    expect(admin.status).toBe(202);
    expect(admin.body.id).not.toBe(answers[0]!.body.id);
    await completed(admin.body.id, 60_000, tokens.admin);
  }, 90_000);

  it('reassigns the owner of each case; a case its new owner already owns refuses', async () => {
    const [a, b] = [await newCase(), await newCase()];
    const first = await submit({ operation: 'reassign', reason: 'Wang is on leave', to: { kind: 'staff', id: 'li' }, caseIds: [a] });
    expect(await completed(first.body.id)).toMatchObject({ applied: 1, refused: 0 });
    const res = await submit({ operation: 'reassign', reason: 'Wang is on leave', to: { kind: 'staff', id: 'li' }, caseIds: [a, b] });
    expect(res.status).toBe(202);
    const done = await completed(res.body.id);
    expect(done).toMatchObject({ total: 2, applied: 1, refused: 1, failed: 0 });
    expect(done.items).toEqual([
      expect.objectContaining({ caseId: a, status: 'refused', reason: 'CaseConflict', detail: expect.stringMatching(/already owns/) }),
      expect.objectContaining({ caseId: b, status: 'applied' }),
    ]);
    const rows = await stack.database.db.select().from(caseEvents).where(and(eq(caseEvents.type, 'case.reassigned'), inArray(caseEvents.caseId, [a, b])));
    expect(rows.map((r) => [r.caseId, r.actor]).sort()).toEqual([[a, 'chen'], [b, 'chen']]);
    await keepHistory(stack, stack.client.workflow.getHandle(batchWorkflowId(res.body.id)), 'batch-reassign');
  }, 90_000);

  describe('retry', () => {
    let receiver: Receiver;
    beforeAll(async () => {
      receiver = await startReceiver();
      receiver.script('/hooks/batch-refusing', Array(20).fill(400));
      await addPartner(stack, 'batch-refusing', [{ type: 'webhook', url: receiver.url('/hooks/batch-refusing') }]);
    });
    afterAll(() => receiver?.close());

    it("retries every dead letter of each case; a case without one refuses", async () => {
      const caseId = `QG-20261123-${String(++seq).padStart(4, '0')}`;
      await caseWithTask(stack, caseId, { kind: 'partner', id: 'batch-refusing' });
      const notice = await pushedNotice(stack, caseId);
      await deliveryOf(stack, notice.notificationId, 'unreachable');
      const healthy = await newCase();
      receiver.unscript('/hooks/batch-refusing');

      const res = await submit({ operation: 'retry', reason: 'The partner fixed its endpoint', caseIds: [caseId, healthy] });
      expect(res.status).toBe(202);
      const done = await completed(res.body.id);
      expect(done).toMatchObject({ total: 2, applied: 1, refused: 1, failed: 0 });
      expect(done.items).toEqual([
        expect.objectContaining({ caseId, status: 'applied', detail: expect.stringContaining(notice.notificationId) }),
        expect.objectContaining({ caseId: healthy, status: 'refused', reason: 'NothingToRetry' }),
      ]);
      await deliveryOf(stack, notice.notificationId, 'delivered');
      // The case's timeline keeps the retry with the supervisor, the reason and the batch, once.
      const retried = (await timeline(stack, caseId)).filter((e) => e.type === 'delivery.retried');
      expect(retried).toMatchObject([{ actor: 'chen', actorRole: 'supervisor', data: { notificationId: notice.notificationId, reason: 'The partner fixed its endpoint', batchId: res.body.id } }]);
      await keepHistory(stack, stack.client.workflow.getHandle(batchWorkflowId(res.body.id)), 'batch-retry');
    }, 90_000);
  });

  it('roles and scope: supervisors and admins only, every case in scope, each known', async () => {
    const mine = await newCase();
    const theirs = await newCase('elsewhere', 'EW');
    const body = { operation: 'urge', reason: 'Please move', caseIds: [mine] };
    for (const token of [tokens.staff, tokens.housing, tokens.partner]) expectProblem(await submit(body, { token }), 403, undefined, undefined, 'forbidden-role');
    expectProblem(await api(stack, 'POST', '/api/supervision/batches', { body }), 401);
    expectProblem(await api(stack, 'GET', '/api/supervision/batches/0123456789abcdef0123456789abcdef'), 401);
    expectProblem(await progress('0123456789abcdef0123456789abcdef', tokens.staff), 403);

    expectProblem(await submit({ ...body, caseIds: [mine, theirs] }), 403, { type: 'forbidden-scope', pointers: ['#/caseIds/1'] });
    expectProblem(await submit({ ...body, caseIds: [mine, 'QG-20261123-9999'] }), 404, { type: 'case-not-found', pointers: ['#/caseIds/1'] });
    expect(await urges([mine, theirs])).toEqual([[], []]);
    // The other subdistrict's supervisor may urge its own case.
    const res = await submit({ ...body, caseIds: [theirs] }, { token: otherSupervisor });
    expect(res.status).toBe(202);
    expectProblem(await progress(res.body.id), 404, undefined, undefined, 'batch-not-found'); // chen cannot read sun's batch
    await eventually(async () => (await urges([theirs]))[0]!.length === 1, 30_000, 'the other subdistrict to urge its case');
  }, 90_000);

  it('hostile and malformed requests are 400 problem+json', async () => {
    const ids = ['QG-20261123-0001'];
    const bad: [unknown, string][] = [
      [{ operation: 'urge', reason: 'bad\u0000reason', caseIds: ids }, '#/reason'],
      [{ operation: 'urge', reason: 'bell\u0007', caseIds: ids }, '#/reason'],
      [{ operation: 'urge', reason: 'x'.repeat(5000), caseIds: ids }, '#/reason'],
      [{ operation: 'urge', reason: '   ', caseIds: ids }, '#/reason'],
      [{ operation: 'urge', caseIds: ids }, '#/reason'],
      [{ operation: 'explode', reason: 'x', caseIds: ids }, '#/operation'],
      [{ operation: 'urge', reason: 'x' }, '#/caseIds'],
      [{ operation: 'urge', reason: 'x', caseIds: ids, filter: { reason: 'overdue' } }, '#/filter'],
      [{ operation: 'urge', reason: 'x', caseIds: [] }, '#/caseIds'],
      [{ operation: 'urge', reason: 'x', caseIds: ['QG-20261123-0001', 'QG-20261123-0001'] }, '#/caseIds/1'],
      [{ operation: 'urge', reason: 'x', caseIds: Array.from({ length: maxBatchItems + 1 }, (_, i) => `QG-20261123-${String(i + 1).padStart(4, '0')}`) }, '#/caseIds'],
      [{ operation: 'urge', reason: 'x', caseIds: ["QG-1'; DROP TABLE cases;--"] }, '#/caseIds/0'],
      [{ operation: 'urge', reason: 'x', caseIds: ids, to: { kind: 'staff', id: 'li' } }, '#/to'],
      [{ operation: 'reassign', reason: 'x', caseIds: ids }, '#/to'],
      [{ operation: 'urge', reason: 'x', target: 'department', caseIds: ids }, '#/departmentId'],
      [{ operation: 'urge', reason: 'x', filter: { reason: 'overdue', olderThan: 'forever' } }, '#/filter/olderThan'],
      [{ operation: 'urge', reason: 'x', caseIds: ids, extra: 1 }, '#/extra'],
    ];
    for (const [body, pointer] of bad) {
      const res = await submit(body);
      expect({ pointer, status: res.status }).toEqual({ pointer, status: 400 });
      expectProblem(res, 400, { type: 'validation-failed', pointers: [pointer] });
    }
    expectProblem(await submit({ operation: 'urge', reason: 'x', caseIds: ids }, { key: 'a key with spaces' }), 400);
    expectProblem(await submit({ operation: 'reassign', reason: 'x', caseIds: ids, taskId: '1', to: { kind: 'partner', id: 'no-such-partner' } }), 422, { pointers: ['#/to/id'] });
  });

  const postgresUrl = process.env.TEST_DATABASE_URL;
  if (!postgresUrl) console.log('supervision-batches.test.ts: the SIGKILL test is skipped: the worker runs as a separate process and needs a database both reach (set TEST_DATABASE_URL)');

  (postgresUrl ? describe : describe.skip)('a worker killed mid-batch (SIGKILL)', () => {
    const worker = childWorker(() => stack);
    beforeAll(() => worker.setUp());
    afterAll(() => worker.tearDown());

    it('completes with every case urged exactly once', async () => {
      const ids: string[] = [];
      for (let i = 0; i < 6; i++) ids.push(...(await Promise.all(Array.from({ length: 8 }, () => newCase()))));

      // The batch runs in a worker process of its own, which is killed once some cases are urged.
      await stack.stopWorker();
      await worker.start();
      const res = await submit({ operation: 'urge', reason: 'Crash drill', caseIds: ids });
      expect(res.status).toBe(202);
      const urgedSoFar = async () => (await urges(ids)).filter((e) => e.length > 0).length;
      const before = await eventually(async () => {
        const n = await urgedSoFar();
        return n >= 5 ? n : undefined;
      }, 60_000, 'some cases to be urged');
      await worker.kill();
      const atKill = await urgedSoFar();
      expect(atKill).toBeLessThan(ids.length); // killed mid-batch
      expect(atKill).toBeGreaterThanOrEqual(before);

      // Its progress is unknown while no worker runs; a new worker finishes the batch.
      expectProblem(await progress(res.body.id), 503, undefined, undefined, 'worker-unavailable');
      await stack.startWorker();
      const done = await completed(res.body.id, 90_000);
      expect(done).toMatchObject({ total: ids.length, done: ids.length, applied: ids.length, refused: 0, failed: 0 });
      const counts = (await urges(ids)).map((e) => e.length);
      expect(counts).toEqual(ids.map(() => 1));
      // Items in flight when the worker died were tried again (a second attempt) and still urged once.
      const handle = stack.client.workflow.getHandle(batchWorkflowId(res.body.id));
      const retried = (await handle.fetchHistory()).events!.filter((e) => (e.activityTaskStartedEventAttributes?.attempt ?? 1) > 1);
      expect(retried.length).toBeGreaterThan(0);
      await keepHistory(stack, handle, 'batch-worker-killed');
    }, 180_000);
  });
});
