import { Connection } from '@temporalio/client';
import type { temporal } from '@temporalio/proto';
import { MockActivityEnvironment } from '@temporalio/testing';
import { createActivities } from '../../activities';
import type { CaseChanges } from '../../activities/case/activities';
import { prepareDatabase } from '../../config/boot';
import { caseWorkflowId, clientOn } from '../../temporal/client';
import { acceptUpdate } from '../../workflows/case/messages';
import { caseLifecycle, randomResident } from './lifecycle-driver';
import { percentile } from './lifecycle';
import { freshDatabase } from './repeat-rule';
import type { BenchOptions, Figure, Section, SectionResult } from './section';
import { type Service, startService } from './stack';

/**
 * Where one transition's time goes (docs/performance.md, "Where the time goes"): serially, on twin cases
 * opened through the API, `accept` through the HTTP API against the same update sent straight to the case's
 * workflow with @temporalio/client (the difference is the API's own share: token, scope read, timeline read,
 * HTTP); from each direct update's history, how long its workflow task ran in the worker (started →
 * completed) and how many local activities it ran; and, in-process on a fresh database, how long the one
 * write of such a change takes (recordCaseChanges with accept's two events: the acceptance and the next stage).
 * (A local activity's marker carries no usable duration: its schedule time is the workflow's clock.)
 */

const sizes = (quick: boolean) => ({ warmup: quick ? 2 : 5, cases: quick ? 5 : 30 });
const ms = (v: number) => `${v.toFixed(1)} ms`;
const at = (t: { seconds?: unknown; nanos?: number | null } | null | undefined) => Number(t?.seconds ?? 0) * 1000 + (t?.nanos ?? 0) / 1e6;

/** The accept update's workflow task and its local activities, read from the case's history. */
function acceptTask(events: temporal.api.history.v1.IHistoryEvent[]): { taskMs: number; localActivities: number } {
  const accepted = events.findIndex((e) => e.workflowExecutionUpdateAcceptedEventAttributes?.acceptedRequest?.input?.name === acceptUpdate.name);
  if (accepted < 0) throw new Error('the accept update is not in the history');
  // The task that accepted the update: the completed event just before its commands, and its start.
  let completed = accepted;
  while (completed >= 0 && !events[completed]!.workflowTaskCompletedEventAttributes) completed--;
  const started = events.find((e) => String(e.eventId) === String(events[completed]!.workflowTaskCompletedEventAttributes!.startedEventId));
  let localActivities = 0;
  for (let i = completed + 1; i < events.length && !events[i]!.workflowTaskScheduledEventAttributes; i++) {
    if (events[i]!.markerRecordedEventAttributes?.markerName === 'core_local_activity') localActivities++;
  }
  return { taskMs: at(events[completed]!.eventTime) - at(started!.eventTime), localActivities };
}

/** recordCaseChanges timed in-process: `n` cases opened, then each one's accept written (two events, the row). */
async function timeWrites(o: BenchOptions, n: number): Promise<number[]> {
  const { database, dispose } = await freshDatabase(o);
  try {
    await prepareDatabase(database);
    const { recordCaseChanges } = createActivities({ db: database.db });
    const env = new MockActivityEnvironment();
    const projection = { stage: 'diagnose' as const, overdue: false, nextDueAt: null, provisional: false, paused: false, resolution: null, partnerUnreachable: false };
    const actor = { id: 'wang', role: 'staff' as const };
    const times: number[] = [];
    for (let i = 0; i < n; i++) {
      const caseId = `QG-20261201-${String(i + 1).padStart(4, '0')}`;
      const openedAt = new Date().toISOString();
      const opening: CaseChanges = {
        caseId,
        opening: {
          caseId,
          stationId: 'qianggen',
          serviceCode: 'home-plumbing-repair',
          category: 'life',
          deadlineClass: 'general',
          channel: 'walk-in',
          demand: 'Kitchen pipe leaking (benchmark)',
          resident: randomResident(),
          openedBy: actor,
          openedAt,
          catalogue: { name: 'Home plumbing repair', handlingMode: 'needs-documents', requiredDocuments: [], needsHomeVisit: false, issuesCertificate: false },
          rules: { responseGoal: 24, responseUnit: 'hours', resolutionGoal: 5, resolutionUnit: 'working-days', escalateOnBreach: false, callBackAfterHours: 72, reopenWindowHours: 168 },
        },
        events: [],
        notices: [],
      };
      await env.run(recordCaseChanges, opening);
      const accept: CaseChanges = {
        caseId,
        events: [
          { caseId, seq: 2, type: 'case.accepted', actor, at: openedAt, data: { decision: 'accept', documents: [] }, projection: { ...projection, stage: 'accept' } },
          { caseId, seq: 3, type: 'stage.entered', actor: { id: 'stationflow', role: 'system' }, at: openedAt, data: { stage: 'diagnose', from: 'accept' }, projection },
        ],
        notices: [],
      };
      const t0 = performance.now();
      await env.run(recordCaseChanges, accept);
      times.push(performance.now() - t0);
    }
    return times;
  } finally {
    await dispose();
  }
}

