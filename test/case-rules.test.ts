import {
  checkAcceptance,
  checkClosure,
  checkDiagnosis,
  checkEvaluation,
  checkExtension,
  checkExtensionReach,
  checkPartnerReply,
  checkPause,
  checkPlan,
  checkPlanReach,
  checkRepeat,
  checkResume,
  checkTaskCompletion,
  currentClock,
  latestInstant,
} from '../workflows/case/rules';
import { isOverdue, isProvisional, missingDocuments, nextDueAt, openTasks, openWhistles } from '../workflows/case/facts';
import { type CaseState, type CatalogueSnapshot, rejections, type Stage, type Task } from '../workflows/case/messages';
import type { Clock } from '../workflows/shared/messages';

/**
 * The case's rules as plain functions on a state: no server, no Temporal. Each row is a state, a
 * request and the rejection it must meet (or none), read off the rules in workflows/case/rules.ts and
 * the README's lifecycle (which step is allowed in which stage, what each step must carry).
 */

const { conflict, invalid, unknownTask, notAssignee } = rejections;
const actor = { id: 'wang', role: 'staff' as const };
const now = Date.parse('2026-11-23T02:00:00.000Z');
const later = '2026-11-24T02:00:00.000Z';
const earlier = '2026-11-22T02:00:00.000Z';

const subsidy: CatalogueSnapshot = { name: 'Elderly subsidy', handlingMode: 'needs-documents', requiredDocuments: ['ID card', 'Household register'], needsHomeVisit: true, issuesCertificate: true };
const quick: CatalogueSnapshot = { name: 'Residence certificate', handlingMode: 'handle-now', requiredDocuments: [], needsHomeVisit: false, issuesCertificate: false };

function state(stage: Stage, extra: Partial<CaseState> = {}): CaseState {
  return {
    caseId: 'QG-20261123-0001',
    stationId: 'qianggen',
    serviceCode: 'elderly-subsidy',
    category: 'elderly',
    deadlineClass: 'general',
    channel: 'walk-in',
    demand: 'Apply for the subsidy',
    resident: {} as CaseState['resident'],
    stage,
    openedBy: actor,
    openedAt: '2026-11-23T01:00:00.000Z',
    recorded: true,
    catalogue: subsidy,
    ...extra,
  };
}

function task(id: string, extra: Partial<Task> = {}): Task {
  return { id, title: `Task ${id}`, assignee: { kind: 'partner', id: 'anju-repair' }, dueAt: later, status: 'open', revision: 1, ...extra };
}

function clock(kind: Clock['kind'], extra: Partial<Clock> = {}): Clock {
  return {
    id: kind,
    kind,
    unit: 'hours',
    budgetMs: 3_600_000,
    consumedMs: 0,
    startedAt: '2026-11-23T01:00:00.000Z',
    runningSince: '2026-11-23T01:00:00.000Z',
    dueAt: '2026-11-23T02:00:00.000Z',
    provisional: false,
    status: 'running',
    milestones: [],
    assignee: { kind: 'staff', id: 'wang' },
    extensions: [],
    ...extra,
  };
}

/** The rejection `check` throws (its type and first field pointer), or undefined when it passes. */
function refusal(check: () => void): { type: string; pointer?: string } | undefined {
  try {
    check();
    return undefined;
  } catch (err) {
    const e = err as { type?: string; details?: unknown[] };
    const pointer = (e.details?.[0] as { pointer: string }[] | undefined)?.[0]?.pointer;
    return { type: e.type ?? 'not a rejection', ...(pointer ? { pointer } : {}) };
  }
}
type Refusal = ReturnType<typeof refusal>;
const cmd = <T>(body: T) => ({ ...body, actor });
const transfer = { kind: 'department' as const, id: 'housing', name: 'Housing' };
const accepted = { decision: 'accept' as const, documents: [], by: 'wang', at: earlier };

