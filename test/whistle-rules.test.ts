import {
  activeCalls,
  awaitedDepartments,
  checkCheckIn,
  checkClosure,
  checkDecision,
  checkDispute,
  checkFeedback,
  checkRating,
  checkReport,
  coHandlersNotReported,
  rateable,
} from '../workflows/whistle/rules';
import { type DecisionInput, type DepartmentCall, type WhistleState, whistleRejections } from '../workflows/whistle/messages';

/**
 * The whistle's rules as plain functions on a state: no server, no Temporal. Each row names the state,
 * the request and the rejection it must meet (or none); the expected values come from the rules as
 * written in workflows/whistle/rules.ts and the README (a lead reports last, a disputed call waits for
 * the supervisor, an upheld dispute is not rated).
 */

const { conflict, invalid, notCalled } = whistleRejections;
const actor = { id: 'duty', role: 'department' as const };

function call(departmentId: string, extra: Partial<DepartmentCall> = {}): DepartmentCall {
  return {
    departmentId,
    role: 'co-handler',
    status: 'awaiting-check-in',
    calledAt: '2026-11-23T02:00:00.000Z',
    checkInDueAt: '2026-11-23T04:00:00.000Z',
    reportDueAt: '2026-11-25T02:00:00.000Z',
    missedCheckIns: 0,
    disputes: [],
    ...extra,
  };
}

/** A whistle to housing (lead) and water (co-handler), open unless said otherwise. */
function whistle(calls: DepartmentCall[] = [call('housing', { role: 'lead' }), call('water')], extra: Partial<WhistleState> = {}): WhistleState {
  return {
    whistleId: 'QG-20261123-0001-W1',
    caseId: 'QG-20261123-0001',
    stationId: 'qianggen',
    subdistrictId: 'xinjiekou',
    initiatedBy: { id: 'wang', role: 'staff' },
    initiatedAt: '2026-11-23T02:00:00.000Z',
    reason: 'prominent-problem',
    summary: 'Bins overflow at the north gate',
    serviceCode: 'garbage-sorting-complaint',
    category: 'environment',
    rules: {} as WhistleState['rules'],
    status: 'open',
    lead: calls.find((c) => c.role === 'lead')?.departmentId ?? 'housing',
    calls,
    clocks: [],
    seq: 0,
    recorded: true,
    ...extra,
  };
}

/** The rejection `check` throws, or undefined when it passes: its type, message and field pointer. */
function refusal(check: () => void): { type: string; message: string; pointer?: string } | undefined {
  try {
    check();
    return undefined;
  } catch (err) {
    const e = err as { type?: string; message: string; details?: unknown[] };
    const pointer = (e.details?.[0] as { pointer: string }[] | undefined)?.[0]?.pointer;
    return { type: e.type ?? 'not a rejection', message: e.message, ...(pointer ? { pointer } : {}) };
  }
}

const as = (departmentId: string) => ({ actor, departmentId });
const disputed = (decision?: 'insist' | 'release' | 'replace') => [{ reason: 'Not ours', at: '2026-11-23T03:00:00.000Z', by: 'duty', ...(decision ? { decision } : {}) }];

