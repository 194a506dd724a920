import { type ChildProcess, spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import postgres from 'postgres';
import { Auth, type Claims } from '../../api/http/auth';
import { formatPayloadKeys, type PayloadKey } from '../../config/payload-keys';
import { freePort } from '../../test/helpers/ports';

/**
 * The service as a user runs it: `npm start` (node --import tsx scripts/start.ts, cwd the repository) in a
 * fresh DATA_DIR on free ports — its own Temporal dev server, the embedded PGlite or, with a databaseUrl, a
 * fresh database on that PostgreSQL server — ready once /readyz answers 200.
 */

const root = path.resolve(__dirname, '../..');

export interface Service {
  apiUrl: string;
  /** The service's own Temporal dev server (host:port): bare.ts runs its workflow there too. */
  temporalAddress: string;
  namespace: string;
  taskQueue: string;
  /** The keys the service encrypts its Temporal payloads with: a client of its workflows needs them. */
  payloadKeys: PayloadKey[];
  pid: number;
  dataDir: string;
  /** The database the service uses (its own fresh one on the PostgreSQL server), undefined for PGlite. */
  databaseUrl?: string;
  /** Where the service's stdout and stderr go. */
  logFile: string;
  /** A token the service accepts, signed with its AUTH_SECRET. */
  token(claims: Claims, ttl?: string): Promise<string>;
  /** Resident set size of the service process (not its dev server child), in bytes. */
  rss(): number;
  /** SIGTERM, wait for it to drain and exit (SIGKILL to its process group after 30 s), drop its database. */
  stop(): Promise<void>;
}

export interface StartOptions {
  databaseUrl?: string;
  env?: Record<string, string>;
  log: (line: string) => void;
}

/** Every service still running, killed on the way out whatever ends the bench. */
const running = new Set<ChildProcess>();
let exitHookInstalled = false;
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const child of running) {
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        /* gone */
      }
    }
  });
}

/** Stops every service still running (index.ts calls it on Ctrl-C and on failure). */
export async function stopAll(): Promise<void> {
  await Promise.all([...stoppers].map((s) => s()));
}
const stoppers = new Set<() => Promise<void>>();

async function freshDatabase(adminUrl: string): Promise<{ url: string; drop: () => Promise<void> }> {
  const name = `bench_${crypto.randomBytes(5).toString('hex')}`;
  const admin = postgres(adminUrl, { max: 1, onnotice: () => {} });
  await admin.unsafe(`create database "${name}"`);
  const u = new URL(adminUrl);
  u.pathname = `/${name}`;
  return {
    url: u.toString(),
    drop: async () => {
      try {
        await admin.unsafe(`drop database if exists "${name}" with (force)`);
      } finally {
        await admin.end();
      }
    },
  };
}

function tail(file: string, lines = 30): string {
  try {
    return fs.readFileSync(file, 'utf8').split('\n').slice(-lines).join('\n');
  } catch {
    return '(no output)';
  }
}

export async function startService(o: StartOptions): Promise<Service> {
  installExitHook();
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'stationflow-bench-'));
  const logFile = path.join(dataDir, 'service.log');
  const database = o.databaseUrl ? await freshDatabase(o.databaseUrl) : undefined;
  const [port, devPort, uiPort] = [await freePort(), await freePort(), await freePort()];
  const secret = crypto.randomBytes(32).toString('hex');
  const payloadKeys = [{ id: 'bench', key: crypto.randomBytes(32) }];
  const env: Record<string, string> = {
    // As npm start sets it (package.json).
    MALLOC_ARENA_MAX: '2',
    ...(process.env as Record<string, string>),
    NODE_ENV: 'development',
    HOST: '127.0.0.1',
    PORT: String(port),
    DATA_DIR: dataDir,
    TEMPORAL_ADDRESS: '',
    TEMPORAL_DEV_PORT: String(devPort),
    TEMPORAL_UI_PORT: String(uiPort),
    TEMPORAL_NAMESPACE: 'default',
    TEMPORAL_TASK_QUEUE: 'stationflow',
    AUTH_SECRET: secret,
    PAYLOAD_KEYS: formatPayloadKeys(payloadKeys),
    DATABASE_URL: database?.url ?? '',
    // The bench drives thousands of writes a minute with one token: the per-token write limit would be its bound.
    RATE_LIMIT_WRITES_PER_MINUTE: '0',
    ...o.env,
  };
  const out = fs.openSync(logFile, 'a');
  // Its own process group, like a terminal job: the group's SIGKILL also takes its dev server.
  const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/start.ts'], { cwd: root, env, detached: true, stdio: ['ignore', out, out] });
  fs.closeSync(out);
  running.add(child);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  let gone = false;
  void exited.then(() => {
    gone = true;
    running.delete(child);
  });

  let stopped: Promise<void> | undefined;
  const stop = () =>
    (stopped ??= (async () => {
      stoppers.delete(stop);
      if (!gone) {
        child.kill('SIGTERM');
        const code = await Promise.race([exited, new Promise<'hung'>((r) => setTimeout(() => r('hung'), 30_000).unref())]);
        if (code === 'hung') o.log(`npm start (pid ${child.pid}) did not stop within 30 s of SIGTERM: killed`);
      }
      try {
        process.kill(-child.pid!, 'SIGKILL'); // whatever of its group is left (its dev server)
      } catch {
        /* the group is gone */
      }
      await database?.drop().catch((err: Error) => o.log(`dropping the bench database failed: ${err.message}`));
      fs.rmSync(dataDir, { recursive: true, force: true });
    })());
  stoppers.add(stop);

  const apiUrl = `http://127.0.0.1:${port}`;
  const started = Date.now();
  try {
    for (;;) {
      if (gone) throw new Error(`npm start exited before it was ready:\n${tail(logFile)}`);
      if (Date.now() - started > 180_000) throw new Error(`npm start was not ready within 180 s:\n${tail(logFile)}`);
      const ready = await fetch(`${apiUrl}/readyz`, { signal: AbortSignal.timeout(3000) })
        .then((r) => r.status === 200)
        .catch(() => false);
      if (ready) break;
      await new Promise((r) => setTimeout(r, 250));
    }
  } catch (err) {
    await stop();
    throw err;
  }
  o.log(`npm start ready in ${((Date.now() - started) / 1000).toFixed(1)} s (pid ${child.pid}, ${database ? 'PostgreSQL' : 'PGlite'}, API ${apiUrl})`);

  const auth = new Auth(secret, 'stationflow', '12h');
  return {
    apiUrl,
    temporalAddress: `127.0.0.1:${devPort}`,
    namespace: env.TEMPORAL_NAMESPACE!,
    taskQueue: env.TEMPORAL_TASK_QUEUE!,
    payloadKeys,
    pid: child.pid!,
    dataDir,
    databaseUrl: database?.url,
    logFile,
    token: (claims, ttl) => auth.sign(claims, ttl),
    rss: () => {
      const status = fs.readFileSync(`/proc/${child.pid}/status`, 'utf8');
      const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? NaN);
      return kb * 1024;
    },
    stop,
  };
}
