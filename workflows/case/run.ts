import {
  allHandlersFinished,
  condition,
  continueAsNew,
  patched,
  setCurrentDetails,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import { searchAttributes } from '../../temporal/search-attribute-keys';
import { writes } from '../shared/activities';
import { type CaseProjection, type CaseState, type OpenCaseInput, type Stage, withdrawalResolution } from './messages';
import { waitingOn } from './waiting';
import type { Actor, Assignee, Clock, NotificationInput, ProjectionFailure } from '../shared/messages';
import { isOverdue, isProvisional, nextDueAt, openTasks, supervision } from './facts';
import { stageIndex } from './rules';
import { dueMilestones, goalMs, startClock, watchMilestones } from '../shared/clocks';
import { Serial } from '../shared/serial';
import { projectionRejection, writeFailedType } from '../shared/projection-failures';
import type { EventType } from '../shared/events';
import type { NoticeKind } from '../shared/notices';
import type { UpdateRegistrar } from '../shared/updates';

export const system: Actor = { id: 'stationflow', role: 'system' };

/** Patch id (listed with the others in workflow.ts): a commitment's warning or breach writes its event and notices at once. */
export const milestoneWritesTogetherPatch = 'case-milestone-writes-together';
/**
 * Patch id (listed in workflow.ts): a change's timeline events, case row and notices are written in one
 * local activity once the case is quiet (`writeWhenQuiet`), not one activity per event or notice in turn.
 */
export const oneWritePerChangePatch = 'case-one-write-per-change';
/**
 * Patch id (listed in workflow.ts): the history size that decides continue-as-new is the one seen when a
 * message or a timer came in (`heard`), not the current activation's. An activation that only hands over a
 * local activity's result can carry a different size live than on replay (when the result came back in a
 * workflow task of its own, replay hands it over one task earlier), so deciding there could differ on replay.
 */
export const sizeWhenHeardPatch = 'case-size-when-heard';
const defaultHistoryLimit = 10_000;

/** A write kept until the case is quiet (oneWritePerChangePatch): an event (or a failure's marker), a notice, the opening. */
type PendingWrite =
  | { event: CaseEventInput; marker?: true }
  | { notice: NotificationInput; seq: number }
  | { opening: OpenCaseInput };
type CaseEventInput = Parameters<typeof writes.recordCaseEvent>[0];

/** Thrown out of the stage steps when the case is closed early (unresolved or transferred). */
export class ClosedEarly extends Error {}

/** Thrown out of the stage steps when the case is withdrawn or cancelled: it ends without a closure. */
export class Withdrawn extends Error {}

/** Registers one of the case's updates (handlers.ts makes it; whistles.ts and partners.ts use it too). */
export type CaseUpdates = UpdateRegistrar<CaseState, CaseRun>;

/**
 * One running case: its state, its timeline writes and the waiting that the six steps in case.ts are
 * made of. Update handlers (case-handlers.ts) change the state; the steps react to it.
 */
export class CaseRun {
  readonly state: CaseState;
  private readonly historyLimit: number;
  /** What the steps wait for while parked in `waitFor`; undefined while they are working. */
  private waitingFor?: () => boolean;
  private finished = false;
  private readonly serial = new Serial();
  /** Bumped whenever a clock changes, so the watcher re-plans its timer. */
  private clockVersion = 0;
  /** Behind oneWritePerChangePatch: writes are kept here until the case is quiet, then written at once. */
  private readonly together: boolean;
  private pending: PendingWrite[] = [];
  private flushing = false;
  /** Behind sizeWhenHeardPatch: the history's size as last seen when something came in from outside. */
  private readonly sizeWhenHeard: boolean;
  private heardSize = { length: 0, suggested: false };

  constructor(private readonly input: OpenCaseInput) {
    this.historyLimit = input.historyLimit ?? defaultHistoryLimit;
    this.together = patched(oneWritePerChangePatch);
    this.sizeWhenHeard = patched(sizeWhenHeardPatch);
    this.state = input.carried
      ? { ...input.carried, runs: (input.carried.runs ?? 0) + 1 }
      : {
          caseId: input.caseId,
          stationId: input.stationId,
          serviceCode: input.serviceCode,
          category: input.category,
          deadlineClass: input.deadlineClass,
          channel: input.channel,
          demand: input.demand,
          resident: input.resident,
          stage: 'accept',
          openedBy: input.openedBy,
          openedAt: input.openedAt,
          recorded: false,
          catalogue: input.catalogue,
          rules: input.rules,
          owner: input.openedBy.id,
          plans: [],
          tasks: [],
          documents: [],
          clocks: [],
          reopenings: [],
          repeats: [],
          escalations: [],
          overdue: false,
          ...(input.relatedCaseId ? { relatedCaseId: input.relatedCaseId } : {}),
          ...(input.subdistrictId ? { subdistrictId: input.subdistrictId } : {}),
          seq: 0,
          runs: 0,
        };
  }

  /** Workflow time (the SDK's deterministic clock), never the machine's. */
  now(): string {
    return new Date().toISOString();
  }

  get clocks(): Clock[] {
    return (this.state.clocks ??= []);
  }

  ownerAssignee(): Assignee {
    return { kind: 'staff', id: this.state.owner ?? this.state.openedBy.id };
  }

  /**
   * Supervisors belong to the subdistrict: every supervisor notice of a case goes to its subdistrict's
   * (README "Who is told what"). A case opened before it carried its subdistrict names its station, which
   * the notify activity maps to the station's subdistrict.
   */
  supervisors(): NotificationInput['recipient'] {
    return { kind: 'supervisor', id: this.state.subdistrictId ?? this.state.stationId };
  }

  /* ---------- the read model and visibility ---------- */

  projection(): CaseProjection {
    const s = this.state;
    return {
      stage: s.stage,
      overdue: s.overdue ?? false,
      nextDueAt: nextDueAt(this.clocks) ?? null,
      provisional: isProvisional(this.clocks),
      paused: s.paused !== undefined,
      resolution: this.resolution() ?? null,
      partnerUnreachable: (s.unreachable ?? []).length > 0,
      ...supervision(s, this.clocks),
    };
  }

  /** How the case ended, or will: its closure's resolution, or withdrawn / cancelled. */
  resolution(): string | undefined {
    const s = this.state;
    return s.closure?.resolution ?? (s.withdrawal ? withdrawalResolution(s.withdrawal.kind) : undefined);
  }

  /**
   * Appends a timeline event and projects the case row; people's actions also count as progress (an urge
   * does not: `progress: false`). The workflow's current details (what the Temporal UI shows) say what the
   * case now waits on, without personal data.
   */
  async record(type: EventType, actor: Actor, data: Record<string, unknown> = {}, opts: { progress?: boolean } = {}): Promise<void> {
    this.state.overdue = isOverdue(this.clocks);
    const seq = (this.state.seq = (this.state.seq ?? 0) + 1);
    const at = this.now();
    const progress = actor.role !== 'system' && opts.progress !== false;
    if (progress) this.state.lastProgressAt = at;
    setCurrentDetails(waitingOn(this.state, Date.parse(at)).words);
    const projection = this.projection();
    const due = projection.nextDueAt;
    upsertSearchAttributes([
      { key: searchAttributes.stage, value: projection.stage },
      { key: searchAttributes.overdue, value: projection.overdue },
      { key: searchAttributes.nextDueAt, value: due ? new Date(due) : null },
      ...(progress ? [{ key: searchAttributes.lastProgressAt, value: new Date(at) }] : []),
    ]);
    const event = { caseId: this.state.caseId, seq, type, actor, at, data, projection };
    if (this.together) {
      this.pending.push({ event });
      return;
    }
    try {
      await writes.recordCaseEvent(event);
    } catch (err) {
      const code = projectionRejection(err);
      if (code === undefined) throw err;
      await this.writeFailed({ seq, type, at, code });
    }
  }

  async notify(recipient: NotificationInput['recipient'], kind: NoticeKind, data: Record<string, unknown> = {}): Promise<void> {
    const key = `${this.state.caseId}:${this.state.seq ?? 0}:${kind}:${recipient.kind}:${recipient.id}`;
    const notice: NotificationInput = { key, caseId: this.state.caseId, recipient, kind, at: this.now(), data: { caseId: this.state.caseId, ...data } };
    if (this.together) {
      this.pending.push({ notice, seq: this.state.seq ?? 0 });
      return;
    }
    try {
      await writes.notify(notice);
    } catch (err) {
      const code = projectionRejection(err);
      if (code === undefined) throw err;
      await this.writeFailed({ seq: this.state.seq ?? 0, type: `notification:${kind}`, at: this.now(), code });
    }
  }

  /**
   * A write the database refused for good (projection-failures.ts): kept in the state (the case view
   * shows it) and marked in the timeline with data that can always be written; the case carries on.
   * Only ever runs on that failure path, so recorded histories replay unchanged.
   */
  private async writeFailed(failure: ProjectionFailure): Promise<void> {
    (this.state.projectionFailures ??= []).push(failure);
    const seq = (this.state.seq = (this.state.seq ?? 0) + 1);
    const data = { failedSeq: failure.seq, failedType: failure.type, code: failure.code };
    const marker: CaseEventInput = { caseId: this.state.caseId, seq, type: writeFailedType, actor: system, at: this.now(), data, projection: this.projection() };
    if (this.together) {
      this.pending.push({ event: marker, marker: true });
      return;
    }
    try {
      await writes.recordCaseEvent(marker);
    } catch (err) {
      // Even the marker was refused (the case has no row): the failure stays in the state and the view.
      if (projectionRejection(err) === undefined) throw err;
    }
  }

  /**
   * Writes the opening. Refused for good (text PostgreSQL cannot hold, from a client that bypassed the
   * API), it is written again with that text made storable (U+FFFD), so the case is in the read model
   * and the lists, and the refusal is marked in the timeline.
   */
  private async recordOpened(): Promise<void> {
    if (this.together) {
      this.pending.push({ opening: this.input });
      return;
    }
    try {
      await writes.recordCaseOpened(this.input);
    } catch (err) {
      const code = projectionRejection(err);
      if (code === undefined) throw err;
      try {
        await writes.recordCaseOpened({ ...this.input, storable: true });
      } catch (again) {
        if (projectionRejection(again) === undefined) throw again;
      }
      await this.writeFailed({ seq: 0, type: 'case.opened', at: this.now(), code });
    }
  }

  clocksChanged(): void {
    this.clockVersion++;
  }

  /**
   * Notes the history's size where an update, a signal or a timer came in: those activations are the same
   * live and on replay (sizeWhenHeardPatch). Call it first thing in the handler, before any await.
   */
  heard(): void {
    const info = workflowInfo();
    this.heardSize = { length: info.historyLength, suggested: info.continueAsNewSuggested };
  }

  /** A message's change: its history size noted (`heard`), then run in turn like every change. */
  onMessage<T>(fn: () => Promise<T>): Promise<T> {
    this.heard();
    return this.exclusive(fn);
  }

  /* ---------- serialising changes ---------- */

  /** Runs one change at a time: handlers, the clock watcher and stage steps never interleave their writes. */
  exclusive<T>(fn: () => Promise<T>): Promise<T> {
    return this.serial.run(fn);
  }

  /**
   * Called by an update handler after its change: waits until the steps have reacted to it (entered
   * the next stage, or found nothing to do), so the update answers with the case as it now stands.
   */
  async settled(): Promise<CaseState> {
    // Settled: the steps are parked and the change did not wake them (or they have finished).
    await condition(() => this.written() && (this.finished || this.quiet()));
    return this.state;
  }

  /** The steps are parked and nothing wakes them, and no change is running. */
  private quiet(): boolean {
    return this.waitingFor !== undefined && !this.serial.busy && !this.waitingFor();
  }

  /* ---------- writing a change at once (oneWritePerChangePatch) ---------- */

  /** Nothing is waiting to be written (always so without the patch: every write is awaited where it is made). */
  written(): boolean {
    return this.pending.length === 0 && !this.flushing;
  }

  /**
   * Runs beside the steps (behind the patch): whenever the case is quiet — the change and the steps'
   * reaction to it done — what they recorded and the notices they sent are written in one local
   * activity. Updates answer only after that (`settled`), so a client reads its change at once.
   */
  async writeWhenQuiet(): Promise<void> {
    if (!this.together) return;
    for (;;) {
      await condition(() => !this.written() && !this.serial.busy && (this.finished || this.quiet()));
      await this.exclusive(() => this.flush());
    }
  }

  /** Writes what is pending; a refused item is marked in the timeline (writeFailed), with the next round. */
  private async flush(): Promise<void> {
    this.flushing = true;
    try {
      await this.flushPending();
    } finally {
      this.flushing = false;
    }
  }

  private async flushPending(): Promise<void> {
    while (this.pending.length > 0) {
      const batch = this.pending.splice(0);
      const events = batch.flatMap((w) => ('event' in w ? [w] : []));
      const notices = batch.flatMap((w) => ('notice' in w ? [w] : []));
      const opening = batch.find((w) => 'opening' in w);
      let refused: { item: 'opening' | 'event' | 'notice'; index: number; code: string }[];
      try {
        ({ refused } = await writes.recordCaseChanges({
          caseId: this.state.caseId,
          ...(opening && 'opening' in opening ? { opening: opening.opening } : {}),
          events: events.map((w) => w.event),
          notices: notices.map((w) => w.notice),
        }));
      } catch (err) {
        const code = projectionRejection(err);
        if (code === undefined) throw err;
        refused = [
          ...(opening ? [{ item: 'opening' as const, index: 0, code }] : []),
          ...events.map((_, index) => ({ item: 'event' as const, index, code })),
          ...notices.map((_, index) => ({ item: 'notice' as const, index, code })),
        ];
      }
      if (opening) this.state.recorded = true;
      for (const r of refused) {
        if (r.item === 'opening') await this.writeFailed({ seq: 0, type: 'case.opened', at: this.now(), code: r.code });
        else if (r.item === 'event') {
          const { event, marker } = events[r.index]!;
          // A refused marker stays in the state and the view only (as without the patch).
          if (!marker) await this.writeFailed({ seq: event.seq, type: event.type, at: event.at, code: r.code });
        } else {
          const { notice, seq } = notices[r.index]!;
          await this.writeFailed({ seq, type: `notification:${notice.kind}`, at: this.now(), code: r.code });
        }
      }
    }
  }

  /**
   * The steps' one way of waiting. While the condition is false the steps are parked, which is what
   * `settled()` waits for. Continues as new when the history grows past its limit.
   */
  async waitFor(done: () => boolean, timeoutMs?: number): Promise<boolean> {
    const timeoutAt = timeoutMs === undefined ? undefined : Date.now() + timeoutMs;
    const size = () => (this.sizeWhenHeard ? this.heardSize : { length: workflowInfo().historyLength, suggested: workflowInfo().continueAsNewSuggested });
    const tooLong = () => size().suggested || size().length > this.historyLimit;
    const wake = () => done() || (tooLong() && !this.serial.busy && allHandlersFinished() && this.written());
    this.waitingFor = done;
    try {
      for (;;) {
        if (timeoutAt === undefined) await condition(wake);
        else if (!(await condition(wake, Math.max(1, timeoutAt - Date.now())))) return done();
        if (done()) return true;
        // Handlers have finished and nothing is being written: the state is whole, carry it over.
        await continueAsNew<(input: OpenCaseInput) => Promise<CaseState>>({ ...this.input, carried: this.state });
      }
    } finally {
      this.waitingFor = undefined;
    }
  }

  /* ---------- stages ---------- */

  /**
   * A step of the case: enters `stage` (unless the case is already past it) and waits until `done`
   * yields the step's result. A closure in the meantime ends the steps (ClosedEarly).
   */
  async stage<T>(stage: Stage, done: () => T | undefined | false): Promise<T> {
    // Already past this step (a reopened case, or a run continued as new): nothing to wait for.
    if (stageIndex(this.state.stage) > stageIndex(stage)) return done() as T;
    if (stageIndex(this.state.stage) < stageIndex(stage)) await this.enter(stage);
    let result: T | undefined | false;
    await this.waitFor(() => Boolean((result = done())) || this.state.closure !== undefined || this.state.withdrawal !== undefined);
    // A withdrawal ends the steps even where it also settled this one (its tasks are cancelled).
    if (this.state.withdrawal) throw new Withdrawn();
    if (!result && this.state.closure) throw new ClosedEarly();
    return result as T;
  }

  async enter(stage: Stage, data: Record<string, unknown> = {}): Promise<void> {
    await this.exclusive(async () => {
      const from = this.state.stage;
      this.state.stage = stage;
      await this.record('stage.entered', system, { stage, from, ...data });
    });
  }

  /** Handle-now affairs pass the working stages without work; each passage is still recorded. */
  async pass(stages: Stage[], reason: string): Promise<void> {
    for (const s of stages) if (stageIndex(this.state.stage) < stageIndex(s)) await this.enter(s, { passed: reason });
  }

  openTasks = (kind?: 'staff' | 'partner' | 'department') => openTasks(this.state, kind);
  openEscalations = () => (this.state.escalations ?? []).filter((e) => e.status === 'open');

  /* ---------- opening ---------- */

  /** True once the case is on record with its commitments set (at once for a run continued as new). */
  opened = false;

  async open(): Promise<void> {
    if (this.input.carried) {
      this.opened = true; // continued as new: everything is on record already
      return;
    }
    await this.recordOpened();
    if (!this.together) this.state.recorded = true; // else once written (flush)
    upsertSearchAttributes([{ key: searchAttributes.lastProgressAt, value: new Date(this.input.openedAt) }]);
    const rules = this.input.rules;
    const from = this.input.openedAt;
    const owner = this.ownerAssignee();
    const clocks = await Promise.all([
      ...(rules.responseGoal !== null && rules.responseUnit !== null
        ? [startClock({ id: 'response', kind: 'response', unit: rules.responseUnit, budgetMs: goalMs(rules.responseGoal, rules.responseUnit), from, assignee: owner, paused: false })]
        : []),
      this.resolutionClock('resolution', from),
    ]);
    this.clocks.push(...clocks);
    this.clocksChanged();
    await this.record('commitments.set', system, {
      deadlineClass: this.state.deadlineClass,
      commitments: clocks.map((c) => ({ id: c.id, kind: c.kind, dueAt: c.dueAt, provisional: c.provisional })),
    });
    this.opened = true;
  }

  resolutionClock(id: string, from: string): Promise<Clock> {
    const rules = this.state.rules ?? this.input.rules;
    return startClock({
      id,
      kind: 'resolution',
      unit: rules.resolutionUnit,
      budgetMs: goalMs(rules.resolutionGoal, rules.resolutionUnit),
      from,
      assignee: this.ownerAssignee(),
      paused: this.state.paused !== undefined,
    });
  }

  /* ---------- the clock watcher: warnings, breach, urging ---------- */

  /** Runs beside the steps for the case's whole life: one durable timer for the next milestone. */
  watchClocks(): Promise<void> {
    return watchMilestones({
      clocks: () => this.clocks,
      version: () => this.clockVersion,
      stopped: () => this.finished,
      fire: () => this.exclusive(() => this.fireDueMilestones()),
      expired: () => this.heard(),
    });
  }

  private async fireDueMilestones(): Promise<void> {
    const now = Date.now();
    // Patched: a milestone's event and its notices are written at once (one round of local activities, not
    // three one after another), so a hundred deadlines falling due together are all told within seconds.
    // Writing a change at once (oneWritePerChangePatch) does that already; then this patch is not asked (a
    // patch first asked here can land after a local activity's result: see decideClockPatches).
    const together = this.together || patched(milestoneWritesTogetherPatch);
    const inTurn = async (writes: (() => Promise<void>)[]) => {
      if (together) await Promise.all(writes.map((w) => w()));
      else for (const w of writes) await w();
    };
    for (const { clock, milestone } of dueMilestones(this.clocks, now)) {
      milestone.done = true;
      const data = { clock: clock.id, kind: clock.kind, ...(clock.taskId ? { taskId: clock.taskId } : {}), dueAt: clock.dueAt };
      if (milestone.kind === 'breach') {
        clock.breachedAt = this.now();
        await inTurn([
          () => this.record('commitment.breached', system, data),
          // 督办: the subdistrict's supervisors are urged.
          () => this.notify(this.supervisors(), 'commitment.breached', data),
          () => this.notify(clock.assignee, 'commitment.breached', data),
        ]);
        if (clock.kind === 'resolution' && this.state.rules?.escalateOnBreach) await this.proposeEscalation(clock);
      } else {
        const percent = milestone.kind === 'warning-50' ? 50 : 75;
        await inTurn([
          () => this.record('commitment.warning', system, { ...data, percent }),
          () => this.notify(clock.assignee, 'commitment.warning', { ...data, percent }),
        ]);
      }
    }
    this.clocksChanged();
  }

  /** Hook for the whistle: a breach of a class that says so proposes an escalation to departments. */
  private async proposeEscalation(clock: Clock): Promise<void> {
    const escalations = (this.state.escalations ??= []);
    const id = `E${escalations.length + 1}`;
    escalations.push({ id, status: 'proposed', reason: `${clock.id} deadline ${clock.dueAt} breached`, at: this.now() });
    await this.record('escalation.proposed', system, { escalationId: id, clock: clock.id });
    await this.notify(this.supervisors(), 'escalation.proposed', { escalationId: id });
  }

  /* ---------- the end ---------- */

  async finish(): Promise<CaseState> {
    await this.exclusive(async () => {
      const now = this.now();
      for (const c of this.clocks) {
        if (c.status === 'running' || c.status === 'paused') {
          c.status = 'cancelled';
          c.metAt = now;
          delete c.runningSince;
        }
      }
      const from = this.state.stage;
      this.state.stage = 'closed';
      await this.record('stage.entered', system, { stage: 'closed', from, resolution: this.resolution() });
    });
    this.finished = true;
    this.clocksChanged();
    await condition(() => allHandlersFinished() && this.written());
    return this.state;
  }
}