describe('whistle rules: check-in', () => {
  it.each<[string, WhistleState, string, ReturnType<typeof refusal>]>([
    ['a called department checks in', whistle(), 'water', undefined],
    ['a department the whistle does not call', whistle(), 'parks', { type: notCalled, message: 'Department parks is not called by whistle QG-20261123-0001-W1' }],
    ['checking in again answers the first (even once the whistle is completed)', whistle([call('housing', { role: 'lead' }), call('water', { status: 'reported', checkedInAt: 't' })], { status: 'completed' }), 'water', undefined],
    ['a completed whistle takes no first check-in', whistle(undefined, { status: 'completed' }), 'water', { type: conflict, message: 'Cannot check in: whistle QG-20261123-0001-W1 is completed' }],
    ['a released call', whistle([call('housing', { role: 'lead' }), call('water', { status: 'released' })]), 'water', { type: conflict, message: 'Department water was released on whistle QG-20261123-0001-W1' }],
    ['a replaced call', whistle([call('housing', { role: 'lead' }), call('water', { status: 'released', replacedBy: 'parks' })]), 'water', { type: conflict, message: 'Department water was replaced by parks on whistle QG-20261123-0001-W1' }],
    ['a call whose dispute awaits the supervisor', whistle([call('housing', { role: 'lead' }), call('water', { status: 'disputed', disputes: disputed() })]), 'water', { type: conflict, message: "Your dispute of whistle QG-20261123-0001-W1 awaits the supervisor's decision" }],
  ])('%s', (_what, state, departmentId, expected) => {
    expect(refusal(() => checkCheckIn(state, as(departmentId)))).toEqual(expected);
  });
});

describe('whistle rules: dispute', () => {
  it.each<[string, DepartmentCall, string | undefined]>([
    ['before checking in', call('water'), undefined],
    ['after checking in', call('water', { status: 'checked-in', checkedInAt: 't' }), undefined],
    ['a second dispute while the first is pending', call('water', { status: 'disputed', disputes: disputed() }), conflict],
    ['after reporting', call('water', { status: 'reported' }), conflict],
    ['after the supervisor insisted', call('water', { status: 'checked-in', disputes: disputed('insist') }), conflict],
    ['a released call', call('water', { status: 'released', disputes: disputed('release') }), conflict],
  ])('%s', (_what, water, expected) => {
    expect(refusal(() => checkDispute(whistle([call('housing', { role: 'lead' }), water]), { ...as('water'), reason: 'Not ours' }))?.type).toBe(expected);
  });

  it('a department not called, and a closed whistle', () => {
    expect(refusal(() => checkDispute(whistle(), { ...as('parks'), reason: 'x' }))?.type).toBe(notCalled);
    expect(refusal(() => checkDispute(whistle(undefined, { status: 'finished' }), { ...as('water'), reason: 'x' }))?.type).toBe(conflict);
  });
});

describe('whistle rules: report', () => {
  const report = { outcome: 'done' as const, note: 'Bins emptied' };
  it.each<[string, DepartmentCall[], string, ReturnType<typeof refusal>]>([
    ['a co-handler that checked in reports', [call('housing', { role: 'lead', status: 'checked-in' }), call('water', { status: 'checked-in' })], 'water', undefined],
    [
      'not checked in yet',
      [call('housing', { role: 'lead' }), call('water')],
      'water',
      { type: conflict, message: 'Check in to whistle QG-20261123-0001-W1 before reporting' },
    ],
    [
      'the lead before its co-handler reported',
      [call('housing', { role: 'lead', status: 'checked-in' }), call('water', { status: 'checked-in' })],
      'housing',
      { type: conflict, message: 'As lead, report once your co-handlers have reported to you; still waiting for water' },
    ],
    [
      'the lead names every co-handler it waits for',
      [call('housing', { role: 'lead', status: 'checked-in' }), call('water'), call('parks', { status: 'disputed', disputes: disputed() }), call('civil-affairs', { status: 'reported' })],
      'housing',
      { type: conflict, message: 'As lead, report once your co-handlers have reported to you; still waiting for water, parks' },
    ],
    ['the lead once its co-handler reported', [call('housing', { role: 'lead', status: 'checked-in' }), call('water', { status: 'reported' })], 'housing', undefined],
    ['the lead does not wait for a released co-handler', [call('housing', { role: 'lead', status: 'checked-in' }), call('water', { status: 'released' })], 'housing', undefined],
    ['a second report', [call('housing', { role: 'lead' }), call('water', { status: 'reported' })], 'water', { type: conflict, message: 'Department water has already reported on whistle QG-20261123-0001-W1' }],
    ['while a dispute is pending', [call('housing', { role: 'lead' }), call('water', { status: 'disputed', disputes: disputed() })], 'water', { type: conflict, message: "Your dispute of whistle QG-20261123-0001-W1 awaits the supervisor's decision" }],
  ])('%s', (_what, calls, departmentId, expected) => {
    expect(refusal(() => checkReport(whistle(calls), { ...as(departmentId), ...report }))).toEqual(expected);
  });
});

