import { condition, setHandler } from '@temporalio/workflow';
import { pauseClock, resumeClock } from '../shared/clocks';
import {
  checkInUpdate,
  closeWhistleUpdate,
  decideUpdate,
  type DecisionInput,
  type DepartmentCommand,
  type DisputeInput,
  disputeUpdate,
  type FeedbackInput,
  feedbackUpdate,
  type RatingInput,
  rateUpdate,
  type ReportInput,
  reportUpdate,
  type WhistleClosure,
  type WhistleState,
  whistleOpenedUpdate,
  whistleStateQuery,
} from './messages';
import { callOf, checkCheckIn, checkClosure, checkDecision, checkDispute, checkFeedback, checkRating, checkReport } from './rules';
import type { WhistleRun } from './run';
import { updateRegistrar } from '../shared/updates';
import type { Command } from '../shared/messages';

/**
 * The whistle's messages. Each update is checked by its validator (a refused one never enters the
 * history) and again when its turn comes; it answers with the whistle as it then stands.
 */
export function registerWhistleHandlers(w: WhistleRun): void {
  setHandler(whistleStateQuery, () => w.state);
  setHandler(whistleOpenedUpdate, async () => {
    await condition(() => w.opened);
    return w.state;
  });

  // Changes wait until every department is called (`change`); each answers with the whistle as it then stands.
  const register = updateRegistrar<WhistleState, WhistleRun>(w, (fn) => w.change(fn), () => w.state);

  register(checkInUpdate, checkCheckIn, checkIn);
  register(disputeUpdate, checkDispute, dispute);
  register(reportUpdate, checkReport, report);
  register(decideUpdate, checkDecision, decide);
  register(closeWhistleUpdate, checkClosure, close);
  register(rateUpdate, checkRating, rate);
  register(feedbackUpdate, checkFeedback, feedback);
}

/* ---------- the departments' answers ---------- */

async function checkIn(w: WhistleRun, cmd: DepartmentCommand): Promise<void> {
  const call = callOf(w.state, cmd.departmentId)!;
  if (call.checkedInAt) return; // checked in already: the first check-in stands
  call.checkedInAt = w.now();
  call.checkedInBy = cmd.actor.id;
  call.status = 'checked-in';
  w.stopClocks(call.departmentId, 'met', ['check-in']);
  const lateBy = Date.parse(call.checkedInAt) - Date.parse(call.checkInDueAt);
  await w.record('whistle.checked-in', cmd.actor, { departmentId: call.departmentId, onTime: lateBy <= 0 });
}

/** 派单异议: "not ours". The department's clocks pause while the supervisor decides. */
async function dispute(w: WhistleRun, cmd: DepartmentCommand<DisputeInput>): Promise<void> {
  const call = callOf(w.state, cmd.departmentId)!;
  const now = w.now();
  call.disputes.push({ reason: cmd.reason, at: now, by: cmd.actor.id });
  call.status = 'disputed';
  for (const c of w.state.clocks.filter((k) => k.departmentId === call.departmentId)) await pauseClock(c, now);
  w.clocksChanged();
  await w.record('whistle.disputed', cmd.actor, { departmentId: call.departmentId, reason: cmd.reason });
  await w.notify(w.supervisors(), 'whistle.disputed', { departmentId: call.departmentId });
}

/** Co-handlers report to the lead; the lead's report, once they all have, completes the whistle. */
async function report(w: WhistleRun, cmd: DepartmentCommand<ReportInput>): Promise<void> {
  const s = w.state;
  const call = callOf(s, cmd.departmentId)!;
  const at = w.now();
  const onTime = Date.parse(at) <= Date.parse(call.reportDueAt);
  call.report = { outcome: cmd.outcome, note: cmd.note, at, by: cmd.actor.id, onTime };
  call.status = 'reported';
  w.stopClocks(call.departmentId, 'met', ['report']);
  await w.record('whistle.reported', cmd.actor, { departmentId: call.departmentId, role: call.role, outcome: cmd.outcome, note: cmd.note, onTime });
  if (call.role === 'co-handler') await w.notify({ kind: 'department', id: s.lead }, 'whistle.co-handler-reported', { departmentId: call.departmentId, outcome: cmd.outcome });
  await w.completeIfAllReported(cmd.actor);
}