async function run(o: BenchOptions): Promise<SectionResult> {
  const size = sizes(o.quick);
  let service: Service | undefined;
  let connection: Connection | undefined;
  try {
    service = await startService({ databaseUrl: o.databaseUrl, log: o.log });
    const svc = service;
    const token = await svc.token({ sub: 'wang', role: 'staff', station: 'qianggen', name: 'Bench staff' });
    connection = await Connection.connect({ address: svc.temporalAddress });
    const client = clientOn(connection, svc);
    const post = async (path: string, body: unknown): Promise<{ ms: number; json: { id?: string } }> => {
      const t0 = performance.now();
      const res = await fetch(`${svc.apiUrl}${path}`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
      const json = (await res.json()) as { id?: string };
      if (res.status >= 300) throw new Error(`POST ${path} answered ${res.status}: ${JSON.stringify(json)}`);
      return { ms: performance.now() - t0, json };
    };
    const open = async () => (await post('/api/cases', { serviceCode: 'home-plumbing-repair', demand: 'Kitchen pipe leaking (benchmark)', channel: 'walk-in', resident: randomResident() })).json.id!;

    o.log(`transition: warming up (${size.warmup} lifecycles)`);
    for (let i = 0; i < size.warmup; i++) await caseLifecycle(svc.apiUrl, token, { stationId: 'qianggen', serviceCode: 'home-plumbing-repair' });
    const api: number[] = [];
    const direct: number[] = [];
    const task: number[] = [];
    let localActivities = 0;
    for (let i = 0; i < size.cases; i++) {
      const [viaApi, viaClient] = [await open(), await open()];
      api.push((await post(`/api/cases/${viaApi}/acceptance`, { decision: 'accept' })).ms);
      const handle = client.workflow.getHandle(caseWorkflowId(viaClient));
      const t0 = performance.now();
      await handle.executeUpdate(acceptUpdate, { args: [{ decision: 'accept', documents: [], actor: { id: 'wang', role: 'staff' } }] });
      direct.push(performance.now() - t0);
      const accepted = acceptTask((await handle.fetchHistory()).events ?? []);
      task.push(accepted.taskMs);
      localActivities += accepted.localActivities;
    }
    await connection.close();
    connection = undefined;
    await service.stop();
    service = undefined;
    o.log(`transition: the write of ${size.cases} changes timed in-process`);
    const write = await timeWrites(o, size.cases);
    const p50 = (xs: number[]) => percentile(xs, 50);
    const figures: Figure[] = [
      { name: 'accept through the API, p50 (serial)', value: ms(p50(api)) },
      { name: 'the same update straight to the workflow (@temporalio/client), p50', value: ms(p50(direct)) },
      { name: "the API's own share (token, scope read, timeline read, HTTP), p50 difference", value: ms(p50(api) - p50(direct)) },
      { name: "the update's workflow task in the worker (history: started → completed), p50", value: ms(p50(task)) },
      { name: `local activities in that workflow task`, value: String(localActivities / size.cases) },
      { name: "the change's write (recordCaseChanges: two events and the row, in-process), p50", value: ms(p50(write)) },
    ];
    const round = (v: number) => Number(v.toFixed(1));
    return {
      figures,
      json: {
        cases: size.cases,
        apiP50: round(p50(api)),
        directP50: round(p50(direct)),
        workflowTaskP50: round(p50(task)),
        writeP50: round(p50(write)),
        localActivitiesPerUpdate: localActivities / size.cases,
      },
    };
  } finally {
    await connection?.close();
    await service?.stop();
  }
}

export const transition: Section = { name: 'transition', run };