describe("whistle rules: the supervisor's decision on a dispute", () => {
  const pendingWater = () => whistle([call('housing', { role: 'lead', status: 'checked-in' }), call('water', { status: 'disputed', disputes: disputed() })]);
  it.each<[string, () => WhistleState, DecisionInput, { type: string; pointer?: string } | undefined]>([
    ['insist on a pending dispute', pendingWater, { departmentId: 'water', decision: 'insist' }, undefined],
    ['insist without a dispute', () => whistle(), { departmentId: 'water', decision: 'insist' }, { type: conflict }],
    [
      'insist on a dispute already decided',
      () => whistle([call('housing', { role: 'lead' }), call('water', { status: 'disputed', disputes: disputed('insist') })]),
      { departmentId: 'water', decision: 'insist' },
      { type: conflict },
    ],
    ['a department the whistle does not call', pendingWater, { departmentId: 'parks', decision: 'insist' }, { type: invalid, pointer: '#/departmentId' }],
    ['replace without naming who takes over', pendingWater, { departmentId: 'water', decision: 'replace' }, { type: invalid, pointer: '#/replacement' }],
    ['replace with a department already called', pendingWater, { departmentId: 'water', decision: 'replace', replacement: 'housing' }, { type: invalid, pointer: '#/replacement' }],
    ['replace with a new department', pendingWater, { departmentId: 'water', decision: 'replace', replacement: 'parks' }, undefined],
    ['a replacement named on a release', pendingWater, { departmentId: 'water', decision: 'release', replacement: 'parks' }, { type: invalid, pointer: '#/replacement' }],
    ['release a co-handler', pendingWater, { departmentId: 'water', decision: 'release' }, undefined],
    [
      'release the last active department',
      () => whistle([call('housing', { role: 'lead', status: 'disputed', disputes: disputed() }), call('water', { status: 'released' })]),
      { departmentId: 'housing', decision: 'release' },
      { type: invalid, pointer: '#/decision' },
    ],
    ['release the lead without a new lead', () => whistle(), { departmentId: 'housing', decision: 'release' }, { type: invalid, pointer: '#/newLead' }],
    ['release the lead to a department not on the whistle', () => whistle(), { departmentId: 'housing', decision: 'release', newLead: 'parks' }, { type: invalid, pointer: '#/newLead' }],
    [
      'release the lead to a released department',
      () => whistle([call('housing', { role: 'lead' }), call('water', { status: 'released' }), call('parks')]),
      { departmentId: 'housing', decision: 'release', newLead: 'water' },
      { type: invalid, pointer: '#/newLead' },
    ],
    ['release the lead to a co-handler', () => whistle(), { departmentId: 'housing', decision: 'release', newLead: 'water' }, undefined],
    ['a new lead named when a co-handler is released', pendingWater, { departmentId: 'water', decision: 'release', newLead: 'housing' }, { type: invalid, pointer: '#/newLead' }],
    ['a department that already reported', () => whistle([call('housing', { role: 'lead' }), call('water', { status: 'reported' })]), { departmentId: 'water', decision: 'release' }, { type: conflict }],
    ['a department already released', () => whistle([call('housing', { role: 'lead' }), call('water', { status: 'released' }), call('parks')]), { departmentId: 'water', decision: 'release' }, { type: conflict }],
    ['a completed whistle', () => whistle(undefined, { status: 'completed' }), { departmentId: 'water', decision: 'release' }, { type: conflict }],
  ])('%s', (_what, state, decision, expected) => {
    const got = refusal(() => checkDecision(state(), decision));
    expect(got && { type: got.type, ...(got.pointer ? { pointer: got.pointer } : {}) }).toEqual(expected);
  });
});

