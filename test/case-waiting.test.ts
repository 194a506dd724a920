import { type CaseState, type Stage, type Task } from '../workflows/case/messages';
import { waitingOn } from '../workflows/case/waiting';

/**
 * What a case waits on, in words and parties (workflows/case/waiting.ts): one state per stage, and a state
 * full of personal data that never reaches the words.
 */

const now = Date.parse('2026-11-23T02:00:00.000Z');
const later = '2026-11-24T02:00:00.000Z';
const earlier = '2026-11-22T02:00:00.000Z';

function state(stage: Stage, extra: Partial<CaseState> = {}): CaseState {
  return {
    caseId: 'QG-20261123-0001',
    stationId: 'qianggen',
    serviceCode: 'home-plumbing-repair',
    category: 'life',
    deadlineClass: 'general',
    channel: 'walk-in',
    demand: 'Kitchen pipe leaking',
    resident: { name: 'Li' },
    stage,
    openedBy: { id: 'wang', role: 'staff' },
    openedAt: '2026-11-23T01:00:00.000Z',
    recorded: true,
    owner: 'wang',
    rules: { responseGoal: 2, responseUnit: 'hours', resolutionGoal: 7, resolutionUnit: 'working-days', escalateOnBreach: true, callBackAfterHours: 48, reopenWindowHours: 168 },
    ...extra,
  };
}

function task(id: string, extra: Partial<Task> = {}): Task {
  return { id, title: `Task ${id}`, assignee: { kind: 'partner', id: 'anju-repair' }, dueAt: later, status: 'open', revision: 1, ...extra };
}

const by = { by: 'wang', at: '2026-11-23T01:30:00.000Z' };

