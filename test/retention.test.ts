import crypto from 'node:crypto';
import { ScheduleNotFoundError, WorkflowNotFoundError } from '@temporalio/client';
import { asc, eq, inArray, sql } from 'drizzle-orm';
import postgres from 'postgres';
import { caseEvents, cases, deliveries, idempotencyKeys, notifications, whistleCalls, whistles } from '../db/schema';
import { ensureRetentionSchedule, retentionSpec } from '../temporal/retention-schedule';
import { caseWorkflowId } from '../temporal/workflow-ids';
import { erasedMarker, eraseFreeText, type RetentionInput, type RetentionResult, retentionScheduleId } from '../workflows/retention/messages';
import { retentionWorkflow } from '../workflows/retention/workflow';
import { databaseKind } from './helpers/database';
import { childWorker } from './helpers/child-worker';
import { api, eventually, useStack } from './helpers/stack';

/**
 * Issue 15, item 11: the personal data of cases closed longer than RETENTION_AFTER_CLOSE is erased from the
 * read model — every personal field of every table — while figures and the timeline's facts stay; open and
 * recently closed cases are untouched; a second run changes nothing; a worker killed mid-run loses and doubles
 * nothing. Real cases go through the API and their workflows end on the dev server; time is driven by moving
 * `closed_at` into the past, never by waiting.
 */
const day = 86_400_000;
const period = 30 * day;

let residents = 0;
/** A resident of their own for each case: their name, phone and address are searched for after erasure. */
function resident() {
  residents += 1;
  const n = String(residents).padStart(4, '0');
  return { name: `张秀兰${n}`, phone: `1391234${n}`, address: `前根胡同${n}号楼2单元` };
}
type Resident = ReturnType<typeof resident>;

