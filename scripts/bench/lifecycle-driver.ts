import crypto from 'node:crypto';
import { performance } from 'node:perf_hooks';

/**
 * One case driven through the real HTTP API from its opening to its end, with no pause between steps:
 * open (POST /api/cases: the workflow's start with its `opened` update), then six transitions, each one
 * update of the case workflow — 7 updates in all after the start, as the bare workflow of bare.ts does.
 */

/** The steps in order; each after `create` is one update. */
export const lifecycleSteps = ['create', 'accept', 'diagnose', 'plan', 'complete-task', 'close', 'evaluate'] as const;
export type LifecycleStep = (typeof lifecycleSteps)[number];

/** Updates a lifecycle runs: the opening's `opened` (update-with-start) and one per transition. */
export const lifecycleUpdates = lifecycleSteps.length;

/** The read-model event each step writes (the timeline's `type`), for measuring how far the read model lags. */
export const stepEvents: Record<LifecycleStep, string> = {
  create: 'case.opened',
  accept: 'case.accepted',
  diagnose: 'case.diagnosed',
  plan: 'plan.adopted',
  'complete-task': 'task.completed',
  close: 'case.closed',
  evaluate: 'case.evaluated',
};

export interface BenchResident {
  name: string;
  phone?: string;
  address?: string;
}

export interface LifecycleOptions {
  stationId?: string;
  serviceCode?: string;
  /** Defaults to a resident with a random phone number, so the repeat rule never merges two creates. */
  resident?: BenchResident;
  /** Called as each step is answered (performance.now() of the answer), e.g. by a read-model lag sampler. */
  onAnswer?: (a: { caseId: string; step: LifecycleStep; answeredAt: number; body: any }) => void;
}

export interface LifecycleResult {
  caseId: string;
  steps: { name: LifecycleStep; ms: number }[];
}

/**
 * A resident no other bench case has: a random name and mobile number (never logged). Distinct names too: the
 * opening locks the resident's name and address as well as the phone (api/cases/repeat.ts demandLocks), so
 * residents sharing a name would queue every create on one lock, which a station's real residents do not.
 */
export function randomResident(): BenchResident {
  return { name: `Bench resident ${crypto.randomUUID().slice(0, 8)}`, phone: `13${crypto.randomInt(0, 1e9).toString().padStart(9, '0')}` };
}

async function call(apiUrl: string, token: string, method: 'GET' | 'POST', path: string, body?: unknown): Promise<{ status: number; json: any }> {
  const res = await fetch(`${apiUrl}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  let json: any;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = text;
  }
  if (res.status < 200 || res.status >= 300) {
    throw new Error(`${method} ${path} answered ${res.status}: ${typeof json === 'string' ? json : JSON.stringify(json)}`);
  }
  return { status: res.status, json };
}

/** GET against the API with a token; throws on a non-2xx with the problem body. */
export const apiGet = (apiUrl: string, token: string, path: string) => call(apiUrl, token, 'GET', path).then((r) => r.json);

export async function caseLifecycle(apiUrl: string, staffToken: string, o: LifecycleOptions = {}): Promise<LifecycleResult> {
  const steps: LifecycleResult['steps'] = [];
  let caseId = '';
  const step = async (name: LifecycleStep, path: () => string, body: unknown): Promise<any> => {
    const t0 = performance.now();
    const { json } = await call(apiUrl, staffToken, 'POST', path(), body);
    const t1 = performance.now();
    steps.push({ name, ms: t1 - t0 });
    if (name === 'create') caseId = json.id;
    o.onAnswer?.({ caseId, step: name, answeredAt: t1, body: json });
    return json;
  };
  const at = (action: string) => () => `/api/cases/${caseId}/${action}`;

  const opened = await step('create', () => '/api/cases', {
    serviceCode: o.serviceCode ?? 'home-plumbing-repair',
    demand: 'Kitchen pipe leaking (benchmark)',
    channel: 'walk-in',
    ...(o.stationId ? { stationId: o.stationId } : {}),
    resident: o.resident ?? randomResident(),
  });
  if (opened.repeated) throw new Error(`POST /api/cases was taken as a repeat of ${opened.repeatOf}: the bench needs a new case each time`);
  await step('accept', at('acceptance'), { decision: 'accept' });
  await step('diagnose', at('diagnosis'), { findings: 'Corroded pipe under the sink' });
  const planned = await step('plan', at('plan'), {
    goals: ['Pipe repaired'],
    tasks: [{ title: 'Replace the pipe', assignee: { kind: 'staff', id: 'wang' }, dueAt: new Date(Date.now() + 24 * 3_600_000).toISOString() }],
  });
  const taskId: string | undefined = planned.tasks?.[0]?.id;
  if (!taskId) throw new Error(`the plan of ${caseId} answered no task: ${JSON.stringify(planned.tasks)}`);
  await step('complete-task', at(`tasks/${taskId}/completion`), { outcome: 'done' });
  await step('close', at('closure'), { resolution: 'resolved', summary: 'Pipe replaced' });
  await step('evaluate', at('evaluation'), { rating: 'satisfied', via: 'in-person' });
  return { caseId, steps };
}
