import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import type { Client } from '@temporalio/client';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { bundleWorkflowCode, type Worker, type WorkflowBundle } from '@temporalio/worker';
import { type DeliveryConfig, defaultDeliveryConfig } from '../../activities/delivery/config';
import { createApp } from '../../api/app';
import type { StuckThresholds } from '../../api/supervision/reasons';
import { createHttpServer, type HttpServerOptions } from '../../api/http/server';
import { Auth, type Claims } from '../../api/http/auth';
import { loadConfig } from '../../config';
import { createLogger } from '../../config/logger';
import type { TemporalSettings } from '../../temporal/client';
import { dataConverterFor } from '../../temporal/codec';
import { temporalExecutable } from '../../temporal/dev-server';
import { registerSearchAttributes } from '../../temporal/search-attributes';
import { installTemporalRuntime } from '../../temporal/runtime';
import { createWorker } from '../../temporal/worker';
import { openTestDatabase, type TestDatabase } from './database';
import { testPayloadKeys } from './payload-keys';

export { testPayloadKeys } from './payload-keys';

/** The dev server's web UI (headless without it), on loopback, decoding through a codec server. */
export interface TestTemporalUi {
  port: number;
  codecEndpoint: string;
}

/**
 * A real Temporal dev server (the project's CLI build, or the SDK's download where there is internet); its
 * `client` encrypts payloads with testPayloadKeys.
 */
export async function startTestTemporal(ui?: TestTemporalUi): Promise<TestWorkflowEnvironment> {
  installTemporalRuntime(createLogger(process.env.TEST_LOG_LEVEL ?? 'warn'));
  process.env.TEMPORAL_VERSION_CHECK_DISABLED = '1';
  const env = await TestWorkflowEnvironment.createLocal({
    server: {
      executable: temporalExecutable(),
      ip: '127.0.0.1',
      log: { format: 'json', level: 'warn' },
      ...(ui ? { ui: true, uiPort: ui.port, extraArgs: ['--ui-codec-endpoint', ui.codecEndpoint] } : {}),
    },
    client: { dataConverter: dataConverterFor(testPayloadKeys) },
  });
  await registerSearchAttributes(env.connection, env.namespace ?? 'default');
  return env;
}

let bundle: Promise<WorkflowBundle> | undefined;
/** Bundle the workflows once per test file. */
export function workflowBundle(): Promise<WorkflowBundle> {
  return (bundle ??= bundleWorkflowCode({ workflowsPath: require.resolve('../../workflows'), logger: quietBundlerLogger }));
}
const noop = () => {};
const quietBundlerLogger = { trace: noop, debug: noop, info: noop, warn: noop, error: console.error, log: noop };

export const testSecret = 'test-secret-that-is-long-enough-for-hs256-signing';

export interface Stack {
  url: string;
  /** Raw JSON log lines written by the API so far. */
  logLines: string[];
  env: TestWorkflowEnvironment;
  client: Client;
  database: TestDatabase;
  /** The channels' settings the worker runs with. */
  delivery: DeliveryConfig;
  temporal: TemporalSettings;
  auth: Auth;
  worker: Worker;
  token(claims: Partial<Claims> & Pick<Claims, 'role'>): Promise<string>;
  /** Stops the worker (as a crash or deploy would); `startWorker` brings a new one up. */
  stopWorker(): Promise<void>;
  startWorker(): Promise<void>;
  stop(): Promise<void>;
}

export interface StackOptions {
  /** Partner channels' settings; by default mail is written to a temporary directory and nothing else is configured. */
  delivery?: Partial<DeliveryConfig>;
  /** The HTTP server's timeouts (milliseconds); by default the configuration's defaults. */
  server?: Partial<Omit<HttpServerOptions, 'log'>>;
  /** The API's port on 127.0.0.1; by default a free one. */
  port?: number;
  /** Supervision's thresholds (short ones make cases idle or long-paused within a test). */
  stuck?: Partial<StuckThresholds>;
  /** The dev server's web UI (at http://localhost:<port>, the API's links and codec CORS follow it); by default headless. */
  ui?: TestTemporalUi;
}

