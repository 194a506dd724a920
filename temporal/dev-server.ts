import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Connection } from '@temporalio/client';
import { type EphemeralServerExecutable, TestWorkflowEnvironment } from '@temporalio/testing';

/** Where scripts/install-temporal.sh puts the Temporal CLI (built from the Go module proxy). */
export const localTemporalCli = path.resolve(__dirname, '..', '.tools', 'bin', 'temporal');

/**
 * The Temporal CLI to run as a dev server: TEMPORAL_CLI_PATH, else the project's own build in .tools/bin,
 * else the SDK's download (which needs the internet).
 */
export function temporalExecutable(cliPath = process.env.TEMPORAL_CLI_PATH): EphemeralServerExecutable {
  const candidate = cliPath || (fs.existsSync(localTemporalCli) ? localTemporalCli : undefined);
  if (candidate) {
    if (!fs.existsSync(candidate)) throw new Error(`Temporal CLI not found at ${candidate} (TEMPORAL_CLI_PATH)`);
    return { type: 'existing-path', path: candidate };
  }
  return { type: 'cached-download' };
}

export interface DevServerOptions {
  cliPath?: string;
  /** SQLite file that keeps workflows across restarts; absent means in memory. */
  dbFilename?: string;
  /** gRPC port. */
  port: number;
  /** Web UI port; absent means headless. */
  uiPort?: number;
  /** The codec server the web UI decodes payloads with (`--ui-codec-endpoint`; api/codec/routes.ts). */
  uiCodecEndpoint?: string;
  namespace?: string;
  /** How long the server may take to answer on its port (default 60 s). */
  readyTimeoutMs?: number;
  /** How it dies with this process: by default `pdeathsig` where setpriv is found, else `watchdog`. */
  parentGuard?: 'pdeathsig' | 'watchdog';
}

export interface DevServerExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** Set when it could not be started at all. */
  error?: Error;
}

export interface DevServer {
  address: string;
  pid: number;
  /** Settles when the server's process has exited, stopped or not. */
  exited: Promise<DevServerExit>;
  stop(): Promise<void>;
}

/**
 * Starts `temporal server start-dev` on loopback, with the arguments `@temporalio/testing` gives it, as a
 * child that cannot outlive this process:
 * - in its own process group, stopped as a group (SIGTERM, SIGKILL after 10 s); a terminal's Ctrl-C reaches
 *   only us, so the server stops last, after the worker has drained;
 * - on Linux under `setpriv --pdeathsig SIGKILL` (util-linux): the kernel kills it the moment this process
 *   dies, however it dies (SIGKILL included); elsewhere a watchdog shell kills its group within a second.
 * Ready once it answers on its port; if it exits before, the error carries its last output lines.
 * Check its ports first (config/ports.ts, as npm start does): a readiness probe cannot tell our server from
 * another one already listening there.
 */