describe('case rules: acceptance', () => {
  it.each<[string, CaseState, Parameters<typeof checkAcceptance>[1], Refusal]>([
    ['accept in stage accept', state('accept'), cmd({ decision: 'accept', documents: [] }), undefined],
    ['in stage diagnose', state('diagnose'), cmd({ decision: 'accept', documents: [] }), { type: conflict }],
    ['a second decision', state('accept', { acceptance: accepted }), cmd({ decision: 'accept', documents: [] }), { type: conflict }],
    ['handle-now on an affair that needs documents', state('accept'), cmd({ decision: 'handle-now', documents: [] }), { type: invalid, pointer: '#/decision' }],
    ['handle-now on a ready-to-handle affair', state('accept', { catalogue: quick }), cmd({ decision: 'handle-now', documents: [] }), undefined],
    ['a transfer without its receiver', state('accept'), cmd({ decision: 'transfer', documents: [] }), { type: invalid, pointer: '#/transferTo' }],
    ['a transfer with its receiver', state('accept'), cmd({ decision: 'transfer', documents: [], transferTo: transfer }), undefined],
    ['a receiver on an acceptance', state('accept'), cmd({ decision: 'accept', documents: [], transferTo: transfer }), { type: invalid, pointer: '#/transferTo' }],
  ])('%s', (_what, s, a, expected) => {
    expect(refusal(() => checkAcceptance(s, a))).toEqual(expected);
  });
});

describe('case rules: diagnosis', () => {
  const visit = { date: '2026-11-23', staff: 'wang', notes: 'Lives alone' };
  it.each<[string, CaseState, object, Refusal]>([
    ['an affair verified by a home visit, with the visit', state('diagnose'), cmd({ findings: 'Eligible', homeVisit: visit }), undefined],
    ['without the visit', state('diagnose'), cmd({ findings: 'Eligible' }), { type: invalid, pointer: '#/homeVisit' }],
    ['an affair without a home visit', state('diagnose', { catalogue: quick }), cmd({ findings: 'Eligible' }), undefined],
    ['in stage plan', state('plan'), cmd({ findings: 'Eligible', homeVisit: visit }), { type: conflict }],
  ])('%s', (_what, s, d, expected) => {
    expect(refusal(() => checkDiagnosis(s, d as Parameters<typeof checkDiagnosis>[1]))).toEqual(expected);
  });
});

describe('case rules: plans', () => {
  const at = (ms: number) => new Date(ms).toISOString();
  const plan = (tasks: { id?: string; dueAt: string }[], reason?: string) =>
    cmd({ goals: ['Subsidy granted'], tasks: tasks.map((t) => ({ title: 'Visit', assignee: { kind: 'staff' as const, id: 'wang' }, ...t })), ...(reason ? { reason } : {}) });
  const revised = { plans: [{ revision: 1 } as NonNullable<CaseState['plans']>[number]], tasks: [task('T1'), task('T2', { status: 'completed', dueAt: earlier })] };

  it.each<[string, CaseState, ReturnType<typeof plan>, Refusal]>([
    ['a first plan, due in the future', state('plan'), plan([{ dueAt: at(now + 1) }]), undefined],
    ['in stage diagnose', state('diagnose'), plan([{ dueAt: later }]), { type: conflict }],
    ['in stage close', state('close'), plan([{ dueAt: later }]), { type: conflict }],
    ['a revision while executing', state('execute', revised), plan([{ id: 'T1', dueAt: later }], 'Parts on order'), undefined],
    ['no tasks', state('plan'), plan([]), { type: invalid, pointer: '#/tasks' }],
    ['a task due exactly now', state('plan'), plan([{ dueAt: at(now) }]), { type: invalid, pointer: '#/tasks/0/dueAt' }],
    ['a revision without its reason', state('execute', revised), plan([{ id: 'T1', dueAt: later }]), { type: invalid, pointer: '#/reason' }],
    ['a reopened case awaiting its revision, without a reason', state('execute', { awaitingRevision: true }), plan([{ dueAt: later }]), { type: invalid, pointer: '#/reason' }],
    ['a task id not in the plan', state('execute', revised), plan([{ dueAt: later }, { id: 'T7', dueAt: later }], 'x'), { type: invalid, pointer: '#/tasks/1/id' }],
    ['a task listed twice', state('execute', revised), plan([{ id: 'T1', dueAt: later }, { id: 'T1', dueAt: later }], 'x'), { type: invalid, pointer: '#/tasks/1/id' }],
    ['a completed task keeps its past due time', state('execute', revised), plan([{ id: 'T2', dueAt: earlier }], 'x'), undefined],
    ['an open task moved into the past', state('execute', revised), plan([{ id: 'T1', dueAt: earlier }], 'x'), { type: invalid, pointer: '#/tasks/0/dueAt' }],
  ])('%s', (_what, s, p, expected) => {
    expect(refusal(() => checkPlan(s, p, now))).toEqual(expected);
  });
});