/** The whole service as `npm start` wires it — dev server, database, worker, HTTP API on a free port. */
export async function startStack(opts: StackOptions = {}): Promise<Stack> {
  const [env, database, workflows] = await Promise.all([startTestTemporal(opts.ui), openTestDatabase(), workflowBundle()]);
  const taskQueue = `stationflow-test-${process.pid}`;
  const temporal: TemporalSettings = { address: env.address, namespace: env.namespace ?? 'default', taskQueue, uiUrl: `http://localhost:${opts.ui?.port ?? 8233}`, payloadKeys: testPayloadKeys };
  // Every log line of the API and activities is kept, so tests can check what reaches the logs.
  const logLines: string[] = [];
  const log = createLogger('info', {
    write: (line: string) => {
      logLines.push(line);
      if (process.env.TEST_LOG_LEVEL) process.stdout.write(line);
    },
  });
  const auth = new Auth(testSecret, 'stationflow', '1h');

  const delivery: DeliveryConfig = { ...defaultDeliveryConfig, mailDir: fs.mkdtempSync(path.join(os.tmpdir(), 'stationflow-mail-')), ...opts.delivery };

  let worker!: Worker;
  let running: Promise<void> = Promise.resolve();
  const startWorker = async () => {
    worker = await createWorker({ connection: env.nativeConnection, namespace: temporal.namespace, taskQueue, payloadKeys: testPayloadKeys, db: database.db, delivery, workflowBundle: workflows, log });
    running = worker.run();
  };
  const stopWorker = async () => {
    if (worker.getState() === 'RUNNING') worker.shutdown();
    await running;
  };
  await startWorker();

  const app = createApp({ config: { BODY_LIMIT: '100kb', PUBLIC_URL: undefined }, database, client: env.client, temporal, auth, log, stuckThresholds: opts.stuck, outbound: delivery.outbound });
  const { REQUEST_TIMEOUT, HEADERS_TIMEOUT, KEEP_ALIVE_TIMEOUT } = loadConfig({});
  const server = createHttpServer(app, { REQUEST_TIMEOUT, HEADERS_TIMEOUT, KEEP_ALIVE_TIMEOUT, ...opts.server, log });
  await new Promise<void>((resolve) => server.listen(opts.port ?? 0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    logLines,
    env,
    client: env.client,
    database,
    delivery,
    temporal,
    auth,
    get worker() {
      return worker;
    },
    token: (claims) => auth.sign({ sub: `test-${claims.role}`, ...claims } as Claims),
    stopWorker,
    startWorker,
    stop: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await stopWorker();
      await env.teardown();
      await database.drop();
    },
  };
}

/** The tokens most suites act with: the demo station's staff, the subdistrict's supervisor, an admin, a department and a partner. */
export async function demoTokens(stack: Pick<Stack, 'token'>): Promise<Record<'staff' | 'supervisor' | 'admin' | 'housing' | 'partner', string>> {
  const [staff, supervisor, admin, housing, partner] = await Promise.all([
    stack.token({ role: 'staff', station: 'qianggen', sub: 'wang' }),
    stack.token({ role: 'supervisor', subdistrict: 'xinjiekou', sub: 'chen' }),
    stack.token({ role: 'admin', sub: 'root' }),
    stack.token({ role: 'department', department: 'housing', sub: 'housing-duty' }),
    stack.token({ role: 'partner', partner: 'anju-repair', sub: 'partner-anju-repair' }),
  ]);
  return { staff, supervisor, admin, housing, partner };
}

export type DemoTokens = Awaited<ReturnType<typeof demoTokens>>;

/**
 * Starts the stack before the tests of the enclosing `describe` (or file) and stops it after them.
 * `stack` is a live view of the running stack and `tokens` holds the demo tokens: both are ready inside
 * tests and later hooks, not while the file is being read. `options` may be a function for settings only
 * known once other servers run (it is called in the hook); `timeout` is the start hook's.
 */
export function useStack(
  options: StackOptions | (() => StackOptions | Promise<StackOptions>) = {},
  { timeout }: { timeout?: number } = {},
): { stack: Stack; tokens: DemoTokens } {
  let running: Stack | undefined;
  const tokens = {} as DemoTokens;
  const stack = new Proxy({} as Stack, {
    get: (_target, key) => {
      if (!running) throw new Error(`the test stack is not running: stack.${String(key)} was read outside the tests and hooks of its describe`);
      return Reflect.get(running, key);
    },
  });
  beforeAll(async () => {
    running = await startStack(typeof options === 'function' ? await options() : options);
    Object.assign(tokens, await demoTokens(running));
  }, timeout);
  afterAll(() => running?.stop());
  return { stack, tokens };
}

/** fetch with JSON in and out. */
export async function api(
  stack: { url: string },
  method: string,
  path: string,
  opts: { token?: string; body?: unknown; rawBody?: string; headers?: Record<string, string> } = {},
): Promise<{ status: number; headers: Headers; body: any }> {
  const headers: Record<string, string> = { ...opts.headers };
  if (opts.token) headers.authorization = `Bearer ${opts.token}`;
  let body: string | undefined = opts.rawBody;
  if (opts.body !== undefined) {
    body = JSON.stringify(opts.body);
    headers['content-type'] ??= 'application/json';
  }
  const res = await fetch(`${stack.url}${path}`, { method, headers, body });
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    /* not JSON */
  }
  return { status: res.status, headers: res.headers, body: parsed };
}

/** Polls until `fn` returns a truthy value or the time runs out. */
export async function eventually<T>(fn: () => Promise<T | undefined | false>, timeoutMs = 15_000, what = 'condition'): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (err) {
      last = err;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
}
