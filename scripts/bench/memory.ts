import crypto from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { Connection } from '@temporalio/client';
import postgres from 'postgres';
import { caseStart } from '../../api/cases/routes';
import { formatPayloadKeys, type PayloadKey } from '../../config/payload-keys';
import { demo } from '../../db/seed';
import { clientOn } from '../../temporal/client';
import { type OpenCaseInput, openedUpdate } from '../../workflows/case/messages';
import { cpuSeconds, freshDatabase, launch, startQuietDevServer, mb, memoryReportEnv, type MemoryReport, readMemory, rssOf, treeRss, waitFor } from './processes';
import type { BenchOptions, Figure, Section, SectionResult } from './section';
import { startService } from './stack';

/**
 * Worker memory with many open cases waiting on their commitments' timers (issue 13: ≤ 400 MB at 10 000).
 * Cases are opened by starting the case workflow directly with @temporalio/client — the same input and
 * update-with-start (`opened`) the API sends, without the API's HTTP, lock and id allocation — so that
 * more fit the bench's budget. Each `opened` answer means the case is on record; the read model's rows
 * are counted before sampling. The worker opens cases at what its database allows (about 7/s on PGlite,
 * 25/s on PostgreSQL on the 2-core reference machine), so the full run opens up to 10 000 within
 * `openingBudgetMs` per topology and names the number it reached; the sticky cache's bound
 * (WORKER_MAX_CACHED_WORKFLOWS) is reached long before, and past it the RSS stays flat. Measured:
 * - the embedded default (`npm start`, PGlite): the one process holds the API, the worker and PGlite;
 * - with DATABASE_URL: `npm start` idle on PostgreSQL (PGlite's own cost is the difference), and a
 *   separate worker process (`npm run worker`) alone with the cases.
 */

const maxRssMb = 400;
const openingBudgetMs = 90_000;

export const memory: Section = {
  name: 'memory',
  async run(o: BenchOptions): Promise<SectionResult> {
    const n = o.quick ? 300 : 10_000;
    const budgetMs = o.quick ? 120_000 : openingBudgetMs;
    const figures: Figure[] = [];
    const json: Record<string, unknown> = { openCases: n, opening: 'workflow start + opened update via @temporalio/client' };

    const embedded = await embeddedRun(o, n, budgetMs);
    json.embedded = embedded;
    figures.push(
      { name: 'npm start RSS idle, PGlite (API + worker + PGlite)', value: `${embedded.idle.rssMb} MB` },
      {
        name: `npm start RSS, ${embedded.opening.n} open cases on timers (API + worker + PGlite; opened via client${embedded.opening.n < n ? `, ${n} did not fit ${budgetMs / 1000} s` : ''})`,
        value: `${embedded.loaded.rssMb} MB (heap ${embedded.loaded.heapUsedMb} MB, ${embedded.loaded.cachedWorkflows ?? '?'} cached)`,
        target: `≤ ${maxRssMb} MB`,
        met: embedded.loaded.rssMb <= maxRssMb,
      },
    );
    if (o.databaseUrl) {
      const idle = await postgresIdle(o);
      json.npmStartPostgresIdle = idle;
      figures.push({ name: 'npm start RSS idle, PostgreSQL (PGlite cost = difference)', value: `${idle.rssMb} MB (PGlite ≈ ${embedded.idle.rssMb - idle.rssMb} MB)` });
      const worker = await separateWorkerRun(o, n, budgetMs);
      json.separateWorker = worker;
      figures.push({
        name: `worker process RSS, ${worker.opening.n} open cases on timers (PostgreSQL; opened via client${worker.opening.n < n ? `, ${n} did not fit ${budgetMs / 1000} s` : ''})`,
        value: `${worker.loaded.rssMb} MB (heap ${worker.loaded.heapUsedMb} MB, ${worker.loaded.cachedWorkflows ?? '?'} cached)`,
        target: `≤ ${maxRssMb} MB`,
        met: worker.loaded.rssMb <= maxRssMb,
      });
    } else {
      figures.push({ name: 'worker process RSS with PostgreSQL', value: 'needs DATABASE_URL' });
    }
    return { figures, json };
  },
};

