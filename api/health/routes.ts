import { temporal } from '@temporalio/proto';
import { Router } from 'express';
import type { AppDeps } from '../http/deps';
import { registry } from '../http/openapi';

const withTimeout = <T>(ms: number, what: string, p: Promise<T>): Promise<T> =>
  Promise.race([p, new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`${what} did not answer within ${ms} ms`)), ms).unref())]);

type Check = { status: 'ok' } | { status: 'failing'; detail: string };

async function check(fn: () => Promise<unknown>): Promise<Check> {
  try {
    await fn();
    return { status: 'ok' };
  } catch (err) {
    return { status: 'failing', detail: (err as Error).message };
  }
}

/** How recent a poll must be for the worker to count as polling (the server refreshes it about once a minute). */
const pollerFreshMs = 2 * 60_000;

export function healthRouter(deps: AppDeps): Router {
  const router = Router();

  router.get('/healthz', (_req, res) => {
    res.json({ status: 'up' });
  });

  router.get('/readyz', async (_req, res) => {
    const { client, temporal: settings } = deps;
    const checks = {
      database: await check(() => withTimeout(2000, 'the database', deps.database.ping())),
      temporal: await check(() => client.connection.withDeadline(Date.now() + 2000, () => client.workflowService.getSystemInfo({}))),
      worker: await check(async () => {
        const { pollers } = await client.connection.withDeadline(Date.now() + 2000, () =>
          client.workflowService.describeTaskQueue({
            namespace: settings.namespace,
            taskQueue: { name: settings.taskQueue, kind: temporal.api.enums.v1.TaskQueueKind.TASK_QUEUE_KIND_NORMAL },
            taskQueueType: temporal.api.enums.v1.TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW,
          }),
        );
        const fresh = (pollers ?? []).filter((p) => {
          const seconds = Number(p.lastAccessTime?.seconds ?? 0);
          return Date.now() - seconds * 1000 < pollerFreshMs;
        });
        if (fresh.length === 0) throw new Error(`no worker is polling task queue ${settings.taskQueue}`);
      }),
    };
    const ready = Object.values(checks).every((c) => c.status === 'ok');
    if (ready) {
      res.json({ status: 'ready', checks });
      return;
    }
    const failing = Object.entries(checks)
      .filter(([, c]) => c.status !== 'ok')
      .map(([name, c]) => `${name}: ${(c as { detail: string }).detail}`);
    res
      .status(503)
      .type('application/problem+json')
      .json({ type: '/problems/not-ready', title: 'Service Unavailable', status: 503, detail: `Not ready: ${failing.join('; ')}`, checks });
  });

  return router;
}

registry.registerPath({ method: 'get', path: '/healthz', summary: 'Liveness: the process is up', security: [], responses: { 200: { description: 'Up' } } });
registry.registerPath({
  method: 'get',
  path: '/readyz',
  summary: 'Readiness: database and Temporal reachable, a worker polling the task queue',
  security: [],
  responses: { 200: { description: 'Ready' }, 503: { description: 'Not ready; `checks` says which dependency fails' } },
});
