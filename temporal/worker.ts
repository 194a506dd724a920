import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { NativeConnection, Worker, type WorkerOptions as SdkWorkerOptions, type WorkflowBundle } from '@temporalio/worker';
import type { Logger } from 'pino';
import { createActivities } from '../activities';
import type { DeliveryConfig } from '../activities/delivery/config';
import type { Db } from '../db/client';
import { dataConverterFor, type PayloadKey } from './codec';
import { problemsInterceptor } from './problems';
import { safeFailuresInterceptor } from './safe-failures';
import { createNotingWorker, WorkflowTaskNotes } from './workflow-problems';

export interface WorkerOptions {
  connection: NativeConnection;
  namespace: string;
  taskQueue: string;
  db: Db;
  /** The keys payloads are encrypted with (temporal/codec.ts): the same as the clients'. */
  payloadKeys: PayloadKey[];
  /** Partner channels' settings (config/boot.ts deliveryConfig). */
  delivery?: DeliveryConfig;
  /** A prebuilt bundle (tests bundle once per file); without it createWorker bundles ./workflows in a child process. */
  workflowBundle?: WorkflowBundle;
  log?: Logger;
  /** Memory and concurrency bounds (config workerTuning, README "Configuration"); absent: the SDK's defaults. */
  tuning?: WorkerTuning;
}

/** What bounds the worker: its sticky cache (most of its memory) and how much it runs at once. */
export type WorkerTuning = Pick<
  SdkWorkerOptions,
  'maxCachedWorkflows' | 'maxConcurrentWorkflowTaskExecutions' | 'maxConcurrentActivityTaskExecutions' | 'maxConcurrentLocalActivityExecutions'
>;

export async function createWorker(opts: WorkerOptions): Promise<Worker> {
  const options = sdkWorkerOptions({ ...opts, workflowBundle: opts.workflowBundle ?? (await bundleApart()) });
  // Workflow tasks that keep failing are noted for supervisors too (temporal/workflow-problems.ts).
  const worker = await createNotingWorker(options, new WorkflowTaskNotes(opts.db, opts.log));
  opts.log?.info({ taskQueue: opts.taskQueue, namespace: opts.namespace, ...opts.tuning }, 'worker created');
  return worker;
}

/**
 * The workflow bundle, built by a short-lived child process (temporal/bundle-workflows.ts): bundling in the
 * worker's own process left webpack's ~100 MB in its RSS for good.
 */
async function bundleApart(): Promise<WorkflowBundle> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'stationflow-bundle-'));
  const codePath = path.join(dir, 'workflows.js');
  await promisify(execFile)(process.execPath, ['--import', 'tsx', path.join(__dirname, 'bundle-workflows.ts'), codePath], { maxBuffer: 16 * 1024 * 1024 });
  const code = fs.readFileSync(codePath, 'utf8');
  fs.rmSync(dir, { recursive: true, force: true });
  return { code };
}

/** The options handed to the SDK's Worker.create. */
export function sdkWorkerOptions(opts: WorkerOptions): SdkWorkerOptions {
  return {
    connection: opts.connection,
    namespace: opts.namespace,
    taskQueue: opts.taskQueue,
    // Resident data leaves the worker only encrypted (README "Resident data in Temporal").
    dataConverter: dataConverterFor(opts.payloadKeys),
    activities: createActivities({ db: opts.db, delivery: opts.delivery }),
    // Activities that keep failing are noted for supervisors (temporal/problems.ts); what they and Temporal
    // keep of a failure carries no SQL or bound values (temporal/safe-failures.ts, innermost).
    interceptors: { activity: [problemsInterceptor(opts.db, opts.log), safeFailuresInterceptor] },
    ...(opts.workflowBundle
      ? { workflowBundle: opts.workflowBundle }
      : { workflowsPath: require.resolve('../workflows') }),
    // Drain in-flight activities on shutdown (Ctrl-C, SIGTERM) before the process leaves.
    shutdownGraceTime: '10 seconds',
    ...opts.tuning,
  };
}
