import fs from 'node:fs';
import { NativeConnection } from '@temporalio/worker';
import { defaultDeliveryConfig, type DeliveryConfig } from '../../activities/delivery/config';
import { createLogger } from '../../config/logger';
import { openDatabase } from '../../db/client';
import { installTemporalRuntime } from '../../temporal/runtime';
import { createWorker } from '../../temporal/worker';
import { testPayloadKeys } from './payload-keys';

/**
 * The worker as its own OS process, for test/delivery-crash.test.ts, which kills it with SIGKILL (a real
 * crash: no graceful shutdown, no drained activities) and starts it again. Run with `node --import tsx`.
 *
 * Environment: TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, TEMPORAL_TASK_QUEUE, DATABASE_URL, WORKFLOW_BUNDLE_PATH
 * (a prebuilt bundle, so a restart takes a second or two), DELIVERY_TIMEOUT_MS, DELIVERY_RETRY_WINDOW_MS,
 * DELIVERY_INITIAL_INTERVAL_MS, DELIVERY_MAXIMUM_INTERVAL_MS. Prints `ready` on stdout once it polls.
 * Leaves when its stdin closes, so it never outlives the test process that spawned it.
 */
function required(name: string): string {
  const v = process.env[name];
  if (!v) throw new Error(`crash-worker: ${name} is not set`);
  return v;
}
const ms = (name: string) => Number(required(name));

async function main(): Promise<void> {
  process.stdin.on('close', () => process.exit(0));
  process.stdin.resume();

  const log = createLogger(process.env.TEST_LOG_LEVEL ?? 'warn', process.stderr);
  installTemporalRuntime(log);
  const delivery: DeliveryConfig = {
    ...defaultDeliveryConfig,
    timeoutMs: ms('DELIVERY_TIMEOUT_MS'),
    retryWindowMs: ms('DELIVERY_RETRY_WINDOW_MS'),
    initialIntervalMs: ms('DELIVERY_INITIAL_INTERVAL_MS'),
    maximumIntervalMs: ms('DELIVERY_MAXIMUM_INTERVAL_MS'),
  };
  const database = await openDatabase({ url: required('DATABASE_URL'), max: 10 });
  const connection = await NativeConnection.connect({ address: required('TEMPORAL_ADDRESS') });
  const worker = await createWorker({
    connection,
    namespace: required('TEMPORAL_NAMESPACE'),
    taskQueue: required('TEMPORAL_TASK_QUEUE'),
    payloadKeys: testPayloadKeys,
    db: database.db,
    delivery,
    workflowBundle: { code: fs.readFileSync(required('WORKFLOW_BUNDLE_PATH'), 'utf8') },
    log,
  });
  const running = worker.run();
  process.stdout.write('ready\n');
  await running;
  await connection.close();
  await database.close();
}

main().catch((err) => {
  process.stderr.write(`crash-worker: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
