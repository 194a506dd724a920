import { allHandlersFinished, condition, getExternalWorkflowHandle, upsertSearchAttributes } from '@temporalio/workflow';
import { searchAttributes } from '../../temporal/search-attribute-keys';
import { caseWorkflowId } from '../../temporal/workflow-ids';
import { writes } from '../shared/activities';
import type { Actor, Clock, NotificationInput, ProjectionFailure } from '../shared/messages';
import { callDueAt, callInboxState, callRole, checkInLatencySeconds, notifiedCalls, whistleProgress } from './facts';
import { dueMilestones, goalMs, startClock, stopClock, watchMilestones } from '../shared/clocks';
import {
  type CallProjection,
  type DepartmentCall,
  whistleCompletedSignal,
  type WhistleInput,
  type WhistleOutcome,
  type WhistleProjection,
  type WhistleState,
} from './messages';
import { Serial } from '../shared/serial';
import { projectionRejection, writeFailedType } from '../shared/projection-failures';
import type { EventType } from '../shared/events';
import type { NoticeKind } from '../shared/notices';
import { activeCalls, awaitedDepartments, callOf, rateable } from './rules';

export const system: Actor = { id: 'stationflow', role: 'system' };

/**
 * One running whistle: its state, its timeline writes (into the case's timeline, as the whistle's own
 * sequence), its notifications and its clocks. Handlers (whistle-handlers.ts) change the state; the
 * steps in whistle.ts wait on it.
 */
export class WhistleRun {
  readonly state: WhistleState;
  private readonly serial = new Serial();
  /** Every department called (their rows on record): changes may run. */
  opened = false;
  private clockVersion = 0;

  constructor(private readonly input: WhistleInput) {
    const { departments, ...rest } = input;
    // Every department is on the whistle from the first moment (a check-in may come before its notice is
    // written); `open()` sets each one's deadlines and notifies it.
    const calls = departments.map((departmentId) => this.newCall(departmentId, input.lead, input.initiatedAt));
    this.state = { ...rest, status: 'open', calls, clocks: [], seq: 0, recorded: false };
  }

  now(): string {
    return new Date().toISOString();
  }

  /** Runs one change at a time: handlers and the clock watcher never interleave their writes. */
  exclusive<T>(fn: () => Promise<T>): Promise<T> {
    return this.serial.run(fn);
  }

  clocksChanged(): void {
    this.clockVersion++;
  }

  clockOf(id: string): Clock | undefined {
    return this.state.clocks.filter((c) => c.id === id).at(-1);
  }

  /* ---------- the read model ---------- */

  private callProjection(c: DepartmentCall): CallProjection {
    const state = callInboxState(this.state, c);
    const last = c.disputes.at(-1);
    return {
      departmentId: c.departmentId,
      role: callRole(this.state, c),
      status: c.status,
      state,
      dueAt: callDueAt(c, state),
      calledAt: c.calledAt,
      checkInDueAt: c.checkInDueAt,
      reportDueAt: c.reportDueAt,
      checkedInAt: c.checkedInAt ?? null,
      checkInLatencySeconds: checkInLatencySeconds(c),
      missedCheckIns: c.missedCheckIns,
      disputes: c.disputes.length,
      disputeDecision: last ? (last.decision ?? 'pending') : null,
      reportOutcome: c.report?.outcome ?? null,
      reportedAt: c.report?.at ?? null,
      reportOnTime: c.report ? c.report.onTime : null,
      rating: c.rating?.score ?? null,
      ratingComment: c.rating?.comment ?? null,
      feedback: c.feedback?.score ?? null,
      feedbackComment: c.feedback?.comment ?? null,
      releasedAt: c.releasedAt ?? null,
      replacedBy: c.replacedBy ?? null,
      replaces: c.replaces ?? null,
    };
  }

