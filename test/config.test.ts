import type { NativeConnection } from '@temporalio/worker';
import { ConfigError, loadConfig, requireExternalServices, workerTuning } from '../config';
import type { Db } from '../db/client';
import { formatPayloadKeys } from '../config/payload-keys';
import { sdkWorkerOptions } from '../temporal/worker';
import { testPayloadKeys } from './helpers/payload-keys';

describe('configuration', () => {
  it('applies the embedded defaults when nothing is set', () => {
    const c = loadConfig({});
    expect(c.PORT).toBe(3000);
    expect(c.TEMPORAL_ADDRESS).toBeUndefined();
    expect(c.DATABASE_URL).toBeUndefined();
    expect(c.TEMPORAL_TASK_QUEUE).toBe('stationflow');
    expect(c.dataDir).toMatch(/data$/);
  });

  it('treats an empty variable as unset', () => {
    expect(loadConfig({ DATABASE_URL: '', TEMPORAL_ADDRESS: ' ' }).DATABASE_URL).toBeUndefined();
  });

  it.each([
    ['PORT', '70000', /PORT must be between 1 and 65535 \(got "70000"\)/],
    ['PORT', 'abc', /PORT .*\(got "abc"\)/],
    ['TEMPORAL_ADDRESS', 'http://x', /TEMPORAL_ADDRESS must be host:port/],
    ['DATABASE_URL', 'not a url', /DATABASE_URL must be a postgres:\/\/ URL/],
    ['AUTH_SECRET', 'short', /AUTH_SECRET must be at least 32 characters/],
    ['LOG_LEVEL', 'loud', /LOG_LEVEL /],
    ['BODY_LIMIT', 'huge', /BODY_LIMIT must look like 100kb/],
  ])('rejects %s=%s with one line naming the variable', (name, value, message) => {
    let error: unknown;
    try {
      loadConfig({ [name]: value });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toMatch(message);
    expect((error as Error).message).not.toContain('\n');
  });

  it('never echoes a rejected secret or database URL', () => {
    expect(() => loadConfig({ AUTH_SECRET: 'hunter2-short' })).toThrow(/^(?!.*hunter2).*AUTH_SECRET must be at least 32 characters/);
    expect(() => loadConfig({ DATABASE_URL: 'pw-in-here' })).toThrow(/^(?!.*pw-in-here).*DATABASE_URL/);
  });

  it('passes the worker settings to the SDK worker, with bounded defaults', () => {
    const options = (env: NodeJS.ProcessEnv) =>
      sdkWorkerOptions({ connection: {} as NativeConnection, namespace: 'default', taskQueue: 'q', payloadKeys: testPayloadKeys, db: {} as Db, tuning: workerTuning(loadConfig(env)) });
    expect(options({})).toMatchObject({ maxCachedWorkflows: 100, maxConcurrentWorkflowTaskExecutions: 40, maxConcurrentActivityTaskExecutions: 100, maxConcurrentLocalActivityExecutions: 100 });
    expect(
      options({ WORKER_MAX_CACHED_WORKFLOWS: '250', WORKER_MAX_CONCURRENT_WORKFLOW_TASKS: '8', WORKER_MAX_CONCURRENT_ACTIVITIES: '20', WORKER_MAX_CONCURRENT_LOCAL_ACTIVITIES: '30' }),
    ).toMatchObject({ maxCachedWorkflows: 250, maxConcurrentWorkflowTaskExecutions: 8, maxConcurrentActivityTaskExecutions: 20, maxConcurrentLocalActivityExecutions: 30 });
    expect(options({ WORKER_MAX_CACHED_WORKFLOWS: '0' }).maxCachedWorkflows).toBe(0);
  });

  it.each([
    ['WORKER_MAX_CACHED_WORKFLOWS', '-1', /WORKER_MAX_CACHED_WORKFLOWS must be at least 0 \(got "-1"\)/],
    ['WORKER_MAX_CACHED_WORKFLOWS', 'lots', /WORKER_MAX_CACHED_WORKFLOWS must be a whole number/],
    ['WORKER_MAX_CONCURRENT_WORKFLOW_TASKS', '1', /WORKER_MAX_CONCURRENT_WORKFLOW_TASKS must be at least 2/],
    ['WORKER_MAX_CONCURRENT_ACTIVITIES', '2.5', /WORKER_MAX_CONCURRENT_ACTIVITIES must be a whole number/],
  ])('rejects the worker setting %s=%s', (name, value, message) => {
    expect(() => loadConfig({ [name]: value })).toThrow(message);
  });

  it('requires external services for the separate worker and API entry points', () => {
    expect(() => requireExternalServices(loadConfig({}))).toThrow(/DATABASE_URL, TEMPORAL_ADDRESS, AUTH_SECRET, PAYLOAD_KEYS must be set/);
    expect(() =>
      requireExternalServices(
        loadConfig({ DATABASE_URL: 'postgres://u:p@db/x', TEMPORAL_ADDRESS: 'temporal:7233', AUTH_SECRET: 's'.repeat(32), PAYLOAD_KEYS: formatPayloadKeys(testPayloadKeys) }),
      ),
    ).not.toThrow();
  });
});
