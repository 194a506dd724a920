import { temporal } from '@temporalio/proto';
import { Router } from 'express';
import type { AppDeps } from '../http/deps';
import { problemResponses, registry } from '../http/openapi';

const withTimeout = <T>(ms: number, what: string, p: Promise<T>): Promise<T> =>
  Promise.race([p, new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`${what} did not answer within ${ms} ms`)), ms).unref())]);

type Check = { status: 'ok' } | { status: 'failing' };

/** What an unauthenticated caller may learn of a failing dependency: which one, never its error's text. */
const failingSays = {
  database: 'the database does not answer',
  temporal: 'Temporal does not answer',
  worker: 'no worker is polling the task queue',
} as const;
type Dependency = keyof typeof failingSays;

/** How recent a poll must be for the worker to count as polling (the server refreshes it about once a minute). */
const pollerFreshMs = 2 * 60_000;

export function healthRouter(deps: AppDeps): Router {
  const router = Router();

  router.get('/healthz', (_req, res) => {
    res.json({ status: 'up' });
  });

  /** The internal error text goes to the log, once per dependency while it keeps failing the same way. */
  const lastLogged = new Map<Dependency, string>();
  const check = async (dependency: Dependency, fn: () => Promise<unknown>): Promise<Check> => {
    try {
      await fn();
      if (lastLogged.delete(dependency)) deps.log.info({ dependency }, 'readiness: dependency answers again');
      return { status: 'ok' };
    } catch (err) {
      const detail = (err as Error).message;
      if (lastLogged.get(dependency) !== detail) deps.log.warn({ dependency, detail }, `readiness: ${failingSays[dependency]}`);
      lastLogged.set(dependency, detail);
      return { status: 'failing' };
    }
  };

  router.get('/readyz', async (_req, res) => {
    const { client, temporal: settings } = deps;
    const checks = {
      database: await check('database', () => withTimeout(2000, 'the database', deps.database.ping())),
      temporal: await check('temporal', () => client.connection.withDeadline(Date.now() + 2000, () => client.workflowService.getSystemInfo({}))),
      worker: await check('worker', async () => {
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
    const failing = (Object.keys(checks) as Dependency[]).filter((name) => checks[name].status !== 'ok');
    res
      .status(503)
      .type('application/problem+json')
      .json({
        type: '/problems/not-ready',
        title: 'Service Unavailable',
        status: 503,
        detail: `Not ready: ${failing.map((name) => failingSays[name]).join('; ')}`,
        failing,
        checks,
      });
  });

  return router;
}

registry.registerPath({
  method: 'get',
  path: '/healthz',
  operationId: 'getLiveness',
  summary: 'Liveness: the process is up',
  security: [],
  responses: { 200: { description: 'Up' }, ...problemResponses(431) },
});
registry.registerPath({
  method: 'get',
  path: '/readyz',
  operationId: 'getReadiness',
  summary: 'Readiness: database and Temporal reachable, a worker polling the task queue',
  security: [],
  responses: {
    200: { description: 'Ready' },
    503: { description: 'Not ready: `failing` names the dependencies that fail (database, temporal, worker), `checks` has each one\'s status; their errors are in the log, not here' },
    ...problemResponses(431),
  },
});