export async function startDevServer(opts: DevServerOptions): Promise<DevServer> {
  const ip = '127.0.0.1';
  const address = `${ip}:${opts.port}`;
  if (opts.dbFilename) fs.mkdirSync(path.dirname(opts.dbFilename), { recursive: true, mode: 0o700 });
  const cli = await devServerCli(opts.cliPath);
  const args = [
    'server',
    'start-dev',
    '--ip',
    ip,
    '--port',
    String(opts.port),
    '--namespace',
    opts.namespace ?? 'default',
    '--log-format',
    'json',
    '--log-level',
    'warn',
    '--dynamic-config-value',
    'frontend.enableServerVersionCheck=false',
    '--dynamic-config-value',
    'frontend.enableUpdateWorkflowExecution=true',
    '--dynamic-config-value',
    'frontend.enableUpdateWorkflowExecutionAsyncAccepted=true',
    ...(opts.dbFilename ? ['--db-filename', opts.dbFilename] : []),
    ...(opts.uiPort !== undefined ? ['--ui-port', String(opts.uiPort)] : ['--headless']),
    ...(opts.uiPort !== undefined && opts.uiCodecEndpoint ? ['--ui-codec-endpoint', opts.uiCodecEndpoint] : []),
  ];
  const setpriv = process.platform === 'linux' && opts.parentGuard !== 'watchdog' ? onPath('setpriv') : undefined;
  if (opts.parentGuard === 'pdeathsig' && !setpriv) throw new Error('setpriv (util-linux) is not installed: no parent-death signal for the Temporal dev server');
  const [command, commandArgs] = setpriv
    ? // The shell runs once the signal is armed and goes on only if we are still its parent: had we died
      // between the fork and setpriv's prctl, nothing would be left to signal it.
      [setpriv, ['--pdeathsig', 'SIGKILL', '--', '/bin/sh', '-c', '[ "$PPID" = "$0" ] || exit 70; exec "$@"', String(process.pid), cli, ...args]]
    : [cli, args];
  const child = spawn(command, commandArgs, {
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, TEMPORAL_VERSION_CHECK_DISABLED: '1' },
  });
  const tail: string[] = [];
  const keep = (chunk: Buffer) => {
    tail.push(...chunk.toString('utf8').split('\n').filter(Boolean));
    tail.splice(0, Math.max(0, tail.length - 20));
  };
  // Its output is passed on until it is told to stop: what a server shutting down logs is only noise.
  let forwarding = true;
  child.stdout!.on('data', (chunk: Buffer) => (keep(chunk), forwarding && process.stdout.write(chunk)));
  child.stderr!.on('data', (chunk: Buffer) => (keep(chunk), forwarding && process.stderr.write(chunk)));
  const exited = new Promise<DevServerExit>((resolve) => {
    child.once('exit', (code, signal) => resolve({ code, signal }));
    child.once('error', (error) => resolve({ code: null, signal: null, error }));
  });

  const watchdog = setpriv
    ? undefined
    : spawn('/bin/sh', ['-c', 'while kill -0 "$0" 2>/dev/null; do sleep 1; done; kill -s KILL -- "-$1" 2>/dev/null', String(process.pid), String(child.pid)], {
        detached: true,
        stdio: 'ignore',
      });
  watchdog?.unref();

  const signalGroup = (signal: NodeJS.Signals) => {
    try {
      process.kill(-child.pid!, signal);
    } catch {
      // already gone
    }
  };
  let stopped: Promise<void> | undefined;
  const stop = () =>
    (stopped ??= (async () => {
      forwarding = false;
      if (child.pid !== undefined && child.exitCode === null && child.signalCode === null) {
        signalGroup('SIGTERM');
        const kill = setTimeout(() => signalGroup('SIGKILL'), 10_000);
        await exited;
        clearTimeout(kill);
      }
      watchdog?.kill('SIGKILL');
    })());

  const early = exited.then(({ code, signal, error }) =>
    error
      ? new Error(`the Temporal dev server could not be started (${cli}): ${error.message}`)
      : new Error(`the Temporal dev server exited (${signal ? `signal ${signal}` : `code ${code}`}) before it answered on ${address}${tail.length ? `:\n${tail.join('\n')}` : ''}`),
  );
  let settled = false;
  try {
    const failed = await Promise.race([answering(address, opts.readyTimeoutMs ?? 60_000, () => settled).then(() => undefined), early]);
    if (failed) throw failed;
  } catch (err) {
    await stop();
    throw err;
  } finally {
    settled = true;
  }
  return { address, pid: child.pid!, exited, stop };
}

/** Resolves once a Temporal frontend answers on `address`, or once `givenUp`; rejects after `timeoutMs`. */
async function answering(address: string, timeoutMs: number, givenUp: () => boolean): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    if (givenUp()) return;
    try {
      const connection = await Connection.connect({ address, connectTimeout: 1_000 });
      await connection.close();
      return;
    } catch (err) {
      last = err;
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  throw new Error(`the Temporal dev server did not answer on ${address} within ${timeoutMs / 1000} s${last ? `: ${(last as Error).message}` : ''}`);
}

/** The CLI to run: our own (temporalExecutable), else the one the SDK downloads, fetched by a first throw-away start. */
async function devServerCli(cliPath?: string): Promise<string> {
  const executable = temporalExecutable(cliPath);
  if (executable.type === 'existing-path') return executable.path;
  // Where the SDK keeps its download (sdk-core's ephemeral_server: temp dir, named after the SDK and its version).
  const { version } = JSON.parse(fs.readFileSync(require.resolve('@temporalio/testing/package.json'), 'utf8')) as { version: string };
  const downloaded = path.join(os.tmpdir(), `temporal-sdk-typescript-${version}${process.platform === 'win32' ? '.exe' : ''}`);
  if (!fs.existsSync(downloaded)) {
    const env = await TestWorkflowEnvironment.createLocal({ server: { executable, ip: '127.0.0.1', log: { format: 'json', level: 'warn' } } });
    await env.teardown();
  }
  if (!fs.existsSync(downloaded)) throw new Error(`the Temporal dev server the SDK downloads is not at ${downloaded}: set TEMPORAL_CLI_PATH`);
  return downloaded;
}

function onPath(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter).concat('/usr/bin', '/bin')) {
    const candidate = path.join(dir, name);
    try {
      fs.accessSync(candidate, fs.constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}