interface Sample {
  rssMb: number;
  /** The process and its children (npm start's dev server). */
  treeRssMb: number;
  heapUsedMb: number;
  heapLimitMb: number;
  externalMb: number;
  cachedWorkflows?: number;
}

async function embeddedRun(o: BenchOptions, n: number, budgetMs: number) {
  const service = await startService({ env: memoryReportEnv(), log: o.log });
  try {
    const idle = await settledSample(service.pid, o);
    o.log(`memory: npm start idle (PGlite) ${idle.rssMb} MB; opening ${n} cases`);
    const opening = await openCases({ address: service.temporalAddress, namespace: service.namespace, taskQueue: service.taskQueue, payloadKeys: service.payloadKeys, n, budgetMs, log: o.log });
    const admin = await service.token({ sub: 'bench-admin', role: 'admin' });
    await waitFor(async () => (await countCasesViaApi(service.apiUrl, admin)) >= opening.n, 120_000, `${opening.n} case rows in the read model`);
    const loaded = await settledSample(service.pid, o);
    o.log(`memory: npm start with ${opening.n} open cases ${loaded.rssMb} MB (heap ${loaded.heapUsedMb} MB)`);
    return { idle, loaded, opening };
  } finally {
    await service.stop();
  }
}

async function postgresIdle(o: BenchOptions) {
  const service = await startService({ databaseUrl: o.databaseUrl, env: memoryReportEnv(), log: o.log });
  try {
    return await settledSample(service.pid, o);
  } finally {
    await service.stop();
  }
}

/** A dev server and one worker process (`npm run worker`) on a fresh database; no API. */
async function separateWorkerRun(o: BenchOptions, n: number, budgetMs: number) {
  const db = await freshDatabase(o.databaseUrl!);
  const devServer = await startQuietDevServer('default');
  const taskQueue = 'stationflow-bench';
  const payloadKeys = [{ id: 'bench', key: crypto.randomBytes(32) }];
  const worker = launch(
    'worker',
    'temporal/worker-main.ts',
    { DATABASE_URL: db.url, TEMPORAL_ADDRESS: devServer.address, TEMPORAL_NAMESPACE: 'default', TEMPORAL_TASK_QUEUE: taskQueue, AUTH_SECRET: crypto.randomBytes(32).toString('hex'), PAYLOAD_KEYS: formatPayloadKeys(payloadKeys), NODE_ENV: 'production' },
    o.log,
  );
  const sql = postgres(db.url, { max: 1, onnotice: () => {} });
  try {
    const idle = await settledSample(worker.pid, o, 120_000);
    const opening = await openCases({ address: devServer.address, namespace: 'default', taskQueue, payloadKeys, n, budgetMs, log: o.log });
    await waitFor(async () => Number((await sql`select count(*)::int as n from cases`)[0]!.n) >= opening.n, 120_000, `${opening.n} case rows in the read model`);
    const loaded = await settledSample(worker.pid, o);
    o.log(`memory: worker process with ${opening.n} open cases ${loaded.rssMb} MB (heap ${loaded.heapUsedMb} MB)`);
    return { idle, loaded, opening };
  } finally {
    await sql.end();
    await worker.stop();
    await devServer.stop();
    await db.drop();
  }
}

/**
 * Waits until the process is idle (under 5 % of a core over 2 s, at most `timeoutMs`), then samples
 * three times a second apart and keeps the largest RSS (with the heap of that sample).
 */
