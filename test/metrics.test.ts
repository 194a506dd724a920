import crypto from 'node:crypto';
import http from 'node:http';
import net, { type AddressInfo } from 'node:net';
import { eq, inArray, sql } from 'drizzle-orm';
import { Gauge, type Registry } from 'prom-client';
import { createApp } from '../api/app';
import { isLoopback } from '../api/metrics/access';
import { type MetricsDeps, registerCollector } from '../api/metrics/collectors';
import { runtimeMetricsUrl, scrapeRuntimeMetrics } from '../api/metrics/worker';
import { ConfigError, loadConfig } from '../config';
import { createLogger } from '../config/logger';
import { interventionActions } from '../api/metrics/supervision';
import { defaultThresholds, stuckReasons } from '../api/supervision/reasons';
import { summarizeStuck } from '../api/supervision/stuck';
import { caseEvents, cases, channelTypes, deadlineClasses, deliveries, notifications, stations } from '../db/schema';
import { stages } from '../workflows/case/messages';
import { installTemporalRuntime } from '../temporal/runtime';
import { freePort } from './helpers/ports';
import { expectProblem } from './helpers/problems';
import { api, eventually, useStack } from './helpers/stack';

/** One sample of the text exposition: `name{label="value",…} value`. */
interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** Parses Prometheus' text format strictly: a line that is neither a comment nor a sample fails the test. */
function parseExposition(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)(?: -?\d+)?$/.exec(line);
    if (!m) throw new Error(`not a line of the text exposition: ${JSON.stringify(line)}`);
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) {
      labels[l[1]!] = l[2]!.replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c));
    }
    samples.push({ name: m[1]!, labels, value: Number(m[3]) });
  }
  return samples;
}

/** A metric's samples as `{ "label=value,…": value }` (labels in the order given), for exact comparisons. */
function series(samples: Sample[], name: string, labelNames: string[]): Record<string, number> {
  return Object.fromEntries(
    samples.filter((s) => s.name === name).map((s) => [labelNames.map((l) => `${l}=${s.labels[l] ?? ''}`).join(','), s.value]),
  );
}

const get = (url: string, headers: Record<string, string> = {}) => api({ url }, 'GET', '/metrics', { headers });

/**
 * An app built as the stack builds its own, on its own HTTP server, whose sockets report `remote.address` as
 * their peer: how a client on another host looks to the app (every test connection really comes from loopback).
 */
