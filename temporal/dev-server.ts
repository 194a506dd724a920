import fs from 'node:fs';
import path from 'node:path';
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
  port?: number;
  uiPort?: number;
  namespace?: string;
}

export interface DevServer {
  address: string;
  env: TestWorkflowEnvironment;
  stop(): Promise<void>;
}

/** Starts `temporal server start-dev` as a child process, on loopback. */
export async function startDevServer(opts: DevServerOptions = {}): Promise<DevServer> {
  process.env.TEMPORAL_VERSION_CHECK_DISABLED = '1';
  if (opts.dbFilename) fs.mkdirSync(path.dirname(opts.dbFilename), { recursive: true });
  const env = await TestWorkflowEnvironment.createLocal({
    server: {
      executable: temporalExecutable(opts.cliPath),
      ip: '127.0.0.1',
      port: opts.port,
      namespace: opts.namespace ?? 'default',
      dbFilename: opts.dbFilename,
      ui: opts.uiPort !== undefined,
      uiPort: opts.uiPort,
      log: { format: 'json', level: 'warn' },
    },
  });
  const address = env.address;
  let stopped: Promise<void> | undefined;
  return {
    address,
    env,
    stop: () => (stopped ??= env.teardown()),
  };
}
