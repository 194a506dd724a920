import { createHttpServer } from '../api/http/server';
import path from 'node:path';
import { createApp } from '../api/app';
import { browserApiUrl, codecEndpoint } from '../api/codec/routes';
import type { Auth } from '../api/http/auth';
import { loadConfig, runMain, stuckThresholds, workerTuning } from '../config';
import { createAuth, openConfiguredDatabase, prepareDatabase, temporalSettings, deliveryConfig, noReplyUrlWarning, replyBaseUrl } from '../config/boot';
import { createLogger } from '../config/logger';
import { protectDataDir } from '../config/data-dir';
import { assertPortFree, type NeededPort, PortInUseError } from '../config/ports';
import { splitBindAddress } from '../config/index';
import { installTemporalRuntime } from '../temporal/runtime';
import { demo } from '../db/seed';
import { connectClient, connectWorkerConnection } from '../temporal/client';
import { startDevServer } from '../temporal/dev-server';
import { ensureRetentionSchedule } from '../temporal/retention-schedule';
import { registerSearchAttributes } from '../temporal/search-attributes';
import { createWorker } from '../temporal/worker';
import { outboundPolicy } from '../activities/delivery/outbound';

/**
 * `npm start`: the whole service in one process on embedded defaults — a Temporal dev server (child
 * process, SQLite under DATA_DIR) unless TEMPORAL_ADDRESS is set, an embedded PGlite under DATA_DIR unless
 * DATABASE_URL is set, the worker and the API. Ctrl-C drains the worker and stops everything it started.
 * A port it needs that is in use stops it at once with one line; the dev server dies with this process,
 * however it dies, and if the dev server goes first this process stops with exit code 1.
 */
runMain(async () => {
  const config = loadConfig();
  const log = createLogger(config.LOG_LEVEL);
  // Before anything writes under DATA_DIR (the dev server, PGlite, the signing secret): 0700, files 0600.
  protectDataDir(config.dataDir, { create: true, log });
  const cleanups: { name: string; run: () => Promise<unknown> }[] = [];
  let stopping: Promise<void> | undefined;
  const stop = (code: number) =>
    (stopping ??= (async () => {
      if (cleanups.length === 0) process.exit(code);
      log.info('stopping stationflow');
      for (const { name, run } of cleanups.reverse()) {
        try {
          // A step that hangs (a worker draining against a dead server) must not keep the process alive.
          await Promise.race([run(), new Promise((_, reject) => setTimeout(() => reject(new Error('did not finish within 15 s')), 15_000).unref())]);
        } catch (err) {
          log.warn({ err: (err as Error).message }, `stopping ${name} failed`);
        }
      }
      log.info('stopped');
      process.exit(code);
    })());
  // `on`, not `once`: Ctrl-C reaches us twice (the terminal's group signal and tsx's relay), and a
  // second signal with no listener left would end the process before everything has stopped.
  process.on('SIGINT', () => void stop(0));
  process.on('SIGTERM', () => void stop(0));

  try {
    // Every port it listens on, before anything starts: never attach to whatever listens there.
    const ports: NeededPort[] = [{ port: config.PORT, host: config.HOST, variable: 'PORT', what: 'the API' }];
    if (!config.TEMPORAL_ADDRESS) {
      ports.push({ port: config.TEMPORAL_DEV_PORT, host: '127.0.0.1', variable: 'TEMPORAL_DEV_PORT', what: 'the Temporal dev server' });
      ports.push({ port: config.TEMPORAL_UI_PORT, host: '127.0.0.1', variable: 'TEMPORAL_UI_PORT', what: 'the Temporal UI' });
    }
    const metrics = config.WORKER_METRICS_ADDRESS ? splitBindAddress(config.WORKER_METRICS_ADDRESS) : undefined;
    if (metrics) ports.push({ ...metrics, variable: 'WORKER_METRICS_ADDRESS', what: "the worker's metrics" });
    for (const needed of ports) await assertPortFree(needed);
    // After the port checks: the runtime binds WORKER_METRICS_ADDRESS at once (its metrics are in GET /metrics too).
    installTemporalRuntime(log, { metricsAddress: config.WORKER_METRICS_ADDRESS });

    let address = config.TEMPORAL_ADDRESS;
    if (!address) {
      log.info({ dataDir: config.dataDir }, 'starting the Temporal dev server');
      const dev = await startDevServer({
        cliPath: config.TEMPORAL_CLI_PATH,
        dbFilename: path.join(config.dataDir, 'temporal.db'),
        port: config.TEMPORAL_DEV_PORT,
        uiPort: config.TEMPORAL_UI_PORT,
        // The UI decodes payloads through the API's codec server, for those signed in there (README "The Temporal UI and the codec server").
        uiCodecEndpoint: codecEndpoint(browserApiUrl(config)),
        namespace: config.TEMPORAL_NAMESPACE,
      });
      cleanups.push({ name: 'Temporal dev server', run: dev.stop });
      void dev.exited.then(({ code, signal }) => {
        if (stopping) return;
        log.error(`the Temporal dev server exited unexpectedly (${signal ? `signal ${signal}` : `code ${code}`}): stopping`);
        void stop(1);
      });
      address = dev.address;
    }

    const database = await openConfiguredDatabase(config);
    cleanups.push({ name: 'database', run: () => database.close() });
    await prepareDatabase(database);

    const temporal = temporalSettings(config, address);
    const client = await connectClient(temporal);
    cleanups.push({ name: 'Temporal client', run: () => client.connection.close() });
    await registerSearchAttributes(client.connection, temporal.namespace);
    // Retention's daily run (RETENTION_AFTER_CLOSE; off removes it).
    await ensureRetentionSchedule(client, { taskQueue: temporal.taskQueue, afterCloseMs: config.RETENTION_AFTER_CLOSE });

    const connection = await connectWorkerConnection(temporal);
    cleanups.push({ name: 'worker connection', run: () => connection.close() });
    const worker = await createWorker({ connection, namespace: temporal.namespace, taskQueue: temporal.taskQueue, payloadKeys: temporal.payloadKeys, db: database.db, delivery: deliveryConfig(config), tuning: workerTuning(config), log });
    const running = worker.run();
    cleanups.push({
      name: 'worker',
      run: async () => {
        if (worker.getState() === 'RUNNING') worker.shutdown();
        await running;
      },
    });
    running.catch((err: unknown) => {
      if (stopping) return log.warn({ err: (err as Error).message }, 'worker failed while stopping');
      log.error({ err }, 'worker failed');
      void stop(1);
    });

    const auth = createAuth(config);
    const app = createApp({ config, database, client, temporal, auth, log, stuckThresholds: stuckThresholds(config), outbound: outboundPolicy(config.OUTBOUND_ALLOW, config.NODE_ENV) });
    const server = createHttpServer(app, { ...config, log });
    await new Promise<void>((resolve, reject) => server.once('error', reject).listen(config.PORT, config.HOST, resolve)).catch((err: NodeJS.ErrnoException) => {
      throw err.code === 'EADDRINUSE' ? new PortInUseError(config.PORT, 'PORT', 'the API') : err;
    });
    cleanups.push({
      name: 'API',
      run: () =>
        new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeAllConnections();
        }),
    });

    const apiUrl = config.PUBLIC_URL ?? `http://${config.HOST === '0.0.0.0' ? 'localhost' : config.HOST}:${config.PORT}`;
    process.stdout.write(await banner({ apiUrl, uiUrl: temporal.uiUrl, codecSignIn: `${codecEndpoint(browserApiUrl(config))}/sign-in`, database: database.kind === 'pglite' ? `embedded PGlite in ${path.join(config.dataDir, 'pglite')}` : 'PostgreSQL (DATABASE_URL)', auth }) + (replyBaseUrl(config) ? '' : `Warning: ${noReplyUrlWarning}.\n\n`));
  } catch (err) {
    if (err instanceof PortInUseError) log.error(err.message);
    else log.error({ err }, 'start failed');
    await stop(1);
  }
});

