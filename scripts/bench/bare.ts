import crypto from 'node:crypto';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { Client, Connection } from '@temporalio/client';
import { bundleWorkflowCode, NativeConnection, Worker, type WorkflowBundle } from '@temporalio/worker';
import { bareLifecycle, bareStepUpdate } from './bare-workflow';
import { lifecycleSteps } from './lifecycle-driver';

/**
 * The bare-Temporal side of the comparison: a worker inside the bench process on its own task queue
 * (`bench-bare`) against the service's own dev server, and a @temporalio/client driving bare-workflow.ts:
 * `workflow.start`, then one `executeUpdate` per update of our lifecycle (7: the opening's and six
 * transitions), each timed.
 */

export const bareTaskQueue = 'bench-bare';
/** The bare updates, named after the step of our lifecycle each stands for ('opened' is part of our create). */
export const bareUpdateNames = ['opened', ...lifecycleSteps.slice(1)] as const;

export interface BareResult {
  workflowId: string;
  /** 'start' (workflow.start), then one per update. */
  steps: { name: string; ms: number }[];
}

export interface Bare {
  client: Client;
  lifecycle(): Promise<BareResult>;
  stop(): Promise<void>;
}

let bundle: Promise<WorkflowBundle> | undefined;
/** Bundled once per bench process. */
export const bareBundle = () =>
  (bundle ??= bundleWorkflowCode({ workflowsPath: path.join(__dirname, 'bare-workflow.ts'), logger: { info() {}, debug() {}, trace() {}, log() {}, warn() {}, error: (m: string) => process.stderr.write(`${m}\n`) } as never }));

export async function startBare(o: { address: string; namespace: string }): Promise<Bare> {
  const workflowBundle = await bareBundle();
  const nativeConnection = await NativeConnection.connect({ address: o.address });
  const worker = await Worker.create({ connection: nativeConnection, namespace: o.namespace, taskQueue: bareTaskQueue, workflowBundle });
  const running = worker.run();
  const connection = await Connection.connect({ address: o.address });
  const client = new Client({ connection, namespace: o.namespace });

  async function lifecycle(): Promise<BareResult> {
    const workflowId = `bench-bare-${crypto.randomUUID()}`;
    const steps: BareResult['steps'] = [];
    let t0 = performance.now();
    const handle = await client.workflow.start(bareLifecycle, { taskQueue: bareTaskQueue, workflowId, args: [bareUpdateNames.length] });
    steps.push({ name: 'start', ms: performance.now() - t0 });
    for (const name of bareUpdateNames) {
      t0 = performance.now();
      await handle.executeUpdate(bareStepUpdate, { args: [name] });
      steps.push({ name, ms: performance.now() - t0 });
    }
    return { workflowId, steps };
  }

  return {
    client,
    lifecycle,
    stop: async () => {
      if (worker.getState() === 'RUNNING') worker.shutdown();
      await running.catch(() => {});
      await connection.close();
      await nativeConnection.close();
    },
  };
}
