import {
  acceptUpdate,
  caseStateQuery,
  closeUpdate,
  completeTaskUpdate,
  diagnoseUpdate,
  evaluateUpdate,
  planUpdate,
  repeatDemandUpdate,
} from '../workflows/case/messages';
import { act, expectWholeTimeline, inMinutes, openCase, timeline } from './helpers/cases';
import { subsidyCase } from './helpers/fixtures';
import { keepHistory } from './helpers/histories';
import { eventually, useStack } from './helpers/stack';

/** The subsidy with one required document and no home visit: the steps, not the rules, are under test. */
const subsidy = { ...subsidyCase, catalogue: { ...subsidyCase.catalogue!, requiredDocuments: ['ID card'], needsHomeVisit: false } };

describe('a case survives crashes and long lives', () => {
  const { stack } = useStack();

  it('continues after the worker is killed mid-case; the timeline has no gaps and no duplicates', async () => {
    const id = 'QG-20261123-0401';
    const h = await openCase(stack, id, subsidy);
    await act(h, acceptUpdate, { decision: 'accept', documents: ['ID card'] });

    // The diagnosis is sent and the worker dies while handling it (as a crash or deploy would).
    const pending = act(h, diagnoseUpdate, { findings: 'Eligible' });
    await new Promise((r) => setTimeout(r, 30));
    await stack.stopWorker();
    await new Promise((r) => setTimeout(r, 500));
    await stack.startWorker();
    expect((await pending).stage).toBe('plan');

    await act(h, planUpdate, { goals: ['g'], tasks: [{ title: 'Submit', assignee: { kind: 'staff', id: 'wang' }, dueAt: inMinutes(60) }] });
    await stack.stopWorker();
    await stack.startWorker();
    await act(h, completeTaskUpdate, { taskId: 'T1', outcome: 'done' });
    await act(h, closeUpdate, { resolution: 'resolved', summary: 'Granted' });
    await act(h, evaluateUpdate, { rating: 'satisfied', via: 'in-person' });
    await h.result();

    const events = await timeline(stack, id);
    expectWholeTimeline(events);
    const types = events.map((e) => e.type);
    for (const once of ['case.accepted', 'case.diagnosed', 'plan.adopted', 'task.completed', 'case.closed', 'case.evaluated']) {
      expect(types.filter((t) => t === once)).toHaveLength(1);
    }
    await keepHistory(stack, h, 'case-worker-restarts');
  });

  it('continues as new past its history limit, carrying the state over', async () => {
    const id = 'QG-20261123-0402';
    const h = await openCase(stack, id, { ...subsidy, historyLimit: 40 });
    const firstRun = (await h.describe()).runId;
    await act(h, acceptUpdate, { decision: 'accept', documents: ['ID card'] });
    for (let i = 0; i < 6; i++) await act(h, repeatDemandUpdate, { demand: `Asked again ${i}`, channel: 'hotline-12345', receivedAt: new Date().toISOString() });

    const s = await eventually(async () => {
      const q = await h.query(caseStateQuery);
      return (q.runs ?? 0) >= 1 && q;
    }, 20_000, 'a continue-as-new');
    expect((await h.describe()).runId).not.toBe(firstRun);
    // The run that decided to continue as new, replayed (and recorded) with its decision.
    await keepHistory(stack, stack.client.workflow.getHandle(h.workflowId, firstRun), 'case-continued-as-new', firstRun);
    expect(s.stage).toBe('diagnose');
    expect(s.repeats!.length).toBeGreaterThanOrEqual(6);
    expect(s.clocks!.find((c) => c.kind === 'resolution')!.status).toBe('running');

    // The new run carries on with the same case.
    await act(h, diagnoseUpdate, { findings: 'Eligible' });
    const after = await act(h, planUpdate, { goals: ['g'], tasks: [{ title: 'Submit', assignee: { kind: 'staff', id: 'wang' }, dueAt: inMinutes(60) }] });
    expect(after.stage).toBe('execute');
    expect(after.repeats).toHaveLength(6);
    expectWholeTimeline(await timeline(stack, id));
  });
});
