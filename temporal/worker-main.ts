import { openConfiguredDatabase, prepareDatabase, temporalSettings, deliveryConfig } from '../config/boot';
import { loadConfig, requireExternalServices, runMain, workerTuning } from '../config';
import { createLogger } from '../config/logger';
import { installTemporalRuntime } from './runtime';
import { connectClient, connectWorkerConnection } from './client';
import { registerSearchAttributes } from './search-attributes';
import { createWorker } from './worker';

/** `npm run worker`: the Temporal worker alone, against external Temporal and PostgreSQL (production). */
runMain(async () => {
  const config = loadConfig();
  requireExternalServices(config);
  const log = createLogger(config.LOG_LEVEL);
  installTemporalRuntime(log, { metricsAddress: config.WORKER_METRICS_ADDRESS });
  const database = await openConfiguredDatabase(config);
  await prepareDatabase(database);
  const temporal = temporalSettings(config, config.TEMPORAL_ADDRESS!);
  const client = await connectClient(temporal);
  await registerSearchAttributes(client.connection, temporal.namespace);
  await client.connection.close();
  const connection = await connectWorkerConnection(temporal);
  const worker = await createWorker({ connection, namespace: temporal.namespace, taskQueue: temporal.taskQueue, payloadKeys: temporal.payloadKeys, db: database.db, delivery: deliveryConfig(config, log), tuning: workerTuning(config), log });
  // The SDK shuts the worker down gracefully on SIGINT/SIGTERM; run() resolves once it has drained.
  await worker.run();
  await connection.close();
  await database.close();
  log.info('worker stopped');
});
