import { openConfiguredDatabase, prepareDatabase, temporalSettings, deliveryConfig } from '../config/boot';
import { loadConfig, requireExternalServices, runMain, workerTuning } from '../config';
import { createLogger } from '../config/logger';
import { protectDataDir } from '../config/data-dir';
import { installTemporalRuntime } from './runtime';
import { connectClient, connectWorkerConnection } from './client';
import { ensureRetentionSchedule } from './retention-schedule';
import { registerSearchAttributes } from './search-attributes';
import { createWorker } from './worker';

/** `npm run worker`: the Temporal worker alone, against external Temporal and PostgreSQL (production). */
runMain(async () => {
  const config = loadConfig();
  requireExternalServices(config);
  const log = createLogger(config.LOG_LEVEL);
  // Development mail is written under DATA_DIR: 0700, files 0600.
  protectDataDir(config.dataDir, { create: false, log });
  installTemporalRuntime(log, { metricsAddress: config.WORKER_METRICS_ADDRESS });
  const database = await openConfiguredDatabase(config);
  await prepareDatabase(database);
  const temporal = temporalSettings(config, config.TEMPORAL_ADDRESS!);
  const client = await connectClient(temporal);
  await registerSearchAttributes(client.connection, temporal.namespace);
  // Retention's daily run (RETENTION_AFTER_CLOSE; off removes it).
  const retention = await ensureRetentionSchedule(client, { taskQueue: temporal.taskQueue, afterCloseMs: config.RETENTION_AFTER_CLOSE });
  log.info({ schedule: retention, afterCloseMs: config.RETENTION_AFTER_CLOSE ?? null }, 'retention schedule');
  await client.connection.close();
  const connection = await connectWorkerConnection(temporal);
  const worker = await createWorker({ connection, namespace: temporal.namespace, taskQueue: temporal.taskQueue, payloadKeys: temporal.payloadKeys, db: database.db, delivery: deliveryConfig(config, log), tuning: workerTuning(config), log });
  // The SDK shuts the worker down gracefully on SIGINT/SIGTERM; run() resolves once it has drained.
  await worker.run();
  await connection.close();
  await database.close();
  log.info('worker stopped');
});