describe('case rules: how far a deadline may reach', () => {
  // latestInstant is 2101-01-01 00:00 in Shanghai, i.e. 2100-12-31 16:00 UTC, itself excluded.
  it.each<[string, Refusal]>([
    ['2100-12-31T15:59:59.999Z', undefined],
    ['2101-01-01T07:59:59.999+08:00', { type: invalid, pointer: '#/newDueAt' }],
    ['2100-12-31T16:00:00.000Z', { type: invalid, pointer: '#/newDueAt' }],
    ['+275760-09-13T00:00:00.000Z', { type: invalid, pointer: '#/newDueAt' }],
    ['not a date', { type: invalid, pointer: '#/newDueAt' }],
  ])('an extension to %s', (newDueAt, expected) => {
    expect(refusal(() => checkExtensionReach(cmd({ clock: 'resolution', newDueAt, reason: 'x' })))).toEqual(expected);
  });

  it('names the plan’s first task beyond reach', () => {
    expect(latestInstant).toBe('2101-01-01T00:00:00+08:00');
    const tasks = ['2100-12-31T15:59:59.999Z', '2100-12-31T16:00:00.000Z', '9999-12-31T00:00:00.000Z'].map((dueAt) => ({ title: 'x', assignee: { kind: 'staff' as const, id: 'wang' }, dueAt }));
    expect(refusal(() => checkPlanReach(cmd({ goals: [], tasks })))).toEqual({ type: invalid, pointer: '#/tasks/1/dueAt' });
    expect(refusal(() => checkPlanReach(cmd({ goals: [], tasks: tasks.slice(0, 1) })))).toBeUndefined();
  });
});