async function settledSample(pid: number, o: BenchOptions, timeoutMs = 60_000): Promise<Sample> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const before = cpuSeconds(pid);
    await sleep(2000);
    const busy = (cpuSeconds(pid) - before) / 2;
    if (busy < 0.05) break;
    if (Date.now() > until) {
      o.log(`memory: process ${pid} still ${(busy * 100).toFixed(0)} % busy; sampling anyway`);
      break;
    }
  }
  const samples: Sample[] = [];
  for (let i = 0; i < 3; i++) {
    if (i) await sleep(1000);
    const m: MemoryReport = await readMemory(pid);
    samples.push({ rssMb: mb(rssOf(pid)), treeRssMb: mb(treeRss(pid)), heapUsedMb: mb(m.heapUsed), heapLimitMb: mb(m.heapLimit), externalMb: mb(m.external), cachedWorkflows: m.cachedWorkflows });
  }
  return samples.reduce((a, b) => (b.rssMb > a.rssMb ? b : a));
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Opens n cases of the demo station (a plumbing repair: its response clock of 2 hours and resolution
 * clock of 24 hours keep timers waiting), `concurrency` at a time, each as the API does: update-with-start
 * of the case workflow with its `opened` update, answered once the case is on record. No new one is
 * started after `budgetMs`; the result says how many were opened.
 */
export async function openCases(o: { address: string; namespace: string; taskQueue: string; payloadKeys: PayloadKey[]; n: number; concurrency?: number; budgetMs?: number; log: (line: string) => void }) {
  const connection = await Connection.connect({ address: o.address });
  const client = clientOn(connection, o);
  const station = demo.stations[0]!;
  const item = demo.serviceItems.find((s) => s.code === 'home-plumbing-repair')!;
  const klass = demo.deadlineClasses.find((d) => d.code === item.deadlineClass)!;
  const day = new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Shanghai', year: 'numeric', month: '2-digit', day: '2-digit' }).format(new Date()).replace(/-/g, '');
  const run = crypto.randomInt(1, 9);
  const input = (i: number): OpenCaseInput => ({
    caseId: `${station.casePrefix}-${day}-${run}${String(i).padStart(5, '0')}`,
    stationId: station.id,
    subdistrictId: station.subdistrictId,
    serviceCode: item.code,
    category: item.category,
    deadlineClass: klass.code,
    channel: 'walk-in',
    demand: 'Bench: kitchen pipe leaking',
    resident: { name: 'Bench resident', phone: `13${crypto.randomInt(0, 1e9).toString().padStart(9, '0')}` },
    openedBy: { id: 'bench-staff', role: 'staff' },
    openedAt: new Date().toISOString(),
    catalogue: { name: item.name, handlingMode: item.handlingMode, requiredDocuments: [], needsHomeVisit: false, issuesCertificate: false },
    rules: {
      responseGoal: klass.responseGoal,
      responseUnit: klass.responseUnit,
      resolutionGoal: klass.resolutionGoal,
      resolutionUnit: klass.resolutionUnit,
      escalateOnBreach: klass.escalateOnBreach,
      callBackAfterHours: 72,
      reopenWindowHours: 360,
    },
  });
  const started = performance.now();
  let next = 0;
  let done = 0;
  const progress = setInterval(() => o.log(`memory: ${done}/${o.n} cases open (${(done / ((performance.now() - started) / 1000)).toFixed(0)}/s)`), 15_000);
  try {
    await Promise.all(
      Array.from({ length: o.concurrency ?? 100 }, async () => {
        while (next < o.n && performance.now() - started < (o.budgetMs ?? Infinity)) {
          const c = input(next++);
          // The start the API sends (api/cases/routes.ts), without the HTTP in front of it.
          const op = caseStart(c, o.taskQueue);
          await client.workflow.executeUpdateWithStart(openedUpdate, { updateId: 'opened', startWorkflowOperation: op });
          done++;
        }
      }),
    );
  } finally {
    clearInterval(progress);
    await connection.close();
  }
  const seconds = (performance.now() - started) / 1000;
  return { n: done, seconds: Math.round(seconds), perSecond: Math.round(done / seconds) };
}

/** Case rows in the read model, counted through the API's list (100 a page). */
async function countCasesViaApi(apiUrl: string, token: string): Promise<number> {
  let count = 0;
  let cursor: string | undefined;
  do {
    const res = await fetch(`${apiUrl}/api/cases?limit=100${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`, { headers: { authorization: `Bearer ${token}` } });
    if (!res.ok) throw new Error(`GET /api/cases: ${res.status}`);
    const page = (await res.json()) as { items: unknown[]; nextCursor?: string };
    count += page.items.length;
    cursor = page.nextCursor;
  } while (cursor);
  return count;
}