async function banner(o: { apiUrl: string; uiUrl?: string; codecSignIn: string; database: string; auth: Auth }): Promise<string> {
  const station = demo.stations[0]!;
  const department = demo.departments[0]!;
  const subdistrict = demo.subdistricts[0]!;
  const tokens = {
    [`staff (station ${station.id})`]: await o.auth.sign({ sub: 'demo-staff', role: 'staff', station: station.id, name: 'Demo social worker' }),
    [`department (${department.id})`]: await o.auth.sign({ sub: 'demo-department', role: 'department', department: department.id }),
    [`supervisor (subdistrict ${subdistrict.id})`]: await o.auth.sign({ sub: 'demo-supervisor', role: 'supervisor', subdistrict: subdistrict.id }),
    admin: await o.auth.sign({ sub: 'demo-admin', role: 'admin' }),
  };
  return [
    '',
    'stationflow is ready',
    `  Web console  ${o.apiUrl}/console/   (中文 / English; sign in as a demo person)`,
    `  API          ${o.apiUrl}   (reference: ${o.apiUrl}/docs, OpenAPI: ${o.apiUrl}/openapi.json, readiness: ${o.apiUrl}/readyz)`,
    `  Temporal UI  ${o.uiUrl ?? '(external Temporal: set TEMPORAL_UI_URL)'}`,
    `               resident data stays encrypted there until you sign in with a staff, supervisor or admin token at ${o.codecSignIn}`,
    `  Database     ${o.database}`,
    '',
    'Demo tokens (mint more with: npm run token -- --role staff --station qianggen):',
    ...Object.entries(tokens).map(([who, token]) => `  ${who}:\n    ${token}`),
    '',
    'Open a case:',
    `  curl -X POST ${o.apiUrl}/api/cases -H "Authorization: Bearer <staff token>" -H "Content-Type: application/json" \\`,
    `    -d '{"serviceCode":"home-plumbing-repair","demand":"Kitchen pipe leaking","resident":{"name":"Li"}}'`,
    '',
    'Press Ctrl-C to stop.',
    '',
  ].join('\n');
}
