import { type ChildProcess, spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import postgres from 'postgres';
import { Auth, type Claims } from '../../api/http/auth';
import { localTemporalCli } from '../../temporal/dev-server';
import { freePort } from '../../test/helpers/ports';

/**
 * The bench's own launcher for the memory and scaling sections: the service's entry points as separate
 * processes (as a cluster runs them), each with memory-report.cjs preloaded so the bench can ask it for its
 * heap, and /proc readings of RSS and CPU time. Used by memory.ts and scaling.ts.
 */

const root = path.resolve(__dirname, '..', '..');

/** What memory-report.cjs writes. */
export interface MemoryReport {
  rss: number;
  heapUsed: number;
  heapTotal: number;
  heapLimit: number;
  external: number;
  arrayBuffers: number;
  cachedWorkflows?: number;
}

/** The environment that preloads memory-report.cjs into a service process, answering readMemory. */
export function memoryReportEnv(): { NODE_OPTIONS: string; BENCH_MEMORY_DIR: string } {
  return {
    NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --require ${path.join(__dirname, 'memory-report.cjs')}`.trim(),
    BENCH_MEMORY_DIR: memoryDir,
  };
}
const memoryDir = fs.mkdtempSync(path.join(os.tmpdir(), 'sf-bench-memory-'));

/** Asks a process started with memoryReportEnv() for its memory (SIGWINCH, then its report file). */
export async function readMemory(pid: number): Promise<MemoryReport> {
  const file = path.join(memoryDir, `${pid}.json`);
  const asked = Date.now();
  process.kill(pid, 'SIGWINCH');
  for (;;) {
    try {
      const report = JSON.parse(fs.readFileSync(file, 'utf8')) as MemoryReport & { at: number };
      if (report.at >= asked) return report;
    } catch {
      // not written yet
    }
    if (Date.now() - asked > 10_000) throw new Error(`process ${pid} did not report its memory`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export interface Probed {
  name: string;
  pid: number;
  child: ChildProcess;
  /** process.memoryUsage() and the worker's cache size, from inside the process. */
  memory(): Promise<MemoryReport>;
  /** SIGTERM, SIGKILL after 15 s; resolves once it has exited. */
  stop(): Promise<void>;
}

/** Runs an entry point (relative to the repository) with tsx, memory-report.cjs preloaded, and the given environment. */
export function launch(name: string, entry: string, env: Record<string, string | undefined>, log: (line: string) => void): Probed {
  const child = spawn(process.execPath, ['--import', 'tsx', entry], {
    cwd: root,
    // As npm run worker / npm run api set it (package.json).
    // No per-token write limit: the bench drives thousands of writes a minute with one token.
    env: { MALLOC_ARENA_MAX: '2', ...process.env, LOG_LEVEL: 'warn', RATE_LIMIT_WRITES_PER_MINUTE: '0', ...env, ...memoryReportEnv() },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const tail: string[] = [];
  const keep = (chunk: Buffer) => {
    tail.push(...chunk.toString('utf8').split('\n').filter(Boolean));
    tail.splice(0, Math.max(0, tail.length - 20));
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  const exited = new Promise<void>((resolve) => child.once('exit', (code, signal) => {
    if (!stopping) log(`${name} exited (${signal ?? code}); its last lines:\n${tail.join('\n')}`);
    resolve();
  }));
  let stopping = false;
  return {
    name,
    pid: child.pid!,
    child,
    memory: () => readMemory(child.pid!),
    stop: async () => {
      stopping = true;
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const kill = setTimeout(() => child.kill('SIGKILL'), 15_000);
      await exited;
      clearTimeout(kill);
    },
  };
}

/* ---------- /proc ---------- */

function children(pid: number): number[] {
  try {
    return fs
      .readdirSync(`/proc/${pid}/task`)
      .flatMap((tid) => fs.readFileSync(`/proc/${pid}/task/${tid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number));
  } catch {
    return [];
  }
}

/** The process and its descendants. */
export function processTree(pid: number): number[] {
  return [pid, ...children(pid).flatMap(processTree)];
}

/** VmRSS in bytes (0 once it has gone). */
export function rssOf(pid: number): number {
  try {
    const kb = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
    return kb ? Number(kb) * 1024 : 0;
  } catch {
    return 0;
  }
}

export const treeRss = (pid: number) => processTree(pid).reduce((sum, p) => sum + rssOf(p), 0);

/** User + system CPU seconds the process has used. */
export function cpuSeconds(pid: number): number {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / ticksPerSecond;
  } catch {
    return 0;
  }
}
const ticksPerSecond = 100;

/** CPU seconds of every process of the PostgreSQL server on this machine (its backends are not ours to find by tree). */
export function postgresCpuSeconds(): number {
  let sum = 0;
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (fs.readFileSync(`/proc/${entry}/comm`, 'utf8').trim() === 'postgres') sum += cpuSeconds(Number(entry));
    } catch {
      // gone
    }
  }
  return sum;
}

export const mb = (bytes: number) => Math.round(bytes / 1024 / 1024);

/* ---------- a fresh PostgreSQL database ---------- */

/** Creates a database of its own on the server of `databaseUrl`; drop() removes it. */
export async function freshDatabase(databaseUrl: string): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `sf_bench_${crypto.randomBytes(4).toString('hex')}`;
  const admin = postgres(databaseUrl, { max: 1, onnotice: () => {} });
  await admin.unsafe(`CREATE DATABASE ${name}`);
  const url = new URL(databaseUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: async () => {
      await admin.unsafe(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await admin.end();
    },
  };
}

