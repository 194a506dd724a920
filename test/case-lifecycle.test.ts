import { eq } from 'drizzle-orm';
import { cases } from '../db/schema';
import { searchAttributes } from '../temporal/search-attribute-keys';
import {
  acceptUpdate,
  caseStateQuery,
  closeUpdate,
  completeTaskUpdate,
  diagnoseUpdate,
  evaluateUpdate,
  planUpdate,
  rejections,
  repeatDemandUpdate,
} from '../workflows/case/messages';
import { act, expectWholeTimeline, inMinutes, notificationsOf, openCase, refusal, staff, timeline } from './helpers/cases';
import { generalRules, homeVisit, subsidyCase, subsidyDocuments } from './helpers/fixtures';
import { keepHistory } from './helpers/histories';
import { eventually, useStack } from './helpers/stack';

const subsidy = subsidyCase;
const allDocuments = subsidyDocuments;

describe('the six stages of a case on the Temporal dev server', () => {
  const { stack } = useStack();

  it('runs accept → diagnose → plan → execute → coordinate → close, recording every step', async () => {
    const id = 'QG-20261123-0201';
    const h = await openCase(stack, id, subsidy);

    let s = await act(h, acceptUpdate, { decision: 'accept', documents: allDocuments });
    expect(s.stage).toBe('diagnose');
    expect(s.clocks!.find((c) => c.kind === 'response')!.status).toBe('met');

    s = await act(h, diagnoseUpdate, { findings: 'Eligible by age', homeVisit });
    expect(s.stage).toBe('plan');

    s = await act(h, planUpdate, {
      goals: ['Subsidy granted'],
      tasks: [
        { title: 'Submit the application', assignee: { kind: 'staff', id: 'wang' }, dueAt: inMinutes(60) },
        { title: 'Install grab bars', assignee: { kind: 'partner', id: 'anju-repair' }, dueAt: inMinutes(120) },
      ],
    });
    expect(s.stage).toBe('execute');
    expect(s.tasks!.map((t) => [t.id, t.status])).toEqual([
      ['T1', 'open'],
      ['T2', 'open'],
    ]);
    expect(s.clocks!.filter((c) => c.kind === 'task' && c.status === 'running')).toHaveLength(2);
    const notes = await notificationsOf(stack, id);
    expect(notes.find((n) => n.recipientKind === 'partner')).toMatchObject({ recipientId: 'anju-repair', kind: 'task.assigned' });

    s = await act(h, completeTaskUpdate, { taskId: 'T1', outcome: 'done', note: 'Submitted to civil affairs' });
    expect(s.stage).toBe('coordinate'); // only the partner's task is outstanding
    s = await act(h, completeTaskUpdate, { taskId: 'T2', outcome: 'done' }, { id: 'anju-repair', role: 'staff' });
    expect(s.stage).toBe('close');

    s = await act(h, closeUpdate, { resolution: 'resolved', summary: 'Subsidy granted from December' });
    expect(s.stage).toBe('close'); // awaiting the resident's evaluation
    expect(s.closure!.certificateNo).toBe(`${id}-C1`);
    expect(s.clocks!.find((c) => c.kind === 'resolution')!.status).toBe('met');

    s = await act(h, evaluateUpdate, { rating: 'satisfied', via: 'in-person' });
    expect(s.stage).toBe('closed');
    const result = await h.result();
    expect(result.evaluation!.rating).toBe('satisfied');

    const events = await timeline(stack, id);
    expectWholeTimeline(events);
    expect(events.map((e) => (e.type === 'stage.entered' ? `→${(e.data as { stage: string }).stage}` : e.type))).toEqual([
      'case.opened',
      'commitments.set',
      'case.accepted',
      '→diagnose',
      'case.diagnosed',
      '→plan',
      'plan.adopted',
      '→execute',
      'task.completed',
      '→coordinate',
      'task.completed',
      '→close',
      'case.closed',
      'case.evaluated',
      '→closed',
    ]);
    expect(events.find((e) => e.type === 'case.accepted')).toMatchObject({ actor: 'wang', actorRole: 'staff' });
    const [row] = await stack.database.db.select().from(cases).where(eq(cases.id, id));
    expect(row).toMatchObject({ stage: 'closed', resolution: 'resolved', overdue: false, nextDueAt: null });
    const described = await h.describe();
    expect(described.typedSearchAttributes.get(searchAttributes.stage)).toBe('closed');
    await keepHistory(stack, h, 'case-full-path');
  });

  it('handles a ready-to-handle affair at once, still recording each stage it passes', async () => {
    const id = 'QG-20261123-0202';
    const h = await openCase(stack, id);
    let s = await act(h, acceptUpdate, { decision: 'handle-now', documents: [] });
    expect(s.stage).toBe('close');
    s = await act(h, closeUpdate, { resolution: 'resolved', summary: 'Advice given' });
    expect(s.closure!.certificateNo).toBeUndefined(); // legal consultation issues none
    s = await act(h, evaluateUpdate, { rating: 'basically-satisfied', via: 'in-person' });
    expect(s.stage).toBe('closed');
    const events = await timeline(stack, id);
    expectWholeTimeline(events);
    const entered = events.filter((e) => e.type === 'stage.entered').map((e) => e.data as { stage: string; passed?: string });
    expect(entered.map((e) => e.stage)).toEqual(['diagnose', 'plan', 'execute', 'coordinate', 'close', 'closed']);
    expect(entered[0]!.passed).toBe('handled at once');
    await keepHistory(stack, h, 'case-handle-now');
  });

  it('refuses to handle at once an affair that needs documents', async () => {
    const h = await openCase(stack, 'QG-20261123-0203', subsidy);
    expect(await refusal(act(h, acceptUpdate, { decision: 'handle-now', documents: [] }))).toMatchObject({ type: rejections.invalid });
    expect((await h.query(caseStateQuery)).stage).toBe('accept');
  });

  it('transfers an out-of-scope demand: the receiver is notified, the case closes as transferred', async () => {
    const id = 'QG-20261123-0204';
    const h = await openCase(stack, id);
    const s = await act(h, acceptUpdate, { decision: 'transfer', documents: [], transferTo: { kind: 'department', id: 'housing', name: 'Housing' }, note: 'Building structure' });
    expect(s.stage).toBe('closed');
    expect((await h.result()).closure).toMatchObject({ resolution: 'transferred', transferTo: { id: 'housing' } });
    const [row] = await stack.database.db.select().from(cases).where(eq(cases.id, id));
    expect(row).toMatchObject({ stage: 'closed', resolution: 'transferred' });
    expect((await notificationsOf(stack, id)).map((n) => [n.recipientKind, n.recipientId, n.kind])).toContainEqual(['department', 'housing', 'case.transferred']);
    await keepHistory(stack, h, 'case-transfer');
  });

  it('refuses transitions that do not fit, and leaves the case unchanged', async () => {
    const id = 'QG-20261123-0205';
    const h = await openCase(stack, id, subsidy);
    const before = await h.query(caseStateQuery);
    const eventsBefore = await timeline(stack, id);

    expect(await refusal(act(h, diagnoseUpdate, { findings: 'too early' }))).toMatchObject({ type: rejections.conflict });
    expect(await refusal(act(h, closeUpdate, { resolution: 'resolved' }))).toMatchObject({ type: rejections.conflict });
    expect(await refusal(act(h, evaluateUpdate, { rating: 'satisfied', via: 'app' }))).toMatchObject({ type: rejections.conflict });
    expect(await refusal(act(h, completeTaskUpdate, { taskId: 'T9', outcome: 'done' }))).toMatchObject({ type: rejections.unknownTask });
    expect(await refusal(act(h, acceptUpdate, { decision: 'transfer', documents: [] }))).toMatchObject({ type: rejections.invalid });

    await act(h, acceptUpdate, { decision: 'accept', documents: allDocuments });
    expect(await refusal(act(h, diagnoseUpdate, { findings: 'no visit' }))).toMatchObject({ type: rejections.invalid, message: expect.stringContaining('home visit') });
    await act(h, diagnoseUpdate, { findings: 'Eligible', homeVisit });
    expect(await refusal(act(h, planUpdate, { goals: ['x'], tasks: [] }))).toMatchObject({ type: rejections.invalid, message: 'A plan needs at least one task' });
    expect(
      await refusal(act(h, planUpdate, { goals: ['x'], tasks: [{ title: 'late', assignee: { kind: 'staff', id: 'wang' }, dueAt: '2020-01-01T00:00:00Z' }] })),
    ).toMatchObject({ type: rejections.invalid });
    expect(await refusal(act(h, closeUpdate, { resolution: 'unresolved' }))).toMatchObject({ type: rejections.invalid }); // no reason

    const after = await h.query(caseStateQuery);
    expect(after.stage).toBe('plan');
    expect(after.plans).toEqual([]);
    expect(after.tasks).toEqual([]);
    // Refused updates wrote nothing: the timeline grew only by the accepted steps.
    const types = (await timeline(stack, id)).slice(eventsBefore.length).map((e) => e.type);
    expect(types).toEqual(['case.accepted', 'stage.entered', 'case.diagnosed', 'stage.entered']);
    expect(before.stage).toBe('accept');
  });

  it('links a repeated demand to the open case and tells the resident its progress', async () => {
    const id = 'QG-20261123-0206';
    const h = await openCase(stack, id, subsidy);
    const s = await act(h, repeatDemandUpdate, { demand: 'Has my application moved?', channel: 'hotline-12345', receivedAt: new Date().toISOString() });
    expect(s.stage).toBe('accept');
    expect(s.repeats).toHaveLength(1);
    expect((await notificationsOf(stack, id)).find((n) => n.kind === 'case.progress')).toMatchObject({ recipientKind: 'resident', data: expect.objectContaining({ stage: 'accept' }) });
    expect((await timeline(stack, id)).map((e) => e.type)).toContain('demand.repeated');
  });

  it('reopens into execution with a fresh commitment when the resident is unsatisfied', async () => {
    const id = 'QG-20261123-0207';
    const h = await openCase(stack, id);
    await act(h, acceptUpdate, { decision: 'handle-now', documents: [] });
    await act(h, closeUpdate, { resolution: 'resolved', summary: 'Advice given' });
    let s = await act(h, evaluateUpdate, { rating: 'unsatisfied', via: 'call-back', comment: 'Did not answer my question' });
    expect(s.stage).toBe('execute');
    expect(s.awaitingRevision).toBe(true);
    expect(s.reopenings).toHaveLength(1);
    const fresh = s.clocks!.find((c) => c.id === 'resolution-2')!;
    expect(fresh.status).toBe('running');
    expect(Date.parse(fresh.startedAt)).toBeGreaterThan(Date.parse(s.reopenings![0]!.closure.at) - 1);

    expect(await refusal(act(h, planUpdate, { goals: ['Answer'], tasks: [{ title: 'Call back', assignee: { kind: 'staff', id: 'wang' }, dueAt: inMinutes(30) }] }))).toMatchObject({
      type: rejections.invalid,
      message: expect.stringContaining('states why'),
    });
    s = await act(h, planUpdate, { goals: ['Answer'], reason: 'Resident unsatisfied', tasks: [{ title: 'Call back', assignee: { kind: 'staff', id: 'wang' }, dueAt: inMinutes(30) }] });
    expect(s.stage).toBe('execute');
    s = await act(h, completeTaskUpdate, { taskId: 'T1', outcome: 'done' });
    expect(s.stage).toBe('close');
    await act(h, closeUpdate, { resolution: 'resolved', summary: 'Answered by a lawyer' });
    s = await act(h, evaluateUpdate, { rating: 'satisfied', via: 'call-back' });
    expect(s.stage).toBe('closed');
    const events = await timeline(stack, id);
    expectWholeTimeline(events);
    expect(events.filter((e) => e.type === 'case.closed')).toHaveLength(2);
    expect(events.map((e) => e.type)).toContain('case.reopened');
    await keepHistory(stack, h, 'case-reopened');
  });

  it('records a due call-back when no evaluation comes in, and closes when the window ends', async () => {
    const id = 'QG-20261123-0208';
    // Call back 2 s after closure; the evaluation window is 5 s.
    const h = await openCase(stack, id, { rules: { ...generalRules, callBackAfterHours: 2 / 3600, reopenWindowHours: 5 / 3600 } });
    await act(h, acceptUpdate, { decision: 'handle-now', documents: [] });
    const closed = await act(h, closeUpdate, { resolution: 'resolved', summary: 'Advice given' });
    const s = await eventually(async () => {
      const q = await h.query(caseStateQuery);
      return q.callBack && q;
    }, 15_000, 'the call-back to be due');
    expect(Date.parse(s.callBack!.dueAt)).toBe(Date.parse(closed.closure!.at) + 2000);
    const callBack = await eventually(async () => (await notificationsOf(stack, id)).find((n) => n.kind === 'callback.due'), 5000, 'the call-back notification');
    expect(callBack).toMatchObject({ recipientKind: 'staff', recipientId: staff.id });
    const result = await h.result();
    expect(result.stage).toBe('closed');
    expect(result.evaluation).toBeUndefined();
    expect((await timeline(stack, id)).map((e) => e.type).slice(-2)).toEqual(['callback.due', 'stage.entered']);
    await keepHistory(stack, h, 'case-call-back');
  });

  it('closes early as unresolved, cancelling open tasks', async () => {
    const id = 'QG-20261123-0209';
    const h = await openCase(stack, id, subsidy);
    await act(h, acceptUpdate, { decision: 'accept', documents: allDocuments });
    await act(h, diagnoseUpdate, { findings: 'Eligible', homeVisit });
    await act(h, planUpdate, { goals: ['g'], tasks: [{ title: 't', assignee: { kind: 'department', id: 'civil-affairs' }, dueAt: inMinutes(60) }] });
    const s = await act(h, closeUpdate, { resolution: 'unresolved', reason: 'The resident moved away' });
    expect(s.stage).toBe('close');
    expect(s.tasks![0]!.status).toBe('cancelled');
    expect(s.clocks!.filter((c) => c.status === 'running')).toEqual([]);
    await keepHistory(stack, h, 'case-closed-early');
  });
});
