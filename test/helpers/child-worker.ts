import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { type Stack, workflowBundle } from './stack';

/**
 * The stack's worker as an OS process of its own (test/helpers/crash-worker.ts), for tests that kill it with
 * SIGKILL mid-work: `start` brings one up on the stack's task queue and database, `kill` kills it (no graceful
 * shutdown). Call `setUp` in a beforeAll and `tearDown` in an afterAll. The database must be PostgreSQL.
 */
export function childWorker(stack: Stack | (() => Stack)) {
  const entry = path.join(__dirname, 'crash-worker.ts');
  let tmp: string | undefined;
  let child: { proc: ChildProcess; exited: Promise<unknown>; output: string[] } | undefined;
  const bundlePath = () => path.join(tmp!, 'workflow-bundle.js');

  async function kill(): Promise<void> {
    if (!child) return;
    const { proc, exited } = child;
    child = undefined;
    if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
    await exited;
  }

  return {
    async setUp(): Promise<void> {
      tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'stationflow-child-worker-'));
      fs.writeFileSync(bundlePath(), (await workflowBundle()).code);
    },
    async tearDown(): Promise<void> {
      await kill();
      if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
    },
    kill,
    async start(): Promise<void> {
      const s = typeof stack === 'function' ? stack() : stack;
      const output: string[] = [];
      const proc = spawn(process.execPath, ['--import', 'tsx', entry], {
        cwd: path.join(__dirname, '..', '..'),
        stdio: ['pipe', 'pipe', 'pipe'],
        env: {
          ...process.env,
          TEMPORAL_VERSION_CHECK_DISABLED: '1',
          TEMPORAL_ADDRESS: s.env.address,
          TEMPORAL_NAMESPACE: s.temporal.namespace,
          TEMPORAL_TASK_QUEUE: s.temporal.taskQueue,
          DATABASE_URL: s.database.url!,
          WORKFLOW_BUNDLE_PATH: bundlePath(),
          DELIVERY_TIMEOUT_MS: '1000',
          DELIVERY_RETRY_WINDOW_MS: '2000',
          DELIVERY_INITIAL_INTERVAL_MS: '200',
          DELIVERY_MAXIMUM_INTERVAL_MS: '500',
        },
      });
      const exited = new Promise((resolve) => proc.once('exit', resolve));
      child = { proc, exited, output };
      proc.stderr!.on('data', (d: Buffer) => output.push(d.toString()));
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`the worker did not start within 30 s:\n${output.join('')}`)), 30_000);
        proc.stdout!.on('data', (d: Buffer) => {
          if (!d.toString().includes('ready')) return;
          clearTimeout(timer);
          resolve();
        });
        proc.once('exit', (code, signal) => {
          clearTimeout(timer);
          reject(new Error(`the worker left (${code ?? signal}) before it was ready:\n${output.join('')}`));
        });
      });
    },
  };
}
