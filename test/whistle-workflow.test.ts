import { eq } from 'drizzle-orm';
import { whistleCalls, whistles } from '../db/schema';
import { searchAttributes } from '../temporal/search-attribute-keys';
import {
  acceptUpdate,
  caseStateQuery,
  closeUpdate,
  completeTaskUpdate,
  diagnoseUpdate,
  planUpdate,
  rejections,
  repeatDemandUpdate,
} from '../workflows/case/messages';
import {
  checkInUpdate,
  closeWhistleUpdate,
  decideUpdate,
  disputeUpdate,
  feedbackUpdate,
  rateUpdate,
  reportUpdate,
  whistleRejections,
  whistleStateQuery,
} from '../workflows/whistle/messages';
import { act, inMinutes, notificationsOf, openCase, refusal, timeline, whistleTimeline } from './helpers/cases';
import { generalRules } from './helpers/fixtures';
import { keepHistory } from './helpers/histories';
import { eventually, type Stack, useStack } from './helpers/stack';
import { asDepartment, asSupervisor, blow, callOf, drillRules, whistleRequest, type WhistleHandle } from './helpers/whistles';

/** A whistle's events are numbered 1..n in its own sequence, each once. */
function expectWholeWhistleTimeline(events: { seq: number }[]): void {
  expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => i + 1));
}

const typesOf = (events: { type: string }[]) => events.map((e) => e.type);

/** Opens a case and accepts it: the case is in diagnose, where a whistle may be blown. */
async function caseInDiagnose(stack: Stack, id: string, overrides = {}) {
  const h = await openCase(stack, id, overrides);
  await act(h, acceptUpdate, { decision: 'accept', documents: [] });
  return h;
}

/** Both sides rate, so the whistle's workflow finishes. */
async function rateAll(w: WhistleHandle, departments: string[]) {
  for (const d of departments) {
    await asSupervisor(w, rateUpdate, { departmentId: d, score: 4, comment: 'Came quickly' }, { id: 'wang', role: 'staff' });
    await asDepartment(w, feedbackUpdate, d, { score: 5 });
  }
}