describe('waitingOn: what a case waits on, in words', () => {
  it('accept, diagnose, plan: the owner, named by id', () => {
    expect(waitingOn(state('accept'), now)).toEqual({ words: 'Waiting for staff wang to accept the demand', on: [{ kind: 'staff', id: 'wang' }] });
    expect(waitingOn(state('diagnose'), now)).toEqual({ words: 'Waiting for staff wang to diagnose the demand', on: [{ kind: 'staff', id: 'wang' }] });
    expect(waitingOn(state('plan'), now)).toEqual({ words: 'Waiting for the plan (staff wang)', on: [{ kind: 'staff', id: 'wang' }] });
    // Without an owner (a case opened before owners were kept): the one who opened it.
    expect(waitingOn(state('accept', { owner: undefined, openedBy: { id: 'li', role: 'staff' } }), now).on).toEqual([{ kind: 'staff', id: 'li' }]);
  });

  it("execute: the station's own open tasks, with their due time or since when they are overdue; a reopened case waits for its revised plan", () => {
    const tasks = [
      task('T1', { assignee: { kind: 'staff', id: 'zhao' }, dueAt: later }),
      task('T2', { assignee: { kind: 'staff', id: 'wang' }, dueAt: earlier }),
      task('T3'),
      task('T4', { assignee: { kind: 'staff', id: 'zhao' }, status: 'completed' }),
    ];
    expect(waitingOn(state('execute', { tasks }), now)).toEqual({
      words: 'Waiting on task T1 (staff zhao, due 2026-11-24T02:00:00Z), task T2 (staff wang, overdue since 2026-11-22T02:00:00Z)',
      on: [
        { kind: 'staff', id: 'zhao' },
        { kind: 'staff', id: 'wang' },
      ],
    });
    expect(waitingOn(state('execute', { tasks, awaitingRevision: true }), now)).toEqual({
      words: 'Reopened; waiting for staff wang to revise the plan',
      on: [{ kind: 'staff', id: 'wang' }],
    });
  });

  it('coordinate: partners and departments on their tasks, departments on an open whistle; many tasks are counted, not listed', () => {
    const s = state('coordinate', {
      tasks: [task('T2', { assignee: { kind: 'partner', id: 'p-x' } }), task('T3', { assignee: { kind: 'department', id: 'water' }, dueAt: earlier })],
      escalations: [
        { id: 'E1', status: 'open', reason: 'prominent-problem', at: earlier, whistleId: 'QG-20261123-0001-W1', departments: ['housing', 'water'], lead: 'housing' },
        { id: 'E0', status: 'settled', reason: 'x', at: earlier, whistleId: 'QG-20261123-0001-W0', departments: ['civil'], lead: 'civil' },
      ],
    });
    expect(waitingOn(s, now)).toEqual({
      words:
        'Waiting on task T2 (partner p-x, due 2026-11-24T02:00:00Z), task T3 (department water, overdue since 2026-11-22T02:00:00Z). ' +
        'Waiting for department housing (lead) and department water to check in and report on whistle QG-20261123-0001-W1',
      on: [
        { kind: 'partner', id: 'p-x' },
        { kind: 'department', id: 'water' },
        { kind: 'department', id: 'housing' },
      ],
    });
    const many = waitingOn(state('coordinate', { tasks: Array.from({ length: 8 }, (_, i) => task(`T${i + 1}`)) }), now);
    expect(many.words).toMatch(/task T5 \(partner anju-repair, due [^)]+\) and 3 more tasks$/);
    expect(many.on).toEqual([{ kind: 'partner', id: 'anju-repair' }]);
  });

  it('a proposed escalation waits for a supervisor; a dead letter for a supervisor’s retry', () => {
    const s = state('execute', {
      tasks: [task('T1', { assignee: { kind: 'staff', id: 'wang' } })],
      escalations: [{ id: 'E1', status: 'proposed', reason: 'resolution breached', at: earlier }],
      unreachable: [{ notificationId: 'n-1', recipient: { kind: 'partner', id: 'p-x' }, kind: 'task.assigned', since: earlier }],
    });
    const w = waitingOn(s, now);
    expect(w.words).toBe(
      'Waiting on task T1 (staff wang, due 2026-11-24T02:00:00Z). Escalation E1 proposed 2026-11-22T02:00:00Z; waiting for a supervisor to blow the whistle. ' +
        'A task.assigned notice reached no channel of partner p-x since 2026-11-22T02:00:00Z; waiting for a supervisor\'s retry',
    );
    expect(w.on).toEqual([{ kind: 'staff', id: 'wang' }, { kind: 'supervisor' }]);
  });

  it('paused: for the resident since when, the owner following up; never the reason', () => {
    const s = state('diagnose', { paused: { reason: 'Li brings her ID card on Monday', since: earlier, by: 'wang' } });
    expect(waitingOn(s, now)).toEqual({
      words: 'Paused for the resident since 2026-11-22T02:00:00Z; staff wang follows up',
      on: [{ kind: 'resident' }, { kind: 'staff', id: 'wang' }],
    });
  });

  it('close: the owner closes; once closed, the resident evaluates (call-back due, then due since), then nobody', () => {
    expect(waitingOn(state('close'), now)).toEqual({ words: 'Waiting for staff wang to close the case', on: [{ kind: 'staff', id: 'wang' }] });
    const closed = state('close', { closure: { resolution: 'resolved', summary: 'Pipe replaced for Li', ...by } });
    expect(waitingOn(closed, now)).toEqual({
      words: "Closed as resolved; waiting for the resident's evaluation (call-back due 2026-11-25T01:30:00Z)",
      on: [{ kind: 'resident' }],
    });
    const late = Date.parse('2026-11-26T00:00:00.000Z');
    expect(waitingOn({ ...closed, callBack: { dueAt: '2026-11-25T01:30:00.000Z', recordedAt: '2026-11-25T01:30:00.000Z' } }, late)).toEqual({
      words: "Closed as resolved; waiting for the resident's evaluation (call-back due since 2026-11-25T01:30:00Z, by staff wang)",
      on: [{ kind: 'resident' }, { kind: 'staff', id: 'wang' }],
    });
    // Closed early (from execute) is the same wait.
    expect(waitingOn({ ...closed, stage: 'execute' }, now).words).toMatch(/^Closed as resolved; waiting for the resident's evaluation/);
    expect(waitingOn({ ...closed, stage: 'closed', evaluation: { rating: 'satisfied', via: 'in-person', ...by } }, now)).toEqual({
      words: 'Closed as resolved; waiting on nobody',
      on: [{ kind: 'nobody' }],
    });
    expect(waitingOn(state('closed', { acceptance: { decision: 'transfer', documents: [], ...by } }), now).words).toBe('Closed as transferred; waiting on nobody');
  });

  it('withdrawn or cancelled: over, whatever the stage; the kind, never the reason', () => {
    const at = '2026-11-23T01:45:00.000Z';
    expect(waitingOn(state('plan', { withdrawal: { kind: 'resident-withdrew', reason: 'Li fixed it herself', by: 'chen', at } }), now)).toEqual({
      words: 'Withdrawn by the resident 2026-11-23T01:45:00Z; waiting on nobody',
      on: [{ kind: 'nobody' }],
    });
    expect(waitingOn(state('closed', { withdrawal: { kind: 'duplicate', reason: 'Same as Li’s other demand', duplicateOf: 'QG-20261122-0007', by: 'chen', at } }), now).words).toBe(
      'Cancelled (duplicate of case QG-20261122-0007) 2026-11-23T01:45:00Z; waiting on nobody',
    );
    expect(waitingOn(state('accept', { withdrawal: { kind: 'opened-in-error', reason: 'typo', by: 'chen', at } }), now).words).toBe(
      'Cancelled (opened-in-error) 2026-11-23T01:45:00Z; waiting on nobody',
    );
  });

  it('a state full of personal data never lets it into the words', () => {
    const secrets = ['Zhang Wei', '13812345678', 'Apartment 7, Building 3', 'Water drips on my bed', 'Zhang told us', 'Call Zhang back', 'Pipe fixed for Zhang', 'Zhang unhappy', 'Zhang visited'];
    const base = {
      demand: 'Water drips on my bed; Zhang Wei, 13812345678',
      resident: { name: 'Zhang Wei', phone: '13812345678', address: 'Apartment 7, Building 3' },
      acceptance: { decision: 'accept' as const, documents: ['ID card'], note: 'Zhang told us about 13812345678', ...by },
      diagnosis: { findings: 'Zhang visited: Water drips on my bed', homeVisit: { date: '2026-11-23', staff: ['wang'], notes: 'Zhang visited' }, ...by },
      tasks: [
        task('T1', { title: 'Call Zhang back at 13812345678', assignee: { kind: 'staff', id: 'wang' }, note: 'Zhang told us' }),
        task('T2', { title: 'Fix pipe at Apartment 7, Building 3' }),
      ],
      escalations: [
        { id: 'E1', status: 'open' as const, reason: 'Zhang Wei at Apartment 7, Building 3', at: earlier, whistleId: 'QG-20261123-0001-W1', departments: ['housing'], lead: 'housing' },
        { id: 'E2', status: 'proposed' as const, reason: 'Zhang unhappy', at: earlier },
      ],
      repeats: [{ demand: 'Water drips on my bed', channel: 'phone', receivedAt: earlier, by: 'wang' }],
    };
    const states: CaseState[] = [
      ...(['accept', 'diagnose', 'plan', 'execute', 'coordinate', 'close', 'closed'] as const).map((stage) => state(stage, base)),
      state('coordinate', { ...base, paused: { reason: 'Zhang Wei is in hospital, call 13812345678', since: earlier, by: 'wang' } }),
      state('close', { ...base, closure: { resolution: 'unresolved', summary: 'Pipe fixed for Zhang', reason: 'Zhang unhappy', ...by } }),
      state('execute', { ...base, awaitingRevision: true, reopenings: [] }),
      state('plan', { ...base, withdrawal: { kind: 'resident-withdrew', reason: 'Zhang Wei moved away', by: 'chen', at: earlier } }),
    ];
    for (const s of states) {
      const w = waitingOn(s, now);
      expect(w.words.length).toBeGreaterThan(0);
      const all = JSON.stringify(w);
      for (const secret of [...secrets, 'Zhang', '1381234']) expect({ stage: s.stage, all }).not.toEqual({ stage: s.stage, all: expect.stringContaining(secret) });
      expect(w.on.every((p) => p.kind !== 'resident' || p.id === undefined)).toBe(true);
    }
  });
});