describe('whistle rules: closing and rating', () => {
  const done = (calls?: DepartmentCall[], status: WhistleState['status'] = 'completed') => whistle(calls, { status });
  const rating = (departmentId: string) => ({ departmentId, score: 4 });

  it('a supervisor closes an open whistle, once', () => {
    expect(refusal(() => checkClosure(whistle()))).toBeUndefined();
    expect(refusal(() => checkClosure(done()))?.type).toBe(conflict);
    expect(refusal(() => checkClosure(done(undefined, 'finished')))?.type).toBe(conflict);
  });

  it.each<[string, WhistleState, string, string | undefined]>([
    ['a completed whistle’s department', done(), 'water', undefined],
    ['before completion', whistle(), 'water', conflict],
    ['after the rating window', done(undefined, 'finished'), 'water', conflict],
    ['a department not called', done(), 'parks', invalid],
    ['a department released on its dispute', done([call('housing', { role: 'lead' }), call('water', { status: 'released', disputes: disputed('release') })]), 'water', invalid],
    ['a department replaced on its dispute', done([call('housing', { role: 'lead' }), call('water', { status: 'released', disputes: disputed('replace') })]), 'water', invalid],
    ['a department whose dispute was refused (insist) is rated', done([call('housing', { role: 'lead' }), call('water', { status: 'reported', disputes: disputed('insist') })]), 'water', undefined],
    ['twice', done([call('housing', { role: 'lead' }), call('water', { rating: { score: 5, at: 't', by: 'wang' } })]), 'water', conflict],
  ])('the station rates %s', (_what, state, departmentId, expected) => {
    expect(refusal(() => checkRating(state, rating(departmentId)))?.type).toBe(expected);
  });

  it.each<[string, WhistleState, string, string | undefined]>([
    ['once completed', done(), 'water', undefined],
    ['before completion', whistle(), 'water', conflict],
    ['after the rating window', done(undefined, 'finished'), 'water', conflict],
    ['not called', done(), 'parks', notCalled],
    ['twice', done([call('housing', { role: 'lead' }), call('water', { feedback: { score: 3, at: 't', by: 'duty' } })]), 'water', conflict],
  ])('a department rates the whistle %s', (_what, state, departmentId, expected) => {
    expect(refusal(() => checkFeedback(state, { ...as(departmentId), score: 4 }))?.type).toBe(expected);
  });
});

describe('whistle facts: who still counts', () => {
  const calls = [
    call('housing', { role: 'lead', status: 'checked-in' }),
    call('water', { status: 'reported' }),
    call('parks', { status: 'released', disputes: disputed('release') }),
    call('civil-affairs', { status: 'disputed', disputes: disputed() }),
    call('urban-management', { replaces: 'parks' }),
    call('sanitation', { status: 'reported', disputes: disputed('insist') }),
  ];

  it('active calls leave out released ones; an open whistle awaits every active department that has not reported', () => {
    expect(activeCalls(whistle(calls)).map((c) => c.departmentId)).toEqual(['housing', 'water', 'civil-affairs', 'urban-management', 'sanitation']);
    expect(awaitedDepartments(whistle(calls))).toEqual(['housing', 'civil-affairs', 'urban-management']);
    expect(awaitedDepartments(whistle(calls, { status: 'completed' }))).toEqual([]);
  });

  it('the lead waits for the active co-handlers that have not reported; upheld disputes are not rateable', () => {
    expect(coHandlersNotReported(whistle(calls)).map((c) => c.departmentId)).toEqual(['civil-affairs', 'urban-management']);
    expect(rateable(whistle(calls)).map((c) => c.departmentId)).toEqual(['housing', 'water', 'civil-affairs', 'urban-management', 'sanitation']);
  });
});