describe('case rules: tasks and partner replies', () => {
  const executing = (tasks: Task[], stage: Stage = 'execute') => state(stage, { tasks });
  it.each<[string, CaseState, Parameters<typeof checkTaskCompletion>[1], Refusal]>([
    ['done, while executing', executing([task('T1')]), cmd({ taskId: 'T1', outcome: 'done' }), undefined],
    ['done, while coordinating', executing([task('T1')], 'coordinate'), cmd({ taskId: 'T1', outcome: 'done' }), undefined],
    ['an unknown task (before the stage is looked at)', executing([task('T1')], 'plan'), cmd({ taskId: 'T9', outcome: 'done' }), { type: unknownTask }],
    ['in stage plan', executing([task('T1')], 'plan'), cmd({ taskId: 'T1', outcome: 'done' }), { type: conflict }],
    ['a task already completed', executing([task('T1', { status: 'completed' })]), cmd({ taskId: 'T1', outcome: 'done' }), { type: conflict }],
    ['not done, without a note', executing([task('T1')]), cmd({ taskId: 'T1', outcome: 'not-done' }), { type: invalid, pointer: '#/note' }],
    ['not done, with a note', executing([task('T1')]), cmd({ taskId: 'T1', outcome: 'not-done', note: 'Resident away' }), undefined],
  ])('completing a task: %s', (_what, s, c, expected) => {
    expect(refusal(() => checkTaskCompletion(s, c))).toEqual(expected);
  });

  const partner = { kind: 'partner' as const, id: 'anju-repair' };
  it.each<[string, CaseState, Parameters<typeof checkPartnerReply>[1], Refusal]>([
    ['the assignee accepts', executing([task('T1')]), cmd({ taskId: 'T1', status: 'accepted', as: partner }), undefined],
    ['an unknown task', executing([task('T1')]), cmd({ taskId: 'T2', status: 'accepted', as: partner }), { type: unknownTask }],
    ['another partner', executing([task('T1')]), cmd({ taskId: 'T1', status: 'accepted', as: { kind: 'partner', id: 'other-shop' } }), { type: notAssignee }],
    ['a department of the same id', executing([task('T1')]), cmd({ taskId: 'T1', status: 'accepted', as: { kind: 'department', id: 'anju-repair' } }), { type: notAssignee }],
    ['the assignee, in stage plan', executing([task('T1')], 'plan'), cmd({ taskId: 'T1', status: 'done', as: partner }), { type: conflict }],
    ['a task already completed', executing([task('T1', { status: 'completed' })]), cmd({ taskId: 'T1', status: 'done', as: partner }), { type: conflict }],
    ['a second accept', executing([task('T1', { acceptedAt: earlier })]), cmd({ taskId: 'T1', status: 'accepted', as: partner }), { type: conflict }],
    ['done after accepting', executing([task('T1', { acceptedAt: earlier })]), cmd({ taskId: 'T1', status: 'done', as: partner }), undefined],
    ['a decline without a note', executing([task('T1')]), cmd({ taskId: 'T1', status: 'declined', as: partner }), { type: invalid, pointer: '#/note' }],
    ['a decline with a note', executing([task('T1')]), cmd({ taskId: 'T1', status: 'declined', as: partner, note: 'No staff this week' }), undefined],
  ])('a partner reply: %s', (_what, s, r, expected) => {
    expect(refusal(() => checkPartnerReply(s, r))).toEqual(expected);
  });
});

describe('case rules: pause and resume', () => {
  const paused = { reason: 'Waiting for the household register', since: earlier, by: 'wang' };
  it.each<[Stage, Partial<CaseState>, Refusal]>([
    ['accept', {}, undefined],
    ['coordinate', {}, undefined],
    ['close', {}, { type: conflict }],
    ['closed', {}, { type: conflict }],
    ['execute', { paused }, { type: conflict }],
  ])('pause in stage %s %j', (stage, extra, expected) => {
    expect(refusal(() => checkPause(state(stage, extra), cmd({ reason: 'x' })))).toEqual(expected);
  });

  it.each<[string, CaseState, string[] | undefined, Refusal]>([
    ['with every required document', state('diagnose', { paused, acceptance: accepted, documents: ['ID card'] }), ['Household register'], undefined],
    ['still missing one', state('diagnose', { paused, acceptance: accepted, documents: ['ID card'] }), [], { type: invalid, pointer: '#/documents' }],
    ['missing, but the case was not accepted (transfer): documents are not asked', state('accept', { paused, acceptance: { ...accepted, decision: 'transfer' } }), undefined, undefined],
    ['missing, before any acceptance', state('accept', { paused }), undefined, undefined],
    ['not paused', state('diagnose', { acceptance: accepted }), ['ID card', 'Household register'], { type: conflict }],
    ['a closed case', state('closed', { paused }), [], { type: conflict }],
  ])('resume %s', (_what, s, documents, expected) => {
    expect(refusal(() => checkResume(s, cmd(documents ? { documents } : {})))).toEqual(expected);
  });
});