/* ---------- a Temporal dev server whose output stays out of the bench's stdout ---------- */

export interface QuietDevServer {
  address: string;
  pid: number;
  stop(): Promise<void>;
}

/**
 * `temporal server start-dev` in memory, headless, its output discarded (temporal/dev-server.ts passes its
 * server's output to stdout, where the bench prints only its table and JSON line); in its own process
 * group, killed with the bench however it ends.
 */
export async function startQuietDevServer(namespace = 'default'): Promise<QuietDevServer> {
  const port = await freePort();
  const cli = process.env.TEMPORAL_CLI_PATH || localTemporalCli;
  const child = spawn(
    cli,
    ['server', 'start-dev', '--ip', '127.0.0.1', '--port', String(port), '--namespace', namespace, '--headless', '--log-level', 'error',
      '--dynamic-config-value', 'frontend.enableUpdateWorkflowExecution=true', '--dynamic-config-value', 'frontend.enableUpdateWorkflowExecutionAsyncAccepted=true'],
    { detached: true, stdio: 'ignore', env: { ...process.env, TEMPORAL_VERSION_CHECK_DISABLED: '1' } },
  );
  const kill = () => {
    try {
      process.kill(-child.pid!, 'SIGKILL');
    } catch {
      // gone
    }
  };
  process.once('exit', kill);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const address = `127.0.0.1:${port}`;
  const { Connection } = await import('@temporalio/client');
  await waitFor(async () => {
    const connection = await Connection.connect({ address, connectTimeout: 1000 });
    await connection.close();
    return true;
  }, 60_000, `the Temporal dev server on ${address}`);
  return {
    address,
    pid: child.pid!,
    stop: async () => {
      kill();
      await exited;
    },
  };
}

/* ---------- a cluster: dev server, API, workers ---------- */

export interface Cluster {
  apiUrl: string;
  temporalAddress: string;
  namespace: string;
  taskQueue: string;
  databaseUrl: string;
  devServer: QuietDevServer;
  api: Probed;
  workers: Probed[];
  token(claims: Claims): Promise<string>;
  /** Starts one more worker process; resolves once it polls (the API's /readyz sees a poller). */
  addWorker(): Promise<Probed>;
  /** Stops the last worker. */
  removeWorker(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * One Temporal dev server (in memory), one API process (`npm run api`) and `workers` worker processes
 * (`npm run worker`) on the same task queue, on a fresh database of the PostgreSQL server at databaseUrl.
 */
export async function startCluster(o: { databaseUrl: string; workers: number; workerEnv?: Record<string, string>; log: (line: string) => void }): Promise<Cluster> {
  const db = await freshDatabase(o.databaseUrl);
  const namespace = 'default';
  const taskQueue = 'stationflow-bench';
  const devServer = await startQuietDevServer(namespace);
  const secret = crypto.randomBytes(32).toString('base64');
  const port = await freePort();
  const payloadKeys = `bench:${crypto.randomBytes(32).toString('base64')}`;
  const common = { DATABASE_URL: db.url, TEMPORAL_ADDRESS: devServer.address, TEMPORAL_NAMESPACE: namespace, TEMPORAL_TASK_QUEUE: taskQueue, AUTH_SECRET: secret, PAYLOAD_KEYS: payloadKeys, NODE_ENV: 'production', DATA_DIR: fs.mkdtempSync(path.join(os.tmpdir(), 'sf-bench-')) };
  const apiUrl = `http://127.0.0.1:${port}`;
  const workers: Probed[] = [];
  const auth = new Auth(secret, 'stationflow', '12h');
  let api: Probed | undefined;
  const stop = async () => {
    await Promise.all(workers.map((w) => w.stop()));
    await api?.stop();
    await devServer.stop();
    await db.drop();
  };
  const addWorker = async () => {
    const worker = launch(`worker ${workers.length + 1}`, 'temporal/worker-main.ts', { ...common, ...o.workerEnv }, o.log);
    workers.push(worker);
    await waitForPoller(devServer.address, namespace, taskQueue, worker.pid);
    return worker;
  };
  try {
    // The first worker applies the migrations; the API waits on the same lock.
    for (let i = 0; i < o.workers; i++) await addWorker();
    api = launch('API', 'api/server.ts', { ...common, PORT: String(port) }, o.log);
    await waitFor(async () => (await fetch(`${apiUrl}/readyz`).catch(() => undefined))?.ok === true, 120_000, 'the API to be ready');
  } catch (err) {
    await stop();
    throw err;
  }
  return {
    apiUrl,
    temporalAddress: devServer.address,
    namespace,
    taskQueue,
    databaseUrl: db.url,
    devServer,
    api,
    workers,
    token: (claims) => auth.sign(claims),
    addWorker,
    removeWorker: async () => {
      await workers.pop()?.stop();
    },
    stop,
  };
}

/** Until the worker process `pid` polls the task queue's workflow tasks (the SDK's identity is pid@host). */
async function waitForPoller(address: string, namespace: string, taskQueue: string, pid: number): Promise<void> {
  const { Connection } = await import('@temporalio/client');
  const connection = await Connection.connect({ address });
  try {
    await waitFor(
      async () => {
        const { pollers } = await connection.workflowService.describeTaskQueue({ namespace, taskQueue: { name: taskQueue }, taskQueueType: 1 });
        return pollers.some((p) => p.identity?.startsWith(`${pid}@`));
      },
      120_000,
      `worker ${pid} to poll ${taskQueue}`,
    );
  } finally {
    await connection.close();
  }
}

export async function waitFor(check: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!(await check().catch(() => false))) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}