/* ---------- the supervisor ---------- */

/** Release a department, replace it with another, or insist that the whistle is for it. */
async function decide(w: WhistleRun, cmd: Command<DecisionInput>): Promise<void> {
  const s = w.state;
  const call = callOf(s, cmd.departmentId)!;
  const now = w.now();
  const pending = call.disputes.at(-1);
  if (call.status === 'disputed' && pending && !pending.decision) Object.assign(pending, { decision: cmd.decision, decidedAt: now, decidedBy: cmd.actor.id, note: cmd.note });
  const data = { departmentId: call.departmentId, decision: cmd.decision, note: cmd.note, replacement: cmd.replacement, newLead: cmd.newLead };

  if (cmd.decision === 'insist') {
    call.status = call.checkedInAt ? 'checked-in' : 'awaiting-check-in';
    for (const c of s.clocks.filter((k) => k.departmentId === call.departmentId)) {
      await resumeClock(c, now);
      if (c.kind === 'check-in' && c.status === 'running') call.checkInDueAt = c.dueAt;
      if (c.kind === 'report' && c.status === 'running') call.reportDueAt = c.dueAt;
    }
    w.clocksChanged();
    await w.record('whistle.decided', cmd.actor, data);
    await w.notify({ kind: 'department', id: call.departmentId }, 'whistle.dispute-refused', { checkInDueAt: call.checkInDueAt, reportDueAt: call.reportDueAt });
    return;
  }

  call.status = 'released';
  call.releasedAt = now;
  w.stopClocks(call.departmentId, 'cancelled');
  if (cmd.decision === 'replace') call.replacedBy = cmd.replacement;
  const wasLead = s.lead === call.departmentId;
  if (wasLead) s.lead = cmd.decision === 'replace' ? cmd.replacement! : cmd.newLead!;
  const newLead = callOf(s, s.lead);
  if (newLead) newLead.role = 'lead';
  await w.record('whistle.decided', cmd.actor, data);
  await w.notify({ kind: 'department', id: call.departmentId }, 'whistle.released', { replacedBy: cmd.replacement });
  if (cmd.decision === 'replace') await w.call(cmd.replacement!, { replaces: call.departmentId }, cmd.actor);
  else if (wasLead) await w.notify({ kind: 'department', id: s.lead }, 'whistle.lead-assigned', {});
  await w.completeIfAllReported(cmd.actor);
}

/** The supervisor closes the whistle with a reason, whoever has not reported. */
async function close(w: WhistleRun, cmd: Command<WhistleClosure>): Promise<void> {
  await w.complete({ outcome: 'closed', note: cmd.reason, at: w.now(), by: cmd.actor.id }, cmd.actor);
}

/* ---------- two-way assessment ---------- */

async function rate(w: WhistleRun, cmd: Command<RatingInput>): Promise<void> {
  const call = callOf(w.state, cmd.departmentId)!;
  call.rating = { score: cmd.score, ...(cmd.comment ? { comment: cmd.comment } : {}), at: w.now(), by: cmd.actor.id };
  await w.record('whistle.rated', cmd.actor, { direction: 'station-rates-department', departmentId: call.departmentId, score: cmd.score, comment: cmd.comment });
}

async function feedback(w: WhistleRun, cmd: DepartmentCommand<FeedbackInput>): Promise<void> {
  const call = callOf(w.state, cmd.departmentId)!;
  call.feedback = { score: cmd.score, ...(cmd.comment ? { comment: cmd.comment } : {}), at: w.now(), by: cmd.actor.id };
  await w.record('whistle.rated', cmd.actor, { direction: 'department-rates-whistle', departmentId: call.departmentId, score: cmd.score, comment: cmd.comment });
}