describe('case rules: closure, evaluation, repeats', () => {
  const whistle = { id: 'E1', status: 'open' as const, reason: 'x', at: earlier, whistleId: 'QG-20261123-0001-W1' };
  const closure = { resolution: 'resolved' as const, by: 'wang', at: earlier };
  it.each<[string, CaseState, Parameters<typeof checkClosure>[1], Refusal]>([
    ['resolved, in stage close', state('close'), cmd({ resolution: 'resolved' }), undefined],
    ['resolved, with a certificate the affair issues', state('close'), cmd({ resolution: 'resolved', certificateNo: 'C-1' }), undefined],
    ['resolved, while executing', state('execute'), cmd({ resolution: 'resolved' }), { type: conflict }],
    ['unresolved, while executing, with a reason', state('execute'), cmd({ resolution: 'unresolved', reason: 'Resident withdrew' }), undefined],
    ['unresolved, in stage accept', state('accept'), cmd({ resolution: 'unresolved', reason: 'x' }), { type: conflict }],
    ['unresolved, without a reason', state('execute'), cmd({ resolution: 'unresolved' }), { type: invalid, pointer: '#/reason' }],
    ['transferred, without the receiver', state('diagnose'), cmd({ resolution: 'transferred' }), { type: invalid, pointer: '#/transferTo' }],
    ['transferred, with the receiver', state('diagnose'), cmd({ resolution: 'transferred', transferTo: transfer }), undefined],
    ['a certificate on an unresolved closure', state('execute'), cmd({ resolution: 'unresolved', reason: 'x', certificateNo: 'C-1' }), { type: invalid, pointer: '#/certificateNo' }],
    ['a certificate the affair does not issue', state('close', { catalogue: quick }), cmd({ resolution: 'resolved', certificateNo: 'C-1' }), { type: invalid, pointer: '#/certificateNo' }],
    ['with a whistle still open', state('close', { escalations: [whistle] }), cmd({ resolution: 'resolved' }), { type: conflict }],
    ['with a whistle settled, and a proposal never blown', state('close', { escalations: [{ ...whistle, status: 'settled' }, { id: 'E2', status: 'open', reason: 'x', at: earlier }] }), cmd({ resolution: 'resolved' }), undefined],
    ['a second closure', state('close', { closure }), cmd({ resolution: 'resolved' }), { type: conflict }],
    ['a closed case', state('closed'), cmd({ resolution: 'unresolved', reason: 'x' }), { type: conflict }],
  ])('close %s', (_what, s, c, expected) => {
    expect(refusal(() => checkClosure(s, c))).toEqual(expected);
  });

  it.each<[string, CaseState, Refusal]>([
    ['once closed', state('close', { closure }), undefined],
    ['before the closure', state('execute'), { type: conflict }],
    ['twice', state('close', { closure, evaluation: { rating: 'satisfied', via: 'call-back', by: 'wang', at: earlier } }), { type: conflict }],
    ['after the case ended', state('closed', { closure }), { type: conflict }],
  ])('evaluate %s', (_what, s, expected) => {
    expect(refusal(() => checkEvaluation(s, cmd({ rating: 'satisfied', via: 'call-back' })))).toEqual(expected);
  });

  it('a repeated demand links to any case not yet ended', () => {
    const repeat = cmd({ demand: 'Still leaking', channel: 'phone', receivedAt: earlier });
    expect(refusal(() => checkRepeat(state('close'), repeat))).toBeUndefined();
    expect(refusal(() => checkRepeat(state('closed'), repeat))).toEqual({ type: conflict });
  });
});

