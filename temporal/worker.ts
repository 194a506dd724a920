import { NativeConnection, Worker, type WorkflowBundle } from '@temporalio/worker';
import type { Logger } from 'pino';
import { createActivities } from '../activities';
import type { DeliveryConfig } from '../activities/delivery/config';
import type { Db } from '../db/client';

export interface WorkerOptions {
  connection: NativeConnection;
  namespace: string;
  taskQueue: string;
  db: Db;
  /** Partner channels' settings (config/boot.ts deliveryConfig). */
  delivery?: DeliveryConfig;
  /** A prebuilt bundle (tests bundle once per file); without it the worker bundles ./workflows itself. */
  workflowBundle?: WorkflowBundle;
  log?: Logger;
}

export async function createWorker(opts: WorkerOptions): Promise<Worker> {
  const worker = await Worker.create({
    connection: opts.connection,
    namespace: opts.namespace,
    taskQueue: opts.taskQueue,
    activities: createActivities({ db: opts.db, delivery: opts.delivery }),
    ...(opts.workflowBundle
      ? { workflowBundle: opts.workflowBundle }
      : { workflowsPath: require.resolve('../workflows') }),
    // Drain in-flight activities on shutdown (Ctrl-C, SIGTERM) before the process leaves.
    shutdownGraceTime: '10 seconds',
  });
  opts.log?.info({ taskQueue: opts.taskQueue, namespace: opts.namespace }, 'worker created');
  return worker;
}