describe('whistles (街乡吹哨、部门报到) on the Temporal dev server', () => {
  const { stack } = useStack();

  it('one-to-one: notified without personal data, checked in once, reported, settled in the case, rated both ways', async () => {
    const id = 'QG-20261123-0601';
    const h = await caseInDiagnose(stack, id);
    const { blown, w } = await blow(stack, h, whistleRequest(['water'], 'water'));
    expect(blown).toEqual({ whistleId: `${id}-W1`, escalationId: 'E1', stage: 'diagnose' });

    const called = await eventually(async () => (await notificationsOf(stack, id)).find((n) => n.kind === 'whistle.called'), 10_000, 'the call');
    expect(called).toMatchObject({ recipientKind: 'department', recipientId: 'water' });
    expect(called.data).toMatchObject({ whistleId: blown.whistleId, summary: expect.any(String), location: 'Building 5, north gate', role: 'lead' });
    // The resident's name and phone number never reach a department.
    expect(JSON.stringify(called.data)).not.toMatch(/Zhao|13900000000/);
    expect((await w.describe()).typedSearchAttributes.get(searchAttributes.awaitedDepartments)).toEqual(['water']);

    const first = await asDepartment(w, checkInUpdate, 'water');
    const again = await asDepartment(w, checkInUpdate, 'water');
    expect(callOf(again, 'water').checkedInAt).toBe(callOf(first, 'water').checkedInAt);
    expect(callOf(first, 'water').status).toBe('checked-in');

    const done = await asDepartment(w, reportUpdate, 'water', { outcome: 'done', note: 'Manhole cleared' });
    expect(done.status).toBe('completed');
    expect(done.completion).toMatchObject({ outcome: 'done', note: 'Manhole cleared' });

    // The case hears the outcome: its escalation is settled, in its own timeline.
    const settled = await eventually(async () => {
      const s = await h.query(caseStateQuery);
      return s.escalations?.[0]?.status === 'settled' && s;
    }, 10_000, 'the case to settle the escalation');
    expect(settled.escalations![0]).toMatchObject({ whistleId: blown.whistleId, outcome: { outcome: 'done' } });
    expect(typesOf(await timeline(stack, id))).toEqual(expect.arrayContaining(['whistle.initiated', 'whistle.settled']));

    await rateAll(w, ['water']);
    const final = await w.result();
    expect(final.status).toBe('finished');
    expect(callOf(final, 'water')).toMatchObject({ rating: { score: 4 }, feedback: { score: 5 } });

    const events = await whistleTimeline(stack, blown.whistleId);
    expectWholeWhistleTimeline(events);
    expect(typesOf(events)).toEqual(['whistle.notified', 'whistle.checked-in', 'whistle.reported', 'whistle.completed', 'whistle.rated', 'whistle.rated', 'whistle.rating-closed']);
    const [row] = await stack.database.db.select().from(whistles).where(eq(whistles.id, blown.whistleId));
    expect(row).toMatchObject({ status: 'finished', state: 'done', outcome: 'done', awaitingDepartments: [] });
    const [call] = await stack.database.db.select().from(whistleCalls).where(eq(whistleCalls.whistleId, blown.whistleId));
    expect(call).toMatchObject({ departmentId: 'water', rating: 4, feedback: 5, reportOutcome: 'done', reportOnTime: true, missedCheckIns: 0 });
    // Check-in latency: from the call (as the notice records it) to the check-in event.
    const latency = (Date.parse(events[1]!.at.toISOString()) - Date.parse((events[0]!.data as { calledAt: string }).calledAt)) / 1000;
    expect(call!.checkInLatencySeconds).toBeCloseTo(latency, 3);

    await keepHistory(stack, w, 'whistle-one-to-one');
    await keepHistory(stack, h, 'case-with-whistle');
  });

  it('one-to-many: co-handlers report to the lead, the lead reports last, and the case moves on out of coordinate', async () => {
    const id = 'QG-20261123-0602';
    const h = await caseInDiagnose(stack, id);
    await act(h, diagnoseUpdate, { findings: 'Drain blocked under the road' });
    await act(h, planUpdate, { goals: ['Drain open'], tasks: [{ title: 'Tell the residents', assignee: { kind: 'staff', id: 'wang' }, dueAt: inMinutes(60) }] });
    const { blown, w } = await blow(stack, h, whistleRequest(['housing', 'water', 'urban-management'], 'housing', undefined, { reason: 'joint-enforcement' }));
    expect(blown.stage).toBe('execute');

    // The station's own task is done, but the whistle is open: the case waits in coordinate.
    let s = await act(h, completeTaskUpdate, { taskId: 'T1', outcome: 'done' });
    expect(s.stage).toBe('coordinate');
    expect((await refusal(act(h, closeUpdate, { resolution: 'unresolved', reason: 'give up' }))).type).toBe(rejections.conflict);

    for (const d of ['housing', 'water', 'urban-management']) await asDepartment(w, checkInUpdate, d);
    const early = await refusal(asDepartment(w, reportUpdate, 'housing', { outcome: 'done', note: 'Fixed' }));
    expect(early).toMatchObject({ type: whistleRejections.conflict, message: expect.stringMatching(/water, urban-management/) });

    await asDepartment(w, reportUpdate, 'water', { outcome: 'done', note: 'Pipe flushed' });
    let ws = await asDepartment(w, reportUpdate, 'urban-management', { outcome: 'partly-done', note: 'Fined the restaurant; grease trap pending' });
    expect(ws.status).toBe('open');
    expect((await w.describe()).typedSearchAttributes.get(searchAttributes.awaitedDepartments)).toEqual(['housing']);
    const toLead = await eventually(
      async () => (await notificationsOf(stack, id)).filter((n) => n.kind === 'whistle.co-handler-reported' && n.recipientId === 'housing'),
      5000,
      'co-handler reports to reach the lead',
    );
    expect(toLead.map((n) => (n.data as { departmentId: string }).departmentId).sort()).toEqual(['urban-management', 'water']);

    ws = await asDepartment(w, reportUpdate, 'housing', { outcome: 'partly-done', note: 'Road drain relaid; trap follows next week' });
    expect(ws.completion).toMatchObject({ outcome: 'partly-done' });

    s = await eventually(async () => {
      const q = await h.query(caseStateQuery);
      return q.stage === 'close' && q;
    }, 10_000, 'the case to move on to close');
    expect(s.escalations![0]!.outcome!.outcome).toBe('partly-done');
    s = await act(h, closeUpdate, { resolution: 'resolved', summary: 'Drain relaid by the departments' });
    expect(s.closure!.resolution).toBe('resolved');

    const calls = await stack.database.db.select().from(whistleCalls).where(eq(whistleCalls.whistleId, blown.whistleId));
    expect(Object.fromEntries(calls.map((c) => [c.departmentId, [c.role, c.reportOutcome]]))).toEqual({
      housing: ['lead', 'partly-done'],
      water: ['co-handler', 'done'],
      'urban-management': ['co-handler', 'partly-done'],
    });
    await keepHistory(stack, w, 'whistle-one-to-many');
    await keepHistory(stack, h, 'case-waits-for-whistle');
  });

  it('reminds before the check-in deadline; a miss goes to the supervisor and the record, and the department stays expected', async () => {
    const id = 'QG-20261123-0603';
    const h = await caseInDiagnose(stack, id);
    // Check in within 4 s: reminders at 2 s and 3 s, missed at 4 s.
    const { blown, w } = await blow(stack, h, whistleRequest(['housing', 'water'], 'housing', drillRules(4, 120, 2)));
    const calledAt = Date.parse(callOf(await w.query(whistleStateQuery), 'housing').calledAt);
    await asDepartment(w, checkInUpdate, 'water'); // on time

    const events = await eventually(async () => {
      const e = await whistleTimeline(stack, blown.whistleId);
      return e.some((x) => x.type === 'whistle.check-in-missed') && e;
    }, 15_000, 'the missed check-in');
    const of = (type: string) => events.filter((e) => e.type === type && (e.data as { departmentId: string }).departmentId === 'housing');
    const reminders = of('whistle.reminded').map((e) => Date.parse(e.at.toISOString()) - calledAt);
    expect(reminders).toHaveLength(2);
    expect(reminders[0]).toBeGreaterThanOrEqual(2000);
    expect(reminders[1]).toBeGreaterThanOrEqual(3000);
    expect(Date.parse(of('whistle.check-in-missed')[0]!.at.toISOString()) - calledAt).toBeGreaterThanOrEqual(4000);
    expect(events.filter((e) => e.type === 'whistle.check-in-missed')).toHaveLength(1); // water was on time

    const notes = await eventually(async () => {
      const n = await notificationsOf(stack, id);
      return n.some((x) => x.kind === 'whistle.check-in-missed' && x.recipientKind === 'supervisor') && n;
    }, 5000, 'the supervisor to hear of the miss');
    expect(notes.find((x) => x.kind === 'whistle.check-in-missed' && x.recipientKind === 'supervisor')!.recipientId).toBe('xinjiekou');
    expect(notes.filter((x) => x.kind === 'whistle.reminder' && x.recipientId === 'housing')).toHaveLength(2);

    let s = await w.query(whistleStateQuery);
    expect(callOf(s, 'housing')).toMatchObject({ status: 'awaiting-check-in', missedCheckIns: 1 });
    expect((await w.describe()).typedSearchAttributes.get(searchAttributes.awaitedDepartments)).toEqual(['housing', 'water']);
    const [overdue] = await stack.database.db.select().from(whistles).where(eq(whistles.id, blown.whistleId));
    expect(overdue).toMatchObject({ overdue: true, state: 'awaiting-check-in' });

    // Late, but still expected: the check-in is taken and counted as late.
    s = await asDepartment(w, checkInUpdate, 'housing');
    expect(callOf(s, 'housing').status).toBe('checked-in');
    const late = (await whistleTimeline(stack, blown.whistleId)).find((e) => e.type === 'whistle.checked-in' && (e.data as { departmentId: string }).departmentId === 'housing');
    expect(late!.data).toMatchObject({ onTime: false });
    const calls = await stack.database.db.select().from(whistleCalls).where(eq(whistleCalls.whistleId, blown.whistleId));
    expect(Object.fromEntries(calls.map((c) => [c.departmentId, c.missedCheckIns]))).toEqual({ housing: 1, water: 0 });

    // The supervisor closes it; nobody rates within the 2 s window, which closes and says who was not rated.
    s = await asSupervisor(w, closeWhistleUpdate, { reason: 'Handled on site by the subdistrict' });
    expect(s.completion).toMatchObject({ outcome: 'closed', note: 'Handled on site by the subdistrict', by: 'chen' });
    const final = await w.result();
    expect(final.status).toBe('finished');
    const closing = (await whistleTimeline(stack, blown.whistleId)).at(-1)!;
    expect(closing).toMatchObject({ type: 'whistle.rating-closed', data: expect.objectContaining({ unrated: ['housing', 'water'] }) });
    await eventually(async () => (await h.query(caseStateQuery)).escalations?.[0]?.outcome?.outcome === 'closed', 10_000, 'the case to hear of the closure');
    await keepHistory(stack, w, 'whistle-missed-check-in');
  });

  it('disputes: the supervisor releases (naming a new lead), replaces, or insists', async () => {
    const id = 'QG-20261123-0604';
    const h = await caseInDiagnose(stack, id);
    const { blown, w } = await blow(stack, h, whistleRequest(['housing', 'water', 'urban-management'], 'housing'));

    // Insisting needs an open dispute.
    expect((await refusal(asSupervisor(w, decideUpdate, { departmentId: 'water', decision: 'insist' }))).type).toBe(whistleRejections.conflict);

    // The lead says "not ours" (派单异议): its clocks pause while the supervisor decides.
    let s = await asDepartment(w, disputeUpdate, 'housing', { reason: 'Drains belong to the water company' });
    expect(callOf(s, 'housing').status).toBe('disputed');
    expect(s.clocks.filter((c) => c.departmentId === 'housing').map((c) => c.status)).toEqual(['paused', 'paused']);
    expect((await refusal(asDepartment(w, checkInUpdate, 'housing'))).type).toBe(whistleRejections.conflict);
    // Releasing the lead names a new lead among the others.
    expect((await refusal(asSupervisor(w, decideUpdate, { departmentId: 'housing', decision: 'release' }))).type).toBe(whistleRejections.invalid);
    s = await asSupervisor(w, decideUpdate, { departmentId: 'housing', decision: 'release', newLead: 'water', note: 'Agreed: water leads' });
    expect(s.lead).toBe('water');
    expect(callOf(s, 'housing')).toMatchObject({ status: 'released', disputes: [{ decision: 'release', decidedBy: 'chen' }] });

    // Urban management disputes and is replaced by civil affairs, who is called with fresh deadlines.
    await asDepartment(w, disputeUpdate, 'urban-management', { reason: 'No enforcement matter here' });
    s = await asSupervisor(w, decideUpdate, { departmentId: 'urban-management', decision: 'replace', replacement: 'civil-affairs' });
    expect(callOf(s, 'urban-management')).toMatchObject({ status: 'released', replacedBy: 'civil-affairs' });
    expect(callOf(s, 'civil-affairs')).toMatchObject({ status: 'awaiting-check-in', replaces: 'urban-management', role: 'co-handler' });
    await eventually(async () => (await notificationsOf(stack, id)).some((n) => n.kind === 'whistle.called' && n.recipientId === 'civil-affairs'), 5000, 'the replacement to be called');

    // Civil affairs disputes too; the supervisor insists: it is expected again and cannot dispute twice.
    await asDepartment(w, disputeUpdate, 'civil-affairs', { reason: 'Not ours either' });
    s = await asSupervisor(w, decideUpdate, { departmentId: 'civil-affairs', decision: 'insist', note: 'Elderly residents affected: yours' });
    expect(callOf(s, 'civil-affairs').status).toBe('awaiting-check-in');
    expect(s.clocks.filter((c) => c.departmentId === 'civil-affairs').map((c) => c.status)).toEqual(['running', 'running']);
    expect((await refusal(asDepartment(w, disputeUpdate, 'civil-affairs', { reason: 'Still not ours' }))).type).toBe(whistleRejections.conflict);
    // A released department can no longer act on the whistle.
    expect((await refusal(asDepartment(w, checkInUpdate, 'urban-management'))).type).toBe(whistleRejections.conflict);

    await asDepartment(w, checkInUpdate, 'water');
    await asDepartment(w, checkInUpdate, 'civil-affairs');
    await asDepartment(w, reportUpdate, 'civil-affairs', { outcome: 'done', note: 'Visited the elderly residents' });
    s = await asDepartment(w, reportUpdate, 'water', { outcome: 'done', note: 'Drain cleared' });
    expect(s.status).toBe('completed');

    // Released-on-dispute departments are not rated; the others are.
    expect((await refusal(asSupervisor(w, rateUpdate, { departmentId: 'housing', score: 1 }))).type).toBe(whistleRejections.invalid);
    await rateAll(w, ['water', 'civil-affairs']);
    await w.result();
    const decided = (await whistleTimeline(stack, blown.whistleId)).filter((e) => e.type === 'whistle.decided').map((e) => (e.data as { decision: string }).decision);
    expect(decided).toEqual(['release', 'replace', 'insist']);
    const calls = await stack.database.db.select().from(whistleCalls).where(eq(whistleCalls.whistleId, blown.whistleId));
    expect(Object.fromEntries(calls.map((c) => [c.departmentId, [c.status, c.disputes, c.disputeDecision, c.role]]))).toEqual({
      housing: ['released', 1, 'release', 'co-handler'],
      water: ['reported', 0, null, 'lead'],
      'urban-management': ['released', 1, 'replace', 'co-handler'],
      'civil-affairs': ['reported', 1, 'insist', 'co-handler'],
    });
    await keepHistory(stack, w, 'whistle-disputes');
  });

  it('answers an escalation proposed by a breached commitment', async () => {
    const id = 'QG-20261123-0607';
    // Resolution in 3 s, escalating on breach (as the emergency and utilities classes do).
    const h = await caseInDiagnose(stack, id, {
      rules: { ...generalRules, responseGoal: null, responseUnit: null, resolutionGoal: 3 / 60, resolutionUnit: 'minutes', escalateOnBreach: true },
    });
    await eventually(async () => (await h.query(caseStateQuery)).escalations?.[0]?.status === 'proposed', 15_000, 'the proposed escalation');
    const { blown, w } = await blow(stack, h, whistleRequest(['water'], 'water', undefined, { escalationId: 'E1', reason: 'emergency' }));
    expect(blown.escalationId).toBe('E1');
    let s = await h.query(caseStateQuery);
    expect(s.escalations).toEqual([expect.objectContaining({ id: 'E1', status: 'open', whistleId: blown.whistleId, lead: 'water' })]);
    // The same proposal cannot be answered twice.
    expect((await refusal(blow(stack, h, whistleRequest(['housing'], 'housing', undefined, { escalationId: 'E1' })))).type).toBe(rejections.conflict);
    await asSupervisor(w, closeWhistleUpdate, { reason: 'Water company on site' });
    s = await eventually(async () => {
      const q = await h.query(caseStateQuery);
      return q.escalations?.[0]?.status === 'settled' && q;
    }, 10_000, 'the escalation to settle');
    expect(s.escalations![0]!.outcome).toMatchObject({ outcome: 'closed', by: 'chen' });
  });

  it('refuses what the rules forbid: not called, report before check-in, blowing before acceptance, a lead not called', async () => {
    const id = 'QG-20261123-0605';
    const accepted = await openCase(stack, id);
    expect((await refusal(blow(stack, accepted, whistleRequest(['water'], 'water')))).type).toBe(rejections.conflict); // stage accept
    await act(accepted, acceptUpdate, { decision: 'accept', documents: [] });
    expect((await refusal(blow(stack, accepted, whistleRequest(['water'], 'housing')))).type).toBe(rejections.invalid);
    expect((await refusal(blow(stack, accepted, whistleRequest(['water', 'water'], 'water')))).type).toBe(rejections.invalid);
    expect((await refusal(blow(stack, accepted, whistleRequest(['water'], 'water', undefined, { escalationId: 'E9' })))).type).toBe(rejections.invalid);

    const { w } = await blow(stack, accepted, whistleRequest(['water'], 'water'));
    await eventually(async () => (await whistleTimeline(stack, `${id}-W1`)).length === 1, 10_000, 'the notice');
    expect((await refusal(asDepartment(w, checkInUpdate, 'housing'))).type).toBe(whistleRejections.notCalled);
    expect((await refusal(asDepartment(w, reportUpdate, 'water', { outcome: 'done', note: 'x' }))).type).toBe(whistleRejections.conflict);
    expect((await refusal(asSupervisor(w, rateUpdate, { departmentId: 'water', score: 3 }))).type).toBe(whistleRejections.conflict); // not completed
    expect((await refusal(asSupervisor(w, decideUpdate, { departmentId: 'water', decision: 'release' }))).type).toBe(whistleRejections.invalid); // the last one
    // Refused updates leave no trace in the whistle's timeline.
    expect(typesOf(await whistleTimeline(stack, `${id}-W1`))).toEqual(['whistle.notified']);
    await asSupervisor(w, closeWhistleUpdate, { reason: 'Duplicate of another whistle' });
  });

  it('survives the worker being killed mid-whistle, and a case that continues as new still hears the outcome', async () => {
    const id = 'QG-20261123-0606';
    const h = await caseInDiagnose(stack, id, { historyLimit: 60 });
    const firstRun = (await h.describe()).runId;
    const { blown, w } = await blow(stack, h, whistleRequest(['housing', 'water'], 'housing'));

    const pending = asDepartment(w, checkInUpdate, 'water');
    await new Promise((r) => setTimeout(r, 30));
    await stack.stopWorker();
    await new Promise((r) => setTimeout(r, 500));
    await stack.startWorker();
    expect(callOf(await pending, 'water').status).toBe('checked-in');

    // The case grows past its history limit and continues as new while the whistle is open.
    for (let i = 0; i < 12 && (await h.describe()).runId === firstRun; i++) {
      await act(h, repeatDemandUpdate, { demand: `Asked again ${i}`, channel: 'hotline-12345', receivedAt: new Date().toISOString() });
    }
    await eventually(async () => (await h.describe()).runId !== firstRun, 20_000, 'the case to continue as new');

    await asDepartment(w, checkInUpdate, 'housing');
    await stack.stopWorker();
    await stack.startWorker();
    await asDepartment(w, reportUpdate, 'water', { outcome: 'done', note: 'ok' });
    await asDepartment(w, reportUpdate, 'housing', { outcome: 'done', note: 'ok' });
    const s = await eventually(async () => {
      const q = await h.query(caseStateQuery);
      return q.escalations?.[0]?.status === 'settled' && q;
    }, 15_000, 'the continued case to hear the outcome');
    expect(s.escalations![0]!.whistleId).toBe(blown.whistleId);

    const events = await whistleTimeline(stack, blown.whistleId);
    expectWholeWhistleTimeline(events);
    for (const once of ['whistle.checked-in', 'whistle.reported']) expect(typesOf(events).filter((t) => t === once)).toHaveLength(2);
    expect(typesOf(events).filter((t) => t === 'whistle.completed')).toHaveLength(1);
    await keepHistory(stack, w, 'whistle-worker-restarts');
  });
});