describe('case rules: extensions and the clock they name', () => {
  const clocks = [clock('response', { status: 'met' }), clock('resolution', { status: 'paused' }), clock('task', { id: 'task:T1', taskId: 'T1' }), clock('task', { id: 'task:T2', taskId: 'T2', status: 'cancelled' })];
  const extend = (name: string, newDueAt: string) => refusal(() => checkExtension(state('execute', { clocks }), cmd({ clock: name, newDueAt, reason: 'Parts on order' })));

  it('names running and paused clocks only: response, resolution or task:<id>', () => {
    expect(currentClock(state('execute', { clocks }), 'resolution')?.kind).toBe('resolution');
    expect(currentClock(state('execute', { clocks }), 'task:T1')?.taskId).toBe('T1');
    expect(currentClock(state('execute', { clocks }), 'response')).toBeUndefined();
    expect(currentClock(state('execute', { clocks }), 'task:T2')).toBeUndefined();
    expect(currentClock(state('execute', { clocks }), 'task')).toBeUndefined();
  });

  it.each<[string, string, Refusal]>([
    ['resolution', '2026-11-23T02:00:00.001Z', undefined],
    ['task:T1', later, undefined],
    ['resolution', '2026-11-23T02:00:00.000Z', { type: invalid, pointer: '#/newDueAt' }],
    ['resolution', earlier, { type: invalid, pointer: '#/newDueAt' }],
    ['response', later, { type: invalid, pointer: '#/clock' }],
    ['task:T2', later, { type: invalid, pointer: '#/clock' }],
    ['task:T9', later, { type: invalid, pointer: '#/clock' }],
  ])('%s to %s', (name, newDueAt, expected) => {
    expect(extend(name, newDueAt)).toEqual(expected);
  });

  it('a closed case extends nothing', () => {
    expect(refusal(() => checkExtension(state('closed', { clocks }), cmd({ clock: 'resolution', newDueAt: later, reason: 'x' })))).toEqual({ type: conflict });
  });
});

describe('case facts', () => {
  it('the next deadline is the earliest of the running clocks', () => {
    const clocks = [
      clock('resolution', { dueAt: '2026-11-25T00:00:00.000Z' }),
      clock('task', { taskId: 'T1', dueAt: '2026-11-24T00:00:00.000Z' }),
      clock('response', { status: 'paused', dueAt: '2026-11-23T00:00:00.000Z' }),
      clock('task', { taskId: 'T2', status: 'met', dueAt: '2026-11-22T00:00:00.000Z' }),
    ];
    expect(nextDueAt(clocks)).toBe('2026-11-24T00:00:00.000Z');
    expect(nextDueAt(clocks.slice(2))).toBeUndefined();
    expect(nextDueAt(undefined)).toBeUndefined();
  });

  it('overdue and provisional count running and paused clocks, not stopped ones', () => {
    expect(isOverdue([clock('resolution', { status: 'paused', breachedAt: earlier })])).toBe(true);
    expect(isOverdue([clock('resolution', { status: 'met', breachedAt: earlier }), clock('response')])).toBe(false);
    expect(isProvisional([clock('resolution', { provisional: true })])).toBe(true);
    expect(isProvisional([clock('resolution', { status: 'cancelled', provisional: true })])).toBe(false);
  });

  it('missing documents: required ones neither received nor brought now', () => {
    const s = state('diagnose', { documents: ['ID card'] });
    expect(missingDocuments(s)).toEqual(['Household register']);
    expect(missingDocuments(s, ['Household register'])).toEqual([]);
    expect(missingDocuments(state('diagnose', { catalogue: undefined }))).toEqual([]);
  });

  it('open tasks, by assignee kind; open whistles are open escalations with a whistle', () => {
    const s = state('execute', {
      tasks: [task('T1'), task('T2', { assignee: { kind: 'staff', id: 'wang' } }), task('T3', { status: 'completed' })],
      escalations: [
        { id: 'E1', status: 'open', reason: 'x', at: earlier, whistleId: 'W1' },
        { id: 'E2', status: 'open', reason: 'x', at: earlier },
        { id: 'E3', status: 'settled', reason: 'x', at: earlier, whistleId: 'W3' },
      ],
    });
    expect(openTasks(s).map((t) => t.id)).toEqual(['T1', 'T2']);
    expect(openTasks(s, 'staff').map((t) => t.id)).toEqual(['T2']);
    expect(openWhistles(s).map((e) => e.id)).toEqual(['E1']);
  });
});