async function serveApp(make: () => http.RequestListener, remote: { address?: string } = {}) {
  const server = http.createServer(make());
  // Read at each request (fetch keeps connections alive across tests), the socket's own address otherwise.
  server.prependListener('connection', (socket: net.Socket) => {
    const own = socket.remoteAddress;
    Object.defineProperty(socket, 'remoteAddress', { get: () => remote.address ?? own });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** One raw HTTP/1.1 request, for what fetch will not send (repeated headers): the status code. */
function rawStatus(url: string, head: string): Promise<number> {
  const { port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = net.connect(Number(port), '127.0.0.1', () => socket.write(`${head}\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n`));
    let data = '';
    socket.on('data', (chunk) => (data += chunk.toString('latin1')));
    socket.on('end', () => resolve(Number(/^HTTP\/1\.1 (\d{3})/.exec(data)?.[1])));
    socket.on('error', reject);
  });
}

// The worker's Temporal runtime serves its metrics here, as npm start's does with WORKER_METRICS_ADDRESS. This
// hook runs before useStack's (hooks run in the order they are declared), so the stack's worker uses this
// runtime (the stack's own install is then a no-op) and the app appends its series to GET /metrics.
let runtimePort = 0;
beforeAll(async () => {
  runtimePort = await freePort();
  installTemporalRuntime(createLogger(process.env.TEST_LOG_LEVEL ?? 'warn'), { metricsAddress: `127.0.0.1:${runtimePort}` });
});

describe('GET /metrics', () => {
  const { stack, tokens } = useStack();

  /** What the residents of this file's cases are called, and what they asked: none of it may reach /metrics. */
  const secrets = {
    names: ['Metrics Resident 钱秘密', 'Metrics Resident Zhou Hidden', 'Metrics Resident Wu Private', 'Metrics Resident Late'],
    phones: ['13911112222', '13933334444', '13955556666', '13977778888'],
    address: 'Building 77, Secret Hutong',
    demand: 'Water dripping through the ceiling (metrics-demand-text)',
  };
  /** Case ids the API handed out in this file, and those inserted below: no label may carry one. */
  const caseIds: string[] = [];

  async function openThroughApi(i: number, extra: Record<string, unknown> = {}): Promise<string> {
    const res = await api(stack, 'POST', '/api/cases', {
      token: tokens.staff,
      body: {
        serviceCode: 'home-plumbing-repair',
        demand: secrets.demand,
        resident: { name: secrets.names[i], phone: secrets.phones[i], address: secrets.address },
        ...extra,
      },
    });
    expect(res.status).toBe(201);
    caseIds.push(res.body.id);
    return res.body.id;
  }

  const stageOf = async (id: string) => (await stack.database.db.select({ stage: cases.stage }).from(cases).where(eq(cases.id, id)))[0]?.stage;

  /** A read-model row as the projection writes it, at the test's own station. */
  const row = (id: string, stage: string, deadlineClass: string, overdue: boolean) => ({
    id,
    workflowId: `case-${id}`,
    stationId: 'metrics-east',
    serviceCode: 'home-plumbing-repair',
    category: 'life' as const,
    deadlineClass,
    channel: 'walk-in' as const,
    demand: secrets.demand,
    resident: { name: secrets.names[0]!, phone: secrets.phones[0] },
    stage,
    openedBy: 'wang',
    openedAt: new Date(),
    updatedAt: new Date(),
    overdue,
  });

  beforeAll(async () => {
    const { db } = stack.database;
    // A second station, with cases written straight into the read model (no workflow behind them).
    await db.insert(stations).values({ id: 'metrics-east', subdistrictId: 'xinjiekou', name: 'Metrics East', nameZh: '指标东', casePrefix: 'MX' });
    // Response due 3 s after opening: a case of this class breaches (is marked overdue by its workflow) at once.
    await db.insert(deadlineClasses).values({
      code: 'metrics-fast',
      name: 'Test: three seconds',
      nameZh: '测试',
      responseGoal: 0.05,
      responseUnit: 'minutes',
      resolutionGoal: 60,
      resolutionUnit: 'minutes',
    });
    await db.insert(cases).values([
      row('MX-20261123-0001', 'execute', 'emergency', true),
      row('MX-20261123-0002', 'execute', 'emergency', true),
      row('MX-20261123-0003', 'plan', 'general', false),
      // Closed: in no figure, though it is still marked overdue.
      row('MX-20261123-0004', 'closed', 'complex', true),
    ]);
    caseIds.push('MX-20261123-0001', 'MX-20261123-0002', 'MX-20261123-0003', 'MX-20261123-0004');

    // Notices to a partner in every delivery state, and their delivery log.
    const notice = (key: string, deliveryStatus: 'delivering' | 'delivered' | 'unreachable' | 'abandoned' | null) => ({
      key: `metrics-${key}`,
      caseId: 'MX-20261123-0001',
      recipientKind: 'partner' as const,
      recipientId: 'anju-repair',
      kind: 'task.assigned',
      createdAt: new Date(),
      partnerId: 'anju-repair',
      deliveryStatus,
    });
    const made = await db
      .insert(notifications)
      .values([notice('dead-1', 'unreachable'), notice('dead-2', 'unreachable'), notice('trying', 'delivering'), notice('done', 'delivered'), notice('dropped', 'abandoned'), notice('outbox', null)])
      .returning({ key: notifications.key, notificationId: notifications.notificationId });
    const id = (key: string) => made.find((m) => m.key === `metrics-${key}`)!.notificationId;
    const log = (key: string, round: number, channel: 'webhook' | 'email' | 'sms', status: 'trying' | 'delivered' | 'gave-up') => ({
      notificationId: id(key),
      caseId: 'MX-20261123-0001',
      partnerId: 'anju-repair',
      round,
      channel,
      status,
      attempts: 3,
      lastError: status === 'gave-up' ? 'HTTP 410' : null,
    });
    await db
      .insert(deliveries)
      .values([
        log('dead-1', 1, 'webhook', 'gave-up'),
        log('dead-1', 1, 'email', 'gave-up'),
        log('dead-2', 1, 'email', 'gave-up'),
        log('dead-2', 1, 'sms', 'trying'),
        log('done', 1, 'email', 'delivered'),
      ]);
  });

  describe('the figures', () => {
    let accepted: string;
    let late: string;

    beforeAll(async () => {
      // Through the API: three cases at qianggen, one of them accepted (now in diagnose) ...
      await openThroughApi(0);
      await openThroughApi(1);
      accepted = await openThroughApi(2);
      const res = await api(stack, 'POST', `/api/cases/${accepted}/acceptance`, { token: tokens.staff, body: { decision: 'accept' } });
      expect(res.status).toBe(200);
      // ... and one whose response commitment breaches within seconds: its workflow marks it overdue.
      late = await openThroughApi(3, { deadlineClass: 'metrics-fast' });
      await eventually(async () => (await stageOf(accepted)) === 'diagnose', 20_000, `${accepted} in diagnose in the read model`);
      await eventually(
        async () => (await stack.database.db.select({ overdue: cases.overdue }).from(cases).where(eq(cases.id, late)))[0]?.overdue === true,
        30_000,
        `${late} overdue in the read model`,
      );
    }, 90_000);

    it('serves the text exposition with the open cases by stage and station, exactly', async () => {
      const res = await get(stack.url);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
      const samples = parseExposition(res.body);
      expect(series(samples, 'stationflow_cases_open', ['stage', 'station'])).toEqual({
        'stage=accept,station=qianggen': 3,
        'stage=diagnose,station=qianggen': 1,
        'stage=execute,station=metrics-east': 2,
        'stage=plan,station=metrics-east': 1,
      });
      expect(res.body).toMatch(/^# TYPE stationflow_cases_open gauge$/m);
    });

    it('counts overdue open cases by deadline class, with 0 for every class without one', async () => {
      const samples = parseExposition((await get(stack.url)).body);
      expect(series(samples, 'stationflow_cases_overdue', ['deadline_class'])).toEqual({
        'deadline_class=emergency': 2,
        'deadline_class=metrics-fast': 1,
        'deadline_class=utilities': 0,
        'deadline_class=general': 0,
        'deadline_class=complex': 0,
      });
    });

    it('counts dead letters and notices being delivered, and the deliveries that gave up by channel', async () => {
      const samples = parseExposition((await get(stack.url)).body);
      expect(series(samples, 'stationflow_notifications_undelivered', ['status'])).toEqual({ 'status=unreachable': 2, 'status=delivering': 1 });
      expect(series(samples, 'stationflow_deliveries_failed_total', ['channel'])).toEqual({ 'channel=webhook': 1, 'channel=email': 2, 'channel=sms': 0 });
      expect((await get(stack.url)).body).toMatch(/^# TYPE stationflow_deliveries_failed_total counter$/m);
    });

    it('computes the figures at each scrape: a case that closes leaves them, a new dead letter joins them', async () => {
      const { db } = stack.database;
      await db.update(cases).set({ stage: 'closed' }).where(eq(cases.id, 'MX-20261123-0001'));
      await db.update(notifications).set({ deliveryStatus: 'unreachable' }).where(eq(notifications.key, 'metrics-trying'));
      await db.update(deliveries).set({ status: 'gave-up' }).where(eq(deliveries.channel, 'sms'));
      try {
        const samples = parseExposition((await get(stack.url)).body);
        expect(series(samples, 'stationflow_cases_open', ['stage', 'station'])['stage=execute,station=metrics-east']).toBe(1);
        expect(series(samples, 'stationflow_cases_overdue', ['deadline_class'])['deadline_class=emergency']).toBe(1);
        expect(series(samples, 'stationflow_notifications_undelivered', ['status'])).toEqual({ 'status=unreachable': 3, 'status=delivering': 0 });
        expect(series(samples, 'stationflow_deliveries_failed_total', ['channel'])['channel=sms']).toBe(1);
        // The last execute case at the station closes: its series goes, it does not stay at its old value.
        await db.update(cases).set({ stage: 'closed' }).where(eq(cases.id, 'MX-20261123-0002'));
        const after = series(parseExposition((await get(stack.url)).body), 'stationflow_cases_open', ['stage', 'station']);
        expect(after['stage=execute,station=metrics-east']).toBeUndefined();
        expect(after['stage=plan,station=metrics-east']).toBe(1);
      } finally {
        await db.update(cases).set({ stage: 'execute' }).where(inArray(cases.id, ['MX-20261123-0001', 'MX-20261123-0002']));
        await db.update(notifications).set({ deliveryStatus: 'delivering' }).where(eq(notifications.key, 'metrics-trying'));
        await db.update(deliveries).set({ status: 'trying' }).where(eq(deliveries.channel, 'sms'));
      }
    });

    describe('supervision: stuck cases and interventions', () => {
      const stuck = async (url = stack.url, headers: Record<string, string> = {}) =>
        series(parseExposition((await get(url, headers)).body), 'stationflow_stuck_cases', ['reason']);
      const interventions = async () => series(parseExposition((await get(stack.url)).body), 'stationflow_interventions_total', ['action']);
      const byReason = (counts: Record<string, number>) => Object.fromEntries(stuckReasons.map((r) => [`reason=${r}`, counts[r] ?? 0]));
      const daysAgo = (d: number) => new Date(Date.now() - d * 86_400_000);

      it('counts stuck cases by reason as the stuck summary does, 0 for every reason without one', async () => {
        const res = await get(stack.url);
        expect(res.body).toMatch(/^# TYPE stationflow_stuck_cases gauge$/m);
        const scraped = series(parseExposition(res.body), 'stationflow_stuck_cases', ['reason']);
        const totals = (await summarizeStuck(stack.database.db, {}, new Date(), defaultThresholds))
          .filter((r) => r.total)
          .reduce<Record<string, number>>((m, r) => ({ ...m, [r.reason]: r.cases }), {});
        expect(scraped).toEqual(byReason(totals));
        // The late case (its response commitment breached) and the rows marked overdue; the dead letters' one case.
        expect(scraped['reason=overdue']).toBeGreaterThanOrEqual(3);
        expect(scraped['reason=partner-unreachable']).toBe(1);
        // Nothing here waits on the resident, is closed awaiting a call-back, or is a whistle's.
        for (const r of ['awaiting-resident', 'call-back-due', 'check-in-missed', 'report-overdue']) expect(scraped[`reason=${r}`]).toBe(0);
        // Every case just opened made progress moments ago.
        expect(scraped['reason=idle']).toBe(0);
      });

      it('follows the read model at each scrape: an idle case joins, then the same case overdue too, each case once per reason', async () => {
        const { db } = stack.database;
        const before = await stuck();
        try {
          // The plan case at metrics-east: no progress for three days (its class, general, allows 48 h).
          await db.update(cases).set({ lastProgressAt: daysAgo(3) }).where(eq(cases.id, 'MX-20261123-0003'));
          const idle = await stuck();
          expect(idle).toEqual({ ...before, 'reason=idle': before['reason=idle']! + 1 });
          // Now overdue on two commitments as well: one more overdue case (not two), and still idle.
          const commitment = (clock: string) => ({ clock, kind: 'resolution', dueAt: daysAgo(1).toISOString(), assignee: { kind: 'staff', id: 'wang' } });
          await db.update(cases).set({ overdue: true, overdueCommitments: [commitment('resolution'), commitment('task:t1')] }).where(eq(cases.id, 'MX-20261123-0003'));
          expect(await stuck()).toEqual({ ...idle, 'reason=overdue': before['reason=overdue']! + 1 });
          // Paused for the resident eight days: waiting on the resident, no longer idle.
          await db.update(cases).set({ overdue: false, overdueCommitments: [], paused: true, pausedSince: daysAgo(8) }).where(eq(cases.id, 'MX-20261123-0003'));
          expect(await stuck()).toEqual({ ...before, 'reason=awaiting-resident': before['reason=awaiting-resident']! + 1 });
        } finally {
          await db
            .update(cases)
            .set({ lastProgressAt: null, overdue: false, overdueCommitments: [], paused: false, pausedSince: null })
            .where(eq(cases.id, 'MX-20261123-0003'));
        }
        expect(await stuck()).toEqual(before);
      });

      it("judges idleness by the app's stuck thresholds (STUCK_IDLE_AFTER for classes without their own)", async () => {
        // An app whose idle threshold is a millisecond: the late case's class has no idle_after_hours of its own.
        const server = await serveApp(() =>
          createApp({
            config: { BODY_LIMIT: '100kb', PUBLIC_URL: undefined },
            database: stack.database,
            client: stack.client,
            temporal: stack.temporal,
            auth: stack.auth,
            log: createLogger('silent'),
            stuckThresholds: { idleAfterMs: 1 },
          }),
        );
        try {
          const strict = await stuck(server.url);
          expect(strict['reason=idle']).toBe((await stuck())['reason=idle']! + 1);
        } finally {
          await server.close();
        }
      });

      it('counts interventions on the timeline by action, a whistle decided by replacing its department among them, an urge through the API too', async () => {
        const { db } = stack.database;
        const before = await interventions();
        expect(Object.keys(before).sort()).toEqual(Object.keys(interventionActions).map((a) => `action=${a}`).sort());
        let seq = 1000;
        const event = (type: string, data: Record<string, unknown> = {}) => ({
          caseId: 'MX-20261123-0001',
          eventKey: `metrics-intervention-${(seq += 1)}`,
          seq,
          type,
          actor: 'chen',
          actorRole: 'supervisor',
          at: new Date(),
          // The reason in words may name the resident: it is data, never a label.
          data: { ...data, reason: `${secrets.names[0]} called again: ${secrets.demand}` },
        });
        const party = { kind: 'department', id: 'housing' };
        await db.insert(caseEvents).values([
          event('case.urged', { target: 'department', party, count: 1, whistleId: 'W-metrics' }),
          event('case.urged', { target: 'department', party, count: 2, whistleId: 'W-metrics' }),
          event('case.urged', { target: 'owner', party: { kind: 'staff', id: 'wang' }, count: 1 }),
          event('case.reassigned', { from: { kind: 'staff', id: 'wang' }, to: { kind: 'staff', id: 'li' } }),
          event('task.reassigned', { taskId: 't1', from: { kind: 'partner', id: 'anju-repair' }, to: { kind: 'partner', id: 'other' } }),
          event('case.withdrawn', { kind: 'duplicate', duplicateOf: 'MX-20261123-0002' }),
          event('commitment.extended', { clock: 'resolution' }),
          event('case.reset', {}),
          event('delivery.retried', { notificationId: '0b5e4a52-7c1d-4c8f-9d7e-2f1a3b4c5d6e', round: 2 }),
          event('whistle.decided', { departmentId: 'housing', decision: 'replace', replacement: 'water' }),
          // Not interventions counted: a dispute insisted on or released, and an ordinary event.
          event('whistle.decided', { departmentId: 'housing', decision: 'insist' }),
          event('whistle.decided', { departmentId: 'housing', decision: 'release' }),
          event('case.accepted', {}),
        ]);
        // And one urge through the API, as a supervisor does it: the case's workflow writes the event.
        const urged = await api(stack, 'POST', `/api/cases/${accepted}/urge`, { token: tokens.supervisor, body: { target: 'owner', reason: 'The resident called twice' } });
        expect(urged.status).toBe(200);
        await eventually(async () => (await interventions())['action=urge'] === before['action=urge']! + 4, 20_000, 'the urge on the timeline');
        const text: string = (await get(stack.url)).body;
        expect(text).toMatch(/^# TYPE stationflow_interventions_total counter$/m);
        const after = series(parseExposition(text), 'stationflow_interventions_total', ['action']);
        const added = Object.fromEntries(Object.entries(after).map(([k, v]) => [k, v - before[k]!]));
        expect(added).toEqual({
          'action=urge': 4,
          'action=reassign': 1,
          'action=reassign-task': 1,
          'action=withdraw': 1,
          'action=extend': 1,
          'action=reset': 1,
          'action=retry': 1,
          'action=replace-department': 1,
        });
        // Nothing of the events' data reaches the exposition.
        for (const secret of [secrets.names[0]!, secrets.demand, 'W-metrics', 'MX-20261123']) expect(text).not.toContain(secret);
      });

      it("reads the timeline through the interventions' partial index: its predicate lists exactly the counted types", async () => {
        const rows = await stack.database.db.execute(sql`select indexdef from pg_indexes where indexname = 'case_events_interventions_idx'`);
        const [index] = ((rows as unknown as { rows?: { indexdef: string }[] }).rows ?? (rows as unknown as { indexdef: string }[])).map((r) => r.indexdef);
        const listed = [...index!.matchAll(/'([a-z.-]+)'::text/g)].map((m) => m[1]).sort();
        expect(listed).toEqual([...new Set(Object.values(interventionActions))].sort());
      });
    });

    it('carries no personal data: no name, phone, address, demand text or case id anywhere, and labels from known vocabularies only', async () => {
      const text: string = (await get(stack.url)).body;
      for (const secret of [...secrets.names, ...secrets.phones, secrets.address, secrets.demand, ...caseIds]) expect(text).not.toContain(secret);
      // Not even in pieces: no part of a name, the address or the demand, no case id's prefix.
      for (const piece of ['钱秘密', 'Zhou', 'Hidden', 'Secret', 'Hutong', 'ceiling', 'metrics-demand', 'MX-2026', 'QG-']) expect(text).not.toContain(piece);
      // No label value anywhere (the worker's series included) is shaped like a mobile number (histogram bounds aside).
      for (const s of parseExposition(text)) for (const [l, v] of Object.entries(s.labels)) if (l !== 'le') expect(v).not.toMatch(/1[3-9]\d{9}/);
      const samples = parseExposition(text);
      const known: Record<string, Set<string>> = {
        stage: new Set(stages.filter((s) => s !== 'closed')),
        station: new Set((await stack.database.db.select({ id: stations.id }).from(stations)).map((s) => s.id)),
        deadline_class: new Set((await stack.database.db.select({ code: deadlineClasses.code }).from(deadlineClasses)).map((d) => d.code)),
        status: new Set(['unreachable', 'delivering']),
        channel: new Set(channelTypes),
        reason: new Set(stuckReasons),
        action: new Set(Object.keys(interventionActions)),
      };
      const ours = samples.filter((s) => /^stationflow_(cases|notifications|deliveries|stuck|interventions)_/.test(s.name));
      expect(ours.length).toBeGreaterThanOrEqual(14 + stuckReasons.length + Object.keys(interventionActions).length);
      for (const s of ours) {
        for (const [label, value] of Object.entries(s.labels)) expect({ metric: s.name, label, known: known[label]?.has(value) ?? false }).toEqual({ metric: s.name, label, known: true });
      }
    });

    it("includes the Node process's metrics, prefixed stationflow_api_", async () => {
      const samples = parseExposition((await get(stack.url)).body);
      const names = new Set(samples.map((s) => s.name));
      for (const name of ['stationflow_api_process_cpu_user_seconds_total', 'stationflow_api_process_resident_memory_bytes', 'stationflow_api_nodejs_heap_size_used_bytes', 'stationflow_api_nodejs_eventloop_lag_seconds']) {
        expect({ name, present: names.has(name) }).toEqual({ name, present: true });
      }
      // Only with the prefix: the unprefixed default names are not there.
      expect([...names].filter((n) => n.startsWith('process_') || n.startsWith('nodejs_'))).toEqual([]);
      expect(samples.find((s) => s.name === 'stationflow_api_process_resident_memory_bytes')!.value).toBeGreaterThan(0);
    });

    it("appends the worker's Temporal runtime metrics when this process runs the worker", async () => {
      // What the runtime's own endpoint serves, read first: series only ever join, so all of them must follow.
      const direct = parseExposition(await (await fetch(`http://127.0.0.1:${runtimePort}/metrics`)).text());
      const samples = parseExposition((await get(stack.url)).body);
      expect(samples.filter((s) => s.name === 'stationflow_worker_metrics_up').map((s) => s.value)).toEqual([1]);
      // The worker's own series: on this stack's task queue, from the core SDK's exporter.
      const worker = samples.filter((s) => s.name.startsWith('temporal_') && s.labels.task_queue === stack.temporal.taskQueue);
      expect(worker.length).toBeGreaterThan(0);
      expect(worker.filter((s) => s.labels.service_name !== 'temporal-core-sdk')).toEqual([]);
      const appended = new Set(samples.filter((s) => s.name.startsWith('temporal_')).map((s) => s.name));
      const directNames = [...new Set(direct.map((s) => s.name))];
      expect(directNames.length).toBeGreaterThan(0);
      expect(directNames.filter((n) => !appended.has(n))).toEqual([]);
      // Nothing of the API's own registry comes twice.
      expect(samples.filter((s) => s.name === 'stationflow_api_process_resident_memory_bytes')).toHaveLength(1);
    });
  });

  describe("the worker's runtime metrics", () => {
    it('reads a wildcard bind on loopback', () => {
      expect(runtimeMetricsUrl('0.0.0.0:9464')).toBe('http://127.0.0.1:9464/metrics');
      expect(runtimeMetricsUrl('[::]:9464')).toBe('http://[::1]:9464/metrics');
      expect(runtimeMetricsUrl('10.1.2.3:9000')).toBe('http://10.1.2.3:9000/metrics');
      expect(runtimeMetricsUrl('[fd00::5]:9000')).toBe('http://[fd00::5]:9000/metrics');
    });

    it('says up 0 and nothing else when the runtime does not answer, and logs it', async () => {
      const warnings: unknown[] = [];
      const text = await scrapeRuntimeMetrics(`http://127.0.0.1:${await freePort()}/metrics`, { warn: (...args: unknown[]) => warnings.push(args) } as never);
      const samples = parseExposition(text);
      expect(samples).toEqual([{ name: 'stationflow_worker_metrics_up', labels: {}, value: 0 }]);
      expect(warnings).toHaveLength(1);
    });

    it('says up 0 when the runtime answers an error', async () => {
      const failing = http.createServer((_req, res) => res.writeHead(500).end('temporal_fake 1\n'));
      await new Promise<void>((resolve) => failing.listen(0, '127.0.0.1', resolve));
      try {
        const text = await scrapeRuntimeMetrics(`http://127.0.0.1:${(failing.address() as AddressInfo).port}/metrics`, { warn: () => {} });
        expect(parseExposition(text)).toEqual([{ name: 'stationflow_worker_metrics_up', labels: {}, value: 0 }]);
      } finally {
        await new Promise<void>((resolve) => failing.close(() => resolve()));
      }
    });
  });

  describe('access without METRICS_TOKEN: loopback only', () => {
    const remote: { address?: string } = {};
    let server: Awaited<ReturnType<typeof serveApp>>;
    beforeAll(async () => {
      server = await serveApp(
        () => createApp({ config: { BODY_LIMIT: '100kb', PUBLIC_URL: undefined }, database: stack.database, client: stack.client, temporal: stack.temporal, auth: stack.auth, log: createLogger('silent') }),
        remote,
      );
    });
    afterAll(() => server.close());
    afterEach(() => {
      delete remote.address;
    });

    it.each(['127.0.0.1', '127.3.4.5', '::1', '::ffff:127.0.0.1'])('serves a client at %s', async (address) => {
      remote.address = address;
      const res = await get(server.url);
      expect(res.status).toBe(200);
      expect(res.body).toMatch(/^stationflow_cases_open\{/m);
    });

    it.each(['203.0.113.9', '10.0.0.7', '::ffff:192.168.1.20', '2001:db8::1', 'fe80::1', '128.0.0.1', '::'])('answers a client at %s 403 problem+json', async (address) => {
      remote.address = address;
      const res = await get(server.url);
      expectProblem(res, 403, { detail: /loopback clients only/, type: 'metrics-loopback-only', titled: true });
      expect(JSON.stringify(res.body)).not.toMatch(/stationflow_cases/);
    });

    it('gives a remote client nothing for forged forwarding headers or a user token', async () => {
      remote.address = '203.0.113.9';
      const attempts: Record<string, string>[] = [{ 'x-forwarded-for': '127.0.0.1' }, { forwarded: 'for=127.0.0.1' }, { 'x-real-ip': '::1' }, { authorization: `Bearer ${tokens.admin}` }];
      for (const headers of attempts) {
        expectProblem(await get(server.url, headers), 403, { type: 'metrics-loopback-only' });
      }
    });

    it('answers 403 to a request relayed by a proxy on the same machine', async () => {
      const relayed: Record<string, string>[] = [{ 'x-forwarded-for': '198.51.100.4' }, { forwarded: 'for=198.51.100.4;proto=https' }, { 'x-real-ip': '198.51.100.4' }, { 'x-forwarded-for': '127.0.0.1' }];
      for (const headers of relayed) {
        expectProblem(await get(server.url, headers), 403, { detail: /through a proxy/, type: 'metrics-loopback-only' });
      }
      expect((await get(server.url)).status).toBe(200);
    });

    it('knows loopback from everything else', () => {
      expect(['127.0.0.1', '127.255.255.254', '::1', '0:0:0:0:0:0:0:1', '::ffff:127.0.0.1', '::FFFF:127.1.2.3'].map(isLoopback)).toEqual([true, true, true, true, true, true]);
      expect([undefined, '', 'localhost', '::', '::2', '10.0.0.1', '::ffff:10.0.0.1', '126.0.0.1', '0.0.0.0', '127.0.0.1.evil'].map(isLoopback)).toEqual(Array(10).fill(false));
    });
  });

  describe('access with METRICS_TOKEN', () => {
    const token = crypto.randomBytes(32).toString('base64url');
    const remote: { address?: string } = {};
    let server: Awaited<ReturnType<typeof serveApp>>;
    beforeAll(async () => {
      server = await serveApp(
        () =>
          createApp({
            config: { BODY_LIMIT: '100kb', PUBLIC_URL: undefined, METRICS_TOKEN: token },
            database: stack.database,
            client: stack.client,
            temporal: stack.temporal,
            auth: stack.auth,
            log: createLogger('silent'),
          }),
        remote,
      );
    });
    afterAll(() => server.close());
    afterEach(() => {
      delete remote.address;
    });

    it('serves the bearer of the token, also on another host, the scheme in any case', async () => {
      remote.address = '203.0.113.9';
      for (const authorization of [`Bearer ${token}`, `bearer ${token}`, `BEARER  ${token}`]) {
        const res = await get(server.url, { authorization });
        expect({ authorization, status: res.status }).toEqual({ authorization, status: 200 });
        expect(series(parseExposition(res.body), 'stationflow_cases_open', ['stage', 'station'])['stage=plan,station=metrics-east']).toBe(1);
      }
    });

    it('answers 401 problem+json without the header, even on loopback', async () => {
      const res = await get(server.url);
      expectProblem(res, 401, { detail: /no Authorization header/, type: 'unauthorized', titled: true });
      expect(res.headers.get('www-authenticate')).toMatch(/^Bearer realm=/);
    });

    it.each([
      ['another scheme', `Basic ${Buffer.from(`metrics:${token}`).toString('base64')}`, /Bearer <METRICS_TOKEN>/],
      ['the scheme alone', 'Bearer', /Bearer <METRICS_TOKEN>/],
      ['the token without a scheme', token, /Bearer <METRICS_TOKEN>/],
      ['two tokens', `Bearer ${token} ${token}`, /Bearer <METRICS_TOKEN>/],
      ['the token and a comma', `Bearer ${token}, Bearer ${token}`, /Bearer <METRICS_TOKEN>/],
      ['a wrong token', `Bearer ${crypto.randomBytes(32).toString('base64url')}`, /not the metrics token/],
      ['the token with its last character changed', `Bearer ${token.slice(0, -1)}${token.endsWith('A') ? 'B' : 'A'}`, /not the metrics token/],
      ['a prefix of the token', `Bearer ${token.slice(0, 31)}`, /not the metrics token/],
      ['the token and more', `Bearer ${token}x`, /not the metrics token/],
      ['the token twice over', `Bearer ${token}${token}`, /not the metrics token/],
      ['the token in another case', `Bearer ${token.toUpperCase() === token ? token.toLowerCase() : token.toUpperCase()}`, /not the metrics token/],
      ['a very long token', `Bearer ${'A'.repeat(12_000)}`, /not the metrics token/],
      ['Latin-1 bytes', `Bearer ${token.slice(0, -1)}\u00e9`, /not the metrics token/],
      ['an empty token', 'Bearer ', /Bearer <METRICS_TOKEN>/],
    ])('answers 401 problem+json to %s', async (_what, authorization, detail) => {
      const res = await get(server.url, { authorization });
      expectProblem(res, 401, { detail, type: 'unauthorized' });
      expect(res.headers.get('www-authenticate')).toMatch(/^Bearer/);
      // Neither the sent value nor the real token is echoed.
      const body = JSON.stringify(res.body);
      expect(body).not.toContain(token);
      expect(body).not.toContain(token.slice(0, 12));
    });

    it("answers 401 to a user's token, whatever its role", async () => {
      for (const t of [tokens.admin, tokens.supervisor, tokens.staff]) expectProblem(await get(server.url, { authorization: `Bearer ${t}` }), 401, { detail: /not the metrics token/ });
    });

    it('takes the first of repeated Authorization headers, as Node does, so a second one cannot rescue a wrong first', async () => {
      expect(await rawStatus(server.url, `GET /metrics HTTP/1.1\r\nAuthorization: Bearer wrong-${token}\r\nAuthorization: Bearer ${token}`)).toBe(401);
      expect(await rawStatus(server.url, `GET /metrics HTTP/1.1\r\nAuthorization: Bearer ${token}`)).toBe(200);
    });
  });

  describe('the hook for other modules', () => {
    it("adds a registered collector's figures, to apps built before it was registered too, each once", async () => {
      let scrapes = 0;
      const collector = (registry: Registry, { database }: MetricsDeps) => {
        new Gauge({
          name: 'stationflow_test_stations',
          help: 'Stations (a test collector)',
          registers: [registry],
          async collect() {
            scrapes += 1;
            const [r] = await database.db.select({ n: sql<number>`count(*)::int` }).from(stations);
            this.set(Number(r!.n));
          },
        });
      };
      // The stack's app was built (and scraped) before this registration.
      registerCollector(collector);
      registerCollector(collector);
      const text: string = (await get(stack.url)).body;
      expect(parseExposition(text).filter((s) => s.name === 'stationflow_test_stations')).toEqual([{ name: 'stationflow_test_stations', labels: {}, value: 2 }]);
      expect(text.match(/^# TYPE stationflow_test_stations gauge$/gm)).toHaveLength(1);
      expect(scrapes).toBe(1);
      expect(parseExposition((await get(stack.url)).body).find((s) => s.name === 'stationflow_test_stations')?.value).toBe(2);
      expect(scrapes).toBe(2);
    });

    it('answers 503 problem+json, and logs, when a collector fails', async () => {
      let fail = false;
      registerCollector((registry) => {
        new Gauge({
          name: 'stationflow_test_failing',
          help: 'Fails when told to (a test collector)',
          registers: [registry],
          collect() {
            if (fail) throw new Error('relation "nowhere" does not exist');
            this.set(1);
          },
        });
      });
      expect((await get(stack.url)).status).toBe(200);
      fail = true;
      try {
        const res = await get(stack.url);
        expectProblem(res, 503, { detail: /could not be collected/, type: 'metrics-unavailable' });
        expect(JSON.stringify(res.body)).not.toMatch(/nowhere/);
        expect(stack.logLines.some((l) => /metrics could not be collected/.test(l) && /nowhere/.test(l))).toBe(true);
      } finally {
        fail = false;
      }
      expect((await get(stack.url)).status).toBe(200);
    });
  });
});

describe('metrics configuration', () => {
  const configError = (env: Record<string, string>): string => {
    try {
      loadConfig(env);
    } catch (err) {
      if (err instanceof ConfigError) return err.message;
      throw err;
    }
    throw new Error(`accepted ${JSON.stringify(env)}`);
  };

  it('takes a METRICS_TOKEN of at least 32 printable characters, never echoing a refused one', () => {
    const good = 'x'.repeat(16) + crypto.randomBytes(12).toString('hex');
    expect(loadConfig({ METRICS_TOKEN: good }).METRICS_TOKEN).toBe(good);
    expect(loadConfig({ METRICS_TOKEN: '' }).METRICS_TOKEN).toBeUndefined();
    expect(loadConfig({}).METRICS_TOKEN).toBeUndefined();
    const short = configError({ METRICS_TOKEN: 'short-but-secret' });
    expect(short).toMatch(/METRICS_TOKEN must be at least 32 characters/);
    expect(short).not.toContain('short-but-secret');
    const spaced = configError({ METRICS_TOKEN: 'secret with spaces that is long enough' });
    expect(spaced).toMatch(/METRICS_TOKEN must be printable ASCII without spaces/);
    expect(spaced).not.toContain('secret with spaces');
    expect(configError({ METRICS_TOKEN: `${'ü'.repeat(40)}` })).toMatch(/METRICS_TOKEN/);
  });

  it('takes WORKER_METRICS_ADDRESS as an IP address and a port', () => {
    for (const good of ['127.0.0.1:9464', '0.0.0.0:9464', '[::1]:9464', '[::]:1', '10.2.3.4:65535']) expect(loadConfig({ WORKER_METRICS_ADDRESS: good }).WORKER_METRICS_ADDRESS).toBe(good);
    expect(loadConfig({ WORKER_METRICS_ADDRESS: ' ' }).WORKER_METRICS_ADDRESS).toBeUndefined();
    for (const bad of ['localhost:9464', '127.0.0.1', '9464', '127.0.0.1:0', '127.0.0.1:65536', '::1:9464', '[localhost]:9464', '999.0.0.1:9464', 'http://127.0.0.1:9464', '127.0.0.1:9464/metrics']) {
      expect({ bad, message: configError({ WORKER_METRICS_ADDRESS: bad }) }).toEqual({ bad, message: expect.stringMatching(/WORKER_METRICS_ADDRESS must be ip:port/) });
    }
  });
});