  projection(): WhistleProjection {
    const s = this.state;
    // Calls not notified yet (no deadlines) join the read model with their notice.
    const calls = notifiedCalls(s).map((c) => this.callProjection(c));
    const progress = whistleProgress(s);
    return {
      status: s.status,
      state: progress.state,
      lead: s.lead,
      awaitingDepartments: awaitedDepartments(s),
      nextDueAt: progress.nextDueAt,
      overdue: progress.overdue,
      outcome: s.completion?.outcome ?? null,
      outcomeNote: s.completion?.note ?? null,
      completedAt: s.completion?.at ?? null,
      calls,
    };
  }

  /** Appends a whistle event to the case's timeline and projects the whistle; visibility names who is awaited. */
  async record(type: EventType, actor: Actor, data: Record<string, unknown> = {}): Promise<void> {
    const seq = ++this.state.seq;
    const projection = this.projection();
    upsertSearchAttributes([
      { key: searchAttributes.awaitedDepartments, value: projection.awaitingDepartments },
      { key: searchAttributes.nextDueAt, value: projection.nextDueAt ? new Date(projection.nextDueAt) : null },
      { key: searchAttributes.overdue, value: projection.overdue },
    ]);
    const at = this.now();
    try {
      await writes.recordWhistleEvent({
        whistleId: this.state.whistleId,
        caseId: this.state.caseId,
        seq,
        type,
        actor,
        at,
        data: { whistleId: this.state.whistleId, ...data },
        projection,
        ...(seq === 1 ? { whistle: this.input } : {}),
      });
      this.state.recorded = true;
    } catch (err) {
      const code = projectionRejection(err);
      if (code === undefined) throw err;
      await this.writeFailed({ seq, type, at, code });
    }
  }

  async notify(recipient: NotificationInput['recipient'], kind: NoticeKind, data: Record<string, unknown> = {}): Promise<void> {
    const s = this.state;
    const key = `${s.whistleId}:${s.seq}:${kind}:${recipient.kind}:${recipient.id}`;
    try {
      await writes.notify({ key, caseId: s.caseId, recipient, kind, at: this.now(), data: { caseId: s.caseId, whistleId: s.whistleId, ...data } });
    } catch (err) {
      const code = projectionRejection(err);
      if (code === undefined) throw err;
      await this.writeFailed({ seq: s.seq, type: `notification:${kind}`, at: this.now(), code });
    }
  }

  /**
   * A write the database refused for good (projection-failures.ts): kept in the state and marked in the
   * timeline with data that can always be written; the whistle carries on. The marker brings the rows up
   * to date with what PostgreSQL cannot hold made storable (U+FFFD), and creates them when the refused
   * event was the first. Only ever runs on that failure path, so recorded histories replay unchanged.
   */
  private async writeFailed(failure: ProjectionFailure): Promise<void> {
    const s = this.state;
    (s.projectionFailures ??= []).push(failure);
    const seq = ++s.seq;
    try {
      await writes.recordWhistleEvent({
        whistleId: s.whistleId,
        caseId: s.caseId,
        seq,
        type: writeFailedType,
        actor: system,
        at: this.now(),
        data: { whistleId: s.whistleId, failedSeq: failure.seq, failedType: failure.type, code: failure.code },
        projection: this.projection(),
        ...(s.recorded ? {} : { whistle: this.input }),
        storable: true,
      });
      s.recorded = true;
    } catch (err) {
      // Even the marker was refused: the failure stays in the state and the whistle's live view.
      if (projectionRejection(err) === undefined) throw err;
    }
  }

  /** The subdistrict's supervisors: they settle disputes and hear of missed check-ins. */
  supervisors(): NotificationInput['recipient'] {
    return { kind: 'supervisor', id: this.state.subdistrictId };
  }

  /* ---------- calling departments ---------- */

  private newCall(departmentId: string, lead: string, at: string): DepartmentCall {
    return {
      departmentId,
      role: departmentId === lead ? 'lead' : 'co-handler',
      status: 'awaiting-check-in',
      calledAt: at,
      checkInDueAt: '',
      reportDueAt: '',
      missedCheckIns: 0,
      disputes: [],
    };
  }

