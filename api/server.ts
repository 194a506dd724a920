import { createAuth, openConfiguredDatabase, prepareDatabase, temporalSettings } from '../config/boot';
import { outboundPolicy } from '../activities/delivery/outbound';
import { loadConfig, requireExternalServices, runMain, stuckThresholds } from '../config';
import { createLogger } from '../config/logger';
import { protectDataDir } from '../config/data-dir';
import { connectClient } from '../temporal/client';
import { registerSearchAttributes } from '../temporal/search-attributes';
import { createApp } from './app';
import { createHttpServer } from './http/server';

/** `npm run api`: the HTTP API alone, against external Temporal and PostgreSQL (production). */
runMain(async () => {
  const config = loadConfig();
  requireExternalServices(config);
  const log = createLogger(config.LOG_LEVEL);
  protectDataDir(config.dataDir, { create: false, log });
  const database = await openConfiguredDatabase(config);
  await prepareDatabase(database);
  const temporal = temporalSettings(config, config.TEMPORAL_ADDRESS!);
  const client = await connectClient(temporal);
  await registerSearchAttributes(client.connection, temporal.namespace);
  const app = createApp({ config, database, client, temporal, auth: createAuth(config), log, stuckThresholds: stuckThresholds(config), outbound: outboundPolicy(config.OUTBOUND_ALLOW, config.NODE_ENV) });
  const server = createHttpServer(app, { ...config, log }).listen(config.PORT, config.HOST, () => {
    log.info({ url: `http://${config.HOST}:${config.PORT}` }, 'API listening');
  });
  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    log.info('API stopping');
    server.close(async () => {
      await client.connection.close();
      await database.close();
      process.exit(0);
    });
    server.closeIdleConnections();
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
});
