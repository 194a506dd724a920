import { Router } from 'express';
import type { Registry } from 'prom-client';
import { runtimeMetricsAddress } from '../../temporal/runtime';
import type { AppDeps } from '../http/deps';
import { registry as openApi } from '../http/openapi';
import { problem } from '../http/problems';
import { metricsAccess } from './access';
import { addRegisteredCollectors, metricsRegistry } from './registry';
import { runtimeMetricsUrl, scrapeRuntimeMetrics } from './worker';

/** A scrape that takes longer than this answers 503: Prometheus gives up at its scrape_timeout (10 s by default) anyway. */
const collectTimeoutMs = 8_000;

/**
 * GET /metrics: Prometheus text exposition of the read model's figures and the API process's own metrics,
 * computed at scrape time; when this process runs the worker too (`npm start` with WORKER_METRICS_ADDRESS), its
 * Temporal runtime's series are appended. Access: see `metricsAccess`.
 */
export function metricsRouter(deps: AppDeps): Router {
  const router = Router();
  // Built at the first scrape: apps that are never scraped (most tests) start no process metrics.
  let registry: Registry | undefined;

  router.get('/metrics', metricsAccess(deps.config.METRICS_TOKEN), async (_req, res, next) => {
    registry ??= metricsRegistry(deps);
    addRegisteredCollectors(registry);
    const runtime = runtimeMetricsAddress();
    let timer: NodeJS.Timeout | undefined;
    try {
      const [own, worker] = await Promise.race([
        Promise.all([registry.metrics(), runtime ? scrapeRuntimeMetrics(runtimeMetricsUrl(runtime), deps.log) : '']),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error(`not collected within ${collectTimeoutMs} ms`)), collectTimeoutMs);
        }),
      ]);
      res.setHeader('Cache-Control', 'no-store');
      res.type(registry.contentType).send(own + worker);
    } catch (err) {
      // The message only: a collector's query error is not echoed with its parameters.
      deps.log.error({ err: (err as Error).message }, 'metrics could not be collected');
      next(problem(503, 'The metrics could not be collected (the database did not answer, or a collector failed); the error is logged', { type: 'metrics-unavailable', headers: { 'Retry-After': '15' } }));
    } finally {
      clearTimeout(timer);
    }
  });

  return router;
}

openApi.registerPath({
  method: 'get',
  path: '/metrics',
  operationId: 'getMetrics',
  summary: 'Prometheus metrics: open and overdue cases, undelivered notices, failed deliveries, process (and, under npm start, worker) metrics',
  description: 'Text exposition format. With METRICS_TOKEN set: `Authorization: Bearer <METRICS_TOKEN>` (not a user token); without it: loopback clients only.',
  security: [],
  responses: {
    200: { description: 'The metrics', content: { 'text/plain': { schema: { type: 'string' } } } },
    401: { description: 'METRICS_TOKEN is set and the request does not carry it' },
    403: { description: 'METRICS_TOKEN is not set and the client is not on loopback (or came through a proxy)' },
    503: { description: 'The figures could not be collected' },
  },
});