  /** Calls every department of the whistle; changes wait until all are called. */
  async open(): Promise<void> {
    await this.exclusive(async () => {
      for (const c of [...this.state.calls]) await this.call(c.departmentId, {});
      this.opened = true;
    });
  }

  /** Runs a change once the whistle is open, one at a time. */
  async change<T>(fn: () => Promise<T>): Promise<T> {
    await condition(() => this.opened);
    return this.exclusive(fn);
  }

  /**
   * Calls one department: its check-in and report clocks start now, and it is told what the matter is
   * (the summary and location it was blown with: no resident's name, phone or ID number).
   */
  async call(departmentId: string, extra: { replaces?: string }, actor: Actor = this.input.initiatedBy): Promise<DepartmentCall> {
    const s = this.state;
    const rules = s.rules;
    const now = this.now();
    const assignee = { kind: 'department' as const, id: departmentId };
    const [checkIn, report] = await Promise.all([
      startClock({ id: `check-in:${departmentId}`, kind: 'check-in', unit: rules.checkInUnit, budgetMs: goalMs(rules.checkInGoal, rules.checkInUnit), from: now, assignee, paused: false }),
      startClock({ id: `report:${departmentId}`, kind: 'report', unit: rules.reportUnit, budgetMs: goalMs(rules.reportGoal, rules.reportUnit), from: now, assignee, paused: false }),
    ]);
    s.clocks.push({ ...checkIn, departmentId }, { ...report, departmentId });
    let call = callOf(s, departmentId);
    if (!call) s.calls.push((call = this.newCall(departmentId, s.lead, now)));
    Object.assign(call, { calledAt: now, checkInDueAt: checkIn.dueAt, reportDueAt: report.dueAt, ...extra });
    const duty = { departmentId, role: call.role, lead: s.lead, calledAt: now, checkInDueAt: call.checkInDueAt, reportDueAt: call.reportDueAt };
    await this.record('whistle.notified', actor, { ...duty, urgency: rules.urgency, ...(extra.replaces ? { replaces: extra.replaces } : {}) });
    await this.notify(assignee, 'whistle.called', {
      ...duty,
      reason: s.reason,
      urgency: rules.urgency,
      summary: s.summary,
      ...(s.location ? { location: s.location } : {}),
      serviceCode: s.serviceCode,
      category: s.category,
      stationId: s.stationId,
    });
    this.clocksChanged();
    return call;
  }

  /** Stops a call's clocks (released, replaced, or the whistle completed). */
  stopClocks(departmentId: string | undefined, status: 'met' | 'cancelled', kinds: Clock['kind'][] = ['check-in', 'report']): void {
    for (const c of this.state.clocks) {
      if ((departmentId === undefined || c.departmentId === departmentId) && kinds.includes(c.kind)) stopClock(c, this.now(), status);
    }
    this.clocksChanged();
  }

  /* ---------- completion ---------- */

  /** Completes the whistle once every department still called has reported (the lead last). */
  async completeIfAllReported(actor: Actor): Promise<void> {
    const s = this.state;
    const calls = activeCalls(s);
    if (s.status !== 'open' || calls.length === 0 || calls.some((c) => c.status !== 'reported')) return;
    const lead = callOf(s, s.lead)!;
    await this.complete({ outcome: lead.report!.outcome, note: lead.report!.note, at: this.now(), by: actor.id }, actor);
  }

  async complete(outcome: WhistleOutcome, actor: Actor): Promise<void> {
    const s = this.state;
    s.status = 'completed';
    s.completion = outcome;
    this.stopClocks(undefined, 'cancelled');
    await this.record('whistle.completed', actor, { outcome: outcome.outcome, note: outcome.note });
    for (const c of s.calls.filter((x) => x.status !== 'released')) {
      await this.notify({ kind: 'department', id: c.departmentId }, 'whistle.completed', { outcome: outcome.outcome });
    }
  }