describe(`retention: personal data of long-closed cases erased (${databaseKind()})`, () => {
  const { stack, tokens } = useStack();
  /** Case id → what was personal in it (to be searched for in every table). */
  const personal = new Map<string, string[]>();
  let runs = 0;

  const view = (id: string, token = tokens.staff) => api(stack, 'GET', `/api/cases/${id}`, { token });

  /** Opens a case through the API (with an Idempotency-Key: the request is kept) and waits for its row. */
  async function openCase(who: Resident = resident()): Promise<string> {
    const demand = `Kitchen pipe leaking at ${who.name}'s flat, call ${who.phone}`;
    const res = await api(stack, 'POST', '/api/cases', {
      token: tokens.staff,
      headers: { 'Idempotency-Key': crypto.randomUUID() },
      body: { serviceCode: 'home-plumbing-repair', demand, resident: who },
    });
    expect(res.status).toBe(201);
    const id: string = res.body.id;
    personal.set(id, [who.name, who.phone, who.address, demand]);
    await eventually(async () => (await stack.database.db.select().from(caseEvents).where(eq(caseEvents.caseId, id))).length >= 2, 20_000, `${id} recorded`);
    return id;
  }

  /** Waits until the case is closed in the read model and its workflow has ended. */
  async function closedAndEnded(id: string): Promise<void> {
    await eventually(async () => (await row(id))?.closedAt, 20_000, `${id} closed`);
    await eventually(async () => (await stack.client.workflow.getHandle(caseWorkflowId(id)).describe()).status.name !== 'RUNNING', 20_000, `${id}'s workflow to end`);
  }

  /** Transferred at acceptance: the case closes and its workflow ends. The note quotes the resident. */
  async function transferred(who: Resident = resident()): Promise<string> {
    const id = await openCase(who);
    const note = `Told ${who.name} the water company handles it`;
    personal.get(id)!.push(note);
    const res = await api(stack, 'POST', `/api/cases/${id}/acceptance`, {
      token: tokens.staff,
      body: { decision: 'transfer', transferTo: { kind: 'agency', name: 'District water company' }, note },
    });
    expect(res.status).toBe(200);
    await closedAndEnded(id);
    return id;
  }

  /** Withdrawn by the resident (a supervisor's intervention): closed as withdrawn, the workflow ends. */
  async function withdrawn(): Promise<string> {
    const who = resident();
    const id = await openCase(who);
    const reason = `${who.name} moved to her daughter's`;
    personal.get(id)!.push(reason);
    const res = await api(stack, 'POST', `/api/cases/${id}/withdrawal`, { token: tokens.supervisor, body: { kind: 'resident-withdrew', reason } });
    expect(res.status).toBe(200);
    await closedAndEnded(id);
    return id;
  }

  /**
   * A case as an older deployment left it, with a whistle, its department's ratings, notices and the opening
   * request, all in the read model only (its workflows' histories are gone: past the namespace's retention).
   */
  async function archived(closedDaysAgo: number, n: number): Promise<string> {
    const who = resident();
    const id = `QG-20200101-${String(9000 + n)}`;
    const closedAt = new Date(Date.now() - closedDaysAgo * day);
    const at = new Date(closedAt.getTime() - day);
    const texts = [who.name, who.phone, who.address, `Water through ${who.name}'s ceiling`, `Visited ${who.name}`, `Near ${who.address}`, `Thanks ${who.name}`];
    personal.set(id, texts);
    const { db } = stack.database;
    await db.insert(cases).values({
      id, workflowId: caseWorkflowId(id), stationId: 'qianggen', serviceCode: 'home-plumbing-repair', category: 'life', deadlineClass: 'utilities', channel: 'walk-in',
      demand: texts[3]!, resident: who, stage: 'closed', resolution: 'resolved', openedBy: 'wang', openedAt: at, updatedAt: closedAt, closedAt, projectionSeq: 3,
      repeatPhoneKey: 'a'.repeat(64), repeatNameKey: 'b'.repeat(64), owner: 'wang', lastProgressAt: closedAt,
    });
    await db.insert(caseEvents).values([
      { caseId: id, eventKey: 'opened', seq: 0, type: 'case.opened', actor: 'wang', actorRole: 'staff', at, data: { serviceCode: 'home-plumbing-repair', channel: 'walk-in' } },
      { caseId: id, eventKey: 'e1', seq: 1, type: 'case.diagnosed', actor: 'wang', actorRole: 'staff', at, data: { findings: texts[4], homeVisit: { date: '2019-12-31', staff: ['wang'], notes: texts[4] } } },
      { caseId: id, eventKey: 'e2', seq: 2, type: 'plan.adopted', actor: 'wang', actorRole: 'staff', at, data: { revision: 1, goals: [texts[3]], tasks: [{ id: 'T1', title: texts[4], assignee: { kind: 'staff', id: 'wang' }, dueAt: at.toISOString(), status: 'completed' }] } },
      { caseId: id, eventKey: 'e3', seq: 3, type: 'case.closed', actor: 'wang', actorRole: 'staff', at: closedAt, data: { resolution: 'resolved', summary: texts[6] } },
      { caseId: id, eventKey: 'w0', seq: 0, type: 'whistle.initiated', actor: 'wang', actorRole: 'staff', at, whistleId: `${id}-W1`, data: { whistleId: `${id}-W1`, reason: 'prominent-problem', urgency: 'urgent', departments: ['housing'], lead: 'housing' } },
    ]);
    const [notice] = await db
      .insert(notifications)
      .values({ key: `${id}:transferred`, caseId: id, recipientKind: 'agency', recipientId: 'water', kind: 'case.transferred', data: { serviceCode: 'home-plumbing-repair', demand: texts[3], note: texts[4] }, createdAt: at })
      .returning();
    await db.insert(deliveries).values({ notificationId: notice!.notificationId, caseId: id, partnerId: 'anju-repair', round: 1, channel: 'webhook', status: 'delivered', attempts: 1, deliveredAt: at });
    await db.insert(whistles).values({
      id: `${id}-W1`, workflowId: `whistle-${id}-W1`, caseId: id, stationId: 'qianggen', subdistrictId: 'xinjiekou', reason: 'prominent-problem', urgency: 'urgent',
      summary: texts[3]!, location: texts[5]!, serviceCode: 'home-plumbing-repair', initiatedBy: 'wang', initiatedAt: at, status: 'finished', state: 'done',
      leadDepartmentId: 'housing', outcome: 'done', outcomeNote: texts[4], completedAt: closedAt, updatedAt: closedAt,
    });
    await db.insert(whistleCalls).values({
      whistleId: `${id}-W1`, departmentId: 'housing', role: 'lead', status: 'reported', state: 'done', calledAt: at, checkInDueAt: at, reportDueAt: closedAt,
      checkedInAt: at, checkInLatencySeconds: 420, reportOutcome: 'done', reportedAt: closedAt, reportOnTime: true, rating: 4, ratingComment: texts[6], feedback: 5, feedbackComment: texts[4],
    });
    await db.insert(idempotencyKeys).values({ principal: 'wang', key: `k-${id}`, requestHash: 'c'.repeat(64), caseId: id, input: { caseId: id, resident: who, demand: texts[3] } as never });
    return id;
  }

  const row = async (id: string) => (await stack.database.db.select().from(cases).where(eq(cases.id, id)))[0];

  /** Everything the read model holds about a case, table by table. */
  async function everything(id: string) {
    const { db } = stack.database;
    const ws = await db.select().from(whistles).where(eq(whistles.caseId, id));
    return {
      case: await row(id),
      events: await db.select().from(caseEvents).where(eq(caseEvents.caseId, id)).orderBy(asc(caseEvents.id)),
      notifications: await db.select().from(notifications).where(eq(notifications.caseId, id)).orderBy(asc(notifications.id)),
      deliveries: await db.select().from(deliveries).where(eq(deliveries.caseId, id)).orderBy(asc(deliveries.id)),
      whistles: ws,
      calls: ws.length ? await db.select().from(whistleCalls).where(inArray(whistleCalls.whistleId, ws.map((w) => w.id))) : [],
      idempotencyKeys: await db.select().from(idempotencyKeys).where(eq(idempotencyKeys.caseId, id)),
    };
  }
  type Everything = Awaited<ReturnType<typeof everything>>;

  /** The facts that must outlive the erasure: figures, stages, times, who did what — with the personal text left out. */
  function facts(e: Everything) {
    const { resident: _r, demand: _d, repeatPhoneKey: _p, repeatNameKey: _n, erasedAt: _e, ...caseFacts } = e.case!;
    return {
      case: caseFacts,
      events: e.events.map(({ data, ...rest }) => ({ ...rest, dataKeys: Object.keys(data).sort() })),
      notifications: e.notifications.map(({ data, ...rest }) => ({ ...rest, dataKeys: Object.keys(data).sort() })),
      deliveries: e.deliveries,
      whistles: e.whistles.map(({ summary: _s, location: _l, outcomeNote: _o, ...rest }) => rest),
      calls: e.calls.map(({ ratingComment: _r2, feedbackComment: _f, ...rest }) => rest),
    };
  }

  const run = (input: Partial<RetentionInput> = {}): Promise<RetentionResult> =>
    stack.client.workflow.execute(retentionWorkflow, {
      taskQueue: stack.temporal.taskQueue,
      workflowId: `retention-test-${process.pid}-${++runs}`,
      args: [{ afterCloseMs: period, batchSize: 2, ...input }],
    });

  /** Moves a case's closure `days` into the past (as if it had closed then). */
  const closedDaysAgo = (id: string, days: number) =>
    stack.database.db.update(cases).set({ closedAt: new Date(Date.now() - days * day) }).where(eq(cases.id, id));

  /** No personal value of the case anywhere in any of its rows; every erased field reads the marker. */
  function expectErased(id: string, e: Everything): void {
    const dump = JSON.stringify(e);
    for (const value of personal.get(id)!) expect({ id, found: dump.includes(value) ? value : null }).toEqual({ id, found: null });
    const c = e.case!;
    expect(c.erasedAt).toBeInstanceOf(Date);
    expect(c.demand).toBe(erasedMarker);
    for (const v of Object.values(c.resident)) expect(v).toBe(erasedMarker);
    expect(Object.keys(c.resident).sort()).toEqual(['address', 'name', 'phone']);
    expect({ phone: c.repeatPhoneKey, name: c.repeatNameKey }).toEqual({ phone: null, name: null });
    expect(e.idempotencyKeys).toEqual([]);
    // The marker once, never a marker of a marker.
    expect(dump).not.toContain(`${erasedMarker}${erasedMarker}`);
  }

  let old: string[];
  let recent: string;
  let open: string;
  let before: Map<string, Everything>;

  beforeAll(async () => {
    // Real cases: two transferred, one withdrawn (closed 40 days ago), one transferred yesterday, one open;
    // three archived cases with a whistle, notices and deliveries (closed 400, 60 and 31 days ago).
    const [t1, t2, w1] = await Promise.all([transferred(), transferred(), withdrawn()]);
    recent = await transferred();
    open = await openCase();
    const archivedIds = await Promise.all([archived(400, 1), archived(60, 2), archived(31, 3)]);
    for (const id of [t1, t2, w1]) await closedDaysAgo(id, 40);
    await closedDaysAgo(recent, 1);
    old = [t1, t2, w1, ...archivedIds];
    before = new Map();
    for (const id of [...old, recent, open]) before.set(id, await everything(id));
  }, 120_000);

  it('erases every personal field of cases closed longer than the period, in every table; figures and the timeline stay', async () => {
    // The staff of the station see the resident before.
    const shown = await view(old[0]!);
    expect(shown.body.resident.name).toBe(personal.get(old[0]!)![0]);

    const result = await run();
    expect(result).toMatchObject({ erased: old.length, running: 0 });
    expect(result.batches).toBeGreaterThanOrEqual(Math.ceil(old.length / 2));

    for (const id of old) {
      const after = await everything(id);
      expectErased(id, after);
      expect(facts(after)).toEqual(facts(before.get(id)!));
    }
    // Codes under free-text keys stay: the whistle's reason.
    const [initiated] = (await everything(old[3]!)).events.filter((e) => e.type === 'whistle.initiated');
    expect(initiated!.data.reason).toBe('prominent-problem');
    const [call] = (await everything(old[3]!)).calls;
    expect(call).toMatchObject({ rating: 4, feedback: 5, checkInLatencySeconds: 420, reportOnTime: true, ratingComment: erasedMarker, feedbackComment: erasedMarker });

    // Open and recently closed cases: untouched, row for row.
    for (const id of [recent, open]) expect(await everything(id)).toEqual(before.get(id));
  });

  it('the API shows an erased case from the read model with the marker, its timeline whole; others as before', async () => {
    for (const id of old) {
      const res = await view(id);
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ id, live: false, demand: erasedMarker, resident: { name: erasedMarker, phone: erasedMarker, address: erasedMarker } });
      expect(Date.parse(res.body.erasedAt)).toBeGreaterThan(0);
      expect(res.body.timeline).toHaveLength(before.get(id)!.events.length);
      const text = JSON.stringify(res.body);
      for (const value of personal.get(id)!) expect(text).not.toContain(value);
    }
    const whistle = await api(stack, 'GET', `/api/whistles/${old[3]}-W1`, { token: tokens.staff });
    expect(whistle.status).toBe(200);
    for (const value of personal.get(old[3]!)!) expect(JSON.stringify(whistle.body)).not.toContain(value);

    const still = await view(recent);
    expect(still.body).toMatchObject({ live: true, resident: { name: personal.get(recent)![0] } });
    expect(still.body.erasedAt).toBeUndefined();
  });

  it('a second run is a no-op: nothing erased again, not a byte changed', async () => {
    const snapshot = new Map<string, Everything>();
    for (const id of [...old, recent, open]) snapshot.set(id, await everything(id));
    const again = await run();
    expect(again).toMatchObject({ scanned: 0, erased: 0, running: 0 });
    for (const id of [...old, recent, open]) expect(await everything(id)).toEqual(snapshot.get(id));
  });

  it('leaves a case alone while its workflow runs: awaiting the evaluation (not closed yet), or closed in the read model a moment before the workflow ends', async () => {
    // Closed as unresolved: the case waits in stage close for the resident's evaluation (its reopen window).
    const who = resident();
    const id = await openCase(who);
    const post = (p: string, body: unknown) => api(stack, 'POST', `/api/cases/${id}/${p}`, { token: tokens.staff, body });
    expect((await post('acceptance', { decision: 'accept' })).status).toBe(200);
    expect((await post('closure', { resolution: 'unresolved', reason: 'Pipe belongs to the building' })).status).toBe(200);
    await eventually(async () => (await row(id))?.resolution === 'unresolved', 20_000, `${id} closed as unresolved`);
    expect(await row(id)).toMatchObject({ stage: 'close', closedAt: null });
    const snapshot = await everything(id);
    expect(await run()).toMatchObject({ erased: 0, running: 0 });
    expect(await everything(id)).toEqual(snapshot);

    // The row says closed (long ago) but the workflow still runs: left for a later run.
    const { db } = stack.database;
    await db.update(cases).set({ stage: 'closed', closedAt: new Date(Date.now() - 40 * day) }).where(eq(cases.id, id));
    const closedRow = await everything(id);
    expect((await stack.client.workflow.getHandle(caseWorkflowId(id)).describe()).status.name).toBe('RUNNING');
    expect(await run()).toMatchObject({ scanned: 1, erased: 0, running: 1 });
    expect(await everything(id)).toEqual(closedRow);
    await db.update(cases).set({ stage: 'close', closedAt: null }).where(eq(cases.id, id));
    expect((await view(id)).body).toMatchObject({ live: true, resident: { name: who.name } });
  });

  it('a data walk that erases free text only, and is a no-op on its own output', () => {
    const data = { reason: 'emergency', note: 'Told Zhang', taskId: 'T1', tasks: [{ id: 'T1', title: 'Fix' }], homeVisit: { date: '2026-01-01', staff: ['wang'], notes: 'x' }, count: 2, goals: ['a', 'b'] };
    const erased = eraseFreeText(data);
    expect(erased).toEqual({ reason: 'emergency', note: erasedMarker, taskId: 'T1', tasks: [{ id: 'T1', title: erasedMarker }], homeVisit: { date: '2026-01-01', staff: ['wang'], notes: erasedMarker }, count: 2, goals: [erasedMarker, erasedMarker] });
    expect(eraseFreeText(erased)).toBe(erased);
  });

  it('the schedule on the dev server: created once, updated at the next boot, runs the workflow when triggered, removed with off', async () => {
    const id = await archived(90, 4);
    const opts = { taskQueue: stack.temporal.taskQueue, afterCloseMs: period };
    expect(await ensureRetentionSchedule(stack.client, opts)).toBe('created');
    expect(await ensureRetentionSchedule(stack.client, { ...opts, afterCloseMs: 2 * period })).toBe('updated');
    expect(await ensureRetentionSchedule(stack.client, opts)).toBe('updated');
    const handle = stack.client.schedule.getHandle(retentionScheduleId);
    const described = await handle.describe();
    expect(retentionSpec.intervals).toEqual([{ every: '1 day', offset: '19 hours' }]);
    expect(described.spec.intervals).toEqual([{ every: day, offset: 19 * 3_600_000 }]);
    expect(described.action).toMatchObject({ type: 'startWorkflow', workflowType: 'retentionWorkflow', taskQueue: stack.temporal.taskQueue, args: [{ afterCloseMs: period }] });
    expect(described.policies.overlap).toBe('SKIP');

    await handle.trigger();
    const started = await eventually(async () => (await handle.describe()).info.recentActions[0]?.action.workflow.workflowId, 20_000, 'the triggered run');
    const result: RetentionResult = await stack.client.workflow.getHandle(started).result();
    expect(result).toMatchObject({ erased: 1 });
    expectErased(id, await everything(id));

    expect(await ensureRetentionSchedule(stack.client, { ...opts, afterCloseMs: undefined })).toBe('removed');
    expect(await ensureRetentionSchedule(stack.client, { ...opts, afterCloseMs: undefined })).toBe('off');
    await expect(handle.describe()).rejects.toBeInstanceOf(ScheduleNotFoundError);
  });

  const postgresUrl = process.env.TEST_DATABASE_URL;
  if (!postgresUrl) console.log('retention.test.ts: the SIGKILL test is skipped: the worker runs as a separate process and needs a database both reach (set TEST_DATABASE_URL)');

  (postgresUrl ? describe : describe.skip)('a worker killed mid-run (SIGKILL)', () => {
    const worker = childWorker(() => stack);
    beforeAll(() => worker.setUp());
    afterAll(() => worker.tearDown());

    it('loses nothing and doubles nothing: the batch in flight is written once by the next worker', async () => {
      // Five cases, two per batch, oldest first; the third case's row is held locked, so the second batch is
      // in flight (waiting on it) when the worker is killed — after the first batch committed.
      const ids = await Promise.all([1, 2, 3, 4, 5].map((n) => archived(500 - n, 10 + n)));
      const snapshot = new Map<string, Everything>();
      for (const id of ids) snapshot.set(id, await everything(id));
      const locker = postgres(stack.database.url!, { max: 1, onnotice: () => {} });
      let release!: () => void;
      const released = new Promise<void>((resolve) => (release = resolve));
      let locked!: () => void;
      const lockTaken = new Promise<void>((resolve) => (locked = resolve));
      const holding = locker.begin(async (tx) => {
        await tx`select id from cases where id = ${ids[2]!} for update`;
        locked();
        await released;
      });
      await lockTaken;
      try {
        await stack.stopWorker();
        await worker.start();
        const handle = await stack.client.workflow.start(retentionWorkflow, {
          taskQueue: stack.temporal.taskQueue,
          workflowId: `retention-crash-${process.pid}`,
          args: [{ afterCloseMs: period, batchSize: 2 }],
        });
        const erasedSoFar = async () => (await stack.database.db.select({ id: cases.id }).from(cases).where(sql`${cases.erasedAt} is not null and ${inArray(cases.id, ids)}`)).map((r) => r.id);
        // The first batch is committed and the second waits on the lock.
        await eventually(async () => (await erasedSoFar()).length === 2, 30_000, 'the first batch');
        await eventually(async () => {
          const [waiting] = await stack.database.db.execute<{ n: number }>(sql`select count(*)::int as n from pg_stat_activity where wait_event_type = 'Lock' and datname = current_database()`).then((r) => (Array.isArray(r) ? r : (r as { rows: { n: number }[] }).rows));
          return (waiting?.n ?? 0) > 0;
        }, 30_000, 'the second batch waiting on the locked row');
        const firstBatch = new Map((await Promise.all(ids.map(row))).filter((r) => r!.erasedAt).map((r) => [r!.id, r!.erasedAt!.toISOString()]));
        expect([...firstBatch.keys()].sort()).toEqual(ids.slice(0, 2).sort());

        await worker.kill();
        release();
        await holding;
        await stack.startWorker();
        const result = await handle.result();
        // Exactly five erased across the run: the killed batch's writes were rolled back and made once.
        expect(result.erased).toBe(5);
        for (const id of ids) {
          const after = await everything(id);
          expectErased(id, after);
          expect(facts(after)).toEqual(facts(snapshot.get(id)!));
        }
        // The first batch was not erased again.
        for (const [id, at] of firstBatch) expect((await row(id))!.erasedAt!.toISOString()).toBe(at);
      } finally {
        release();
        await holding.catch(() => undefined);
        await locker.end();
        await worker.kill();
        if (stack.worker.getState() !== 'RUNNING') await stack.startWorker();
      }
    });
  });

  it('a case id Temporal does not know is treated as ended (its history is gone)', async () => {
    await expect(stack.client.workflow.getHandle(caseWorkflowId(old[3]!)).describe()).rejects.toBeInstanceOf(WorkflowNotFoundError);
  });
});