  /** The whistle cannot go on (`err`): it completes as "cannot" on record, as far as it can be written, and tells its case. */
  async failed(err: unknown): Promise<void> {
    const s = this.state;
    // Failure names only (e.g. ActivityFailure/ClockArithmeticError): messages may quote what was sent.
    const cause = (err as { cause?: { type?: string; name?: string } }).cause;
    const reason = [(err as Error).name, cause?.type ?? cause?.name].filter(Boolean).join('/');
    s.status = 'completed';
    s.completion = { outcome: 'cannot', note: `The whistle could not run (${reason}); blow a new one if the matter still needs departments`, at: this.now(), by: system.id };
    this.stopClocks(undefined, 'cancelled');
    try {
      await this.record('whistle.failed', system, { reason });
    } catch {
      // Its timeline cannot be written either: the case still hears of it below.
    }
    await this.tellCase();
  }

  /** Tells the case (by workflow id, so a case that continued as new still hears it) how the whistle ended. */
  async tellCase(): Promise<void> {
    const s = this.state;
    try {
      await getExternalWorkflowHandle(caseWorkflowId(s.caseId)).signal(whistleCompletedSignal, { whistleId: s.whistleId, ...s.completion! });
    } catch {
      // The case has ended (terminated by an operator): the whistle's outcome stays on record regardless.
      await this.exclusive(() => this.record('whistle.case-unreachable', system, {}));
    }
  }

  allRated(): boolean {
    return rateable(this.state).every((c) => c.rating && c.feedback);
  }

  async finish(): Promise<WhistleState> {
    await this.exclusive(async () => {
      const s = this.state;
      s.status = 'finished';
      const unrated = rateable(s).filter((c) => !c.rating).map((c) => c.departmentId);
      const noFeedback = rateable(s).filter((c) => !c.feedback).map((c) => c.departmentId);
      await this.record('whistle.rating-closed', system, { unrated, noFeedback });
    });
    this.clocksChanged();
    await condition(allHandlersFinished);
    return this.state;
  }

  /* ---------- the clock watcher: reminders, missed check-ins, overdue reports ---------- */

  /** Runs while the whistle is open: one durable timer for the next milestone of any department's clock. */
  watchClocks(): Promise<void> {
    return watchMilestones({
      clocks: () => this.state.clocks,
      version: () => this.clockVersion,
      stopped: () => this.state.status !== 'open',
      fire: () => this.exclusive(() => this.fireDueMilestones()),
    });
  }

  private async fireDueMilestones(): Promise<void> {
    for (const { clock, milestone } of dueMilestones(this.state.clocks, Date.now())) {
      milestone.done = true;
      const departmentId = clock.departmentId!;
      const department = { kind: 'department' as const, id: departmentId };
      const duty = clock.kind === 'check-in' ? 'check-in' : 'report';
      const data = { departmentId, duty, dueAt: clock.dueAt };
      if (milestone.kind !== 'breach') {
        const percent = milestone.kind === 'warning-50' ? 50 : 75;
        await this.record('whistle.reminded', system, { ...data, percent });
        await this.notify(department, 'whistle.reminder', { ...data, percent });
        continue;
      }
      clock.breachedAt = this.now();
      if (duty === 'check-in') {
        // Recorded against the department for its assessment; it stays expected until it checks in,
        // or the supervisor releases or replaces it.
        const call = callOf(this.state, departmentId)!;
        call.missedCheckIns++;
        await this.record('whistle.check-in-missed', system, { ...data, missedCheckIns: call.missedCheckIns });
        await this.notify(this.supervisors(), 'whistle.check-in-missed', data);
        await this.notify(department, 'whistle.check-in-missed', data);
      } else {
        await this.record('whistle.report-overdue', system, data);
        await this.notify(this.supervisors(), 'whistle.report-overdue', data);
        await this.notify(department, 'whistle.report-overdue', data);
      }
    }
    this.clocksChanged();
  }
}
