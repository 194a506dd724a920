import { condition, setHandler } from '@temporalio/workflow';
import {
  type Acceptance,
  acceptUpdate,
  calendarChangedSignal,
  type CaseState,
  caseStateQuery,
  type Closure,
  closeUpdate,
  completeTaskUpdate,
  type DeadlineExtension,
  type Diagnosis,
  diagnoseUpdate,
  type Evaluation,
  evaluateUpdate,
  openedUpdate,
  extendDeadlineUpdate,
  type Pause,
  pauseUpdate,
  type PlanInput,
  planUpdate,
  type RepeatDemand,
  repeatDemandUpdate,
  type Resume,
  resumeUpdate,
  type Task,
  type TaskCompletion,
  type TransferTarget,
} from './messages';
import type { Actor, Command } from '../shared/messages';
import {
  checkAcceptance,
  checkClosure,
  checkDiagnosis,
  checkEvaluation,
  checkExtension,
  checkExtensionReach,
  checkPause,
  checkPlan,
  checkPlanReach,
  checkRepeat,
  checkResume,
  checkTaskCompletion,
  currentClock,
} from './rules';
import { missingDocuments } from './facts';
import type { CaseRun, CaseUpdates } from './run';
import { registerCasePartners } from './partners';
import { registerCaseWhistles } from './whistles';
import { registerCaseInterventions } from './interventions';
import { extendClock, pauseClock, recomputeClock, resumeClock, startClock, stopClock } from '../shared/clocks';
import { updateRegistrar } from '../shared/updates';

/**
 * The case's messages. Every update is checked twice against the rules (case-rules.ts): by its
 * validator, so a refused change never enters the history, and again when its turn comes, since a
 * queued change meets the state as it is then. It answers once the steps have reacted.
 */
export function registerHandlers(c: CaseRun): void {
  setHandler(caseStateQuery, () => c.state);
  // The API's update-with-start: answers once the opening is on record.
  setHandler(openedUpdate, async () => {
    await condition(() => c.opened && c.written());
    return c.state;
  });

  // Every update of the case (here, in whistles.ts and partners.ts) answers with the case once settled.
  const register: CaseUpdates = updateRegistrar(c, (fn) => c.onMessage(fn), () => c.settled());

  register(acceptUpdate, checkAcceptance, accept);
  register(diagnoseUpdate, checkDiagnosis, diagnose);
  register(planUpdate, (s, p) => checkPlan(s, p, Date.now()), plan, checkPlanReach);
  register(completeTaskUpdate, checkTaskCompletion, completeTask);
  register(pauseUpdate, checkPause, (c, p: Command<Pause>) => pause(c, p.actor, p.reason));
  register(resumeUpdate, checkResume, resume);
  register(closeUpdate, checkClosure, close);
  register(evaluateUpdate, checkEvaluation, evaluate);
  register(extendDeadlineUpdate, checkExtension, extend, checkExtensionReach);
  register(repeatDemandUpdate, checkRepeat, repeat);

  setHandler(calendarChangedSignal, ({ years }) => c.onMessage(() => recompute(c, years)));
  registerCaseWhistles(c, register);
  registerCasePartners(c, register, completeTask);
  registerCaseInterventions(c, register);
}

/** The command without its actor: what the state keeps, stamped with who and when. */
function stamped<T extends { actor: Actor }>(c: CaseRun, cmd: T): Omit<T, 'actor'> & { by: string; at: string } {
  const { actor, ...rest } = cmd;
  return { ...rest, by: actor.id, at: c.now() };
}

function transferRecipient(t: TransferTarget) {
  return t.kind === 'department' && t.id ? { kind: 'department' as const, id: t.id } : { kind: 'agency' as const, id: t.name };
}

/* ---------- 1. accept ---------- */

async function accept(c: CaseRun, a: Command<Acceptance>): Promise<void> {
  const s = c.state;
  s.acceptance = stamped(c, a);
  s.documents = [...new Set([...(s.documents ?? []), ...a.documents])];
  const response = c.clocks.find((k) => k.kind === 'response');
  if (response) stopClock(response, c.now(), 'met');
  await c.record('case.accepted', a.actor, { decision: a.decision, documents: a.documents, transferTo: a.transferTo, note: a.note });
  c.clocksChanged();
  if (a.decision === 'transfer' && a.transferTo) {
    // 转办: out of scope. The receiver is told; the case closes as transferred and stays traceable.
    s.closure = { resolution: 'transferred', transferTo: a.transferTo, reason: a.note, by: a.actor.id, at: c.now() };
    await c.notify(transferRecipient(a.transferTo), 'case.transferred', { serviceCode: s.serviceCode, demand: s.demand, note: a.note });
    return;
  }
  const missing = missingDocuments(s);
  if (a.decision === 'accept' && missing.length > 0) await pause(c, a.actor, `awaiting documents: ${missing.join(', ')}`);
}

/* ---------- 2. diagnose ---------- */

async function diagnose(c: CaseRun, d: Command<Diagnosis>): Promise<void> {
  c.state.diagnosis = stamped(c, d);
  await c.record('case.diagnosed', d.actor, { findings: d.findings, causes: d.causes, resources: d.resources, homeVisit: d.homeVisit });
}

/* ---------- 3. plan (and its revisions) ---------- */

async function plan(c: CaseRun, p: Command<PlanInput>): Promise<void> {
  const s = c.state;
  const tasks = (s.tasks ??= []);
  const plans = (s.plans ??= []);
  const revision = plans.length + 1;
  const now = c.now();
  const listed = new Set<string>();
  const assigned: Task[] = [];

  for (const t of p.tasks) {
    const existing = t.id === undefined ? undefined : tasks.find((x) => x.id === t.id);
    if (existing) {
      listed.add(existing.id);
      if (existing.status !== 'open') continue;
      const moved = existing.dueAt !== t.dueAt || existing.assignee.kind !== t.assignee.kind || existing.assignee.id !== t.assignee.id;
      Object.assign(existing, { title: t.title, assignee: t.assignee, dueAt: t.dueAt });
      if (moved) {
        const old = currentClock(s, `task:${existing.id}`);
        if (old) stopClock(old, now, 'cancelled');
        assigned.push(existing);
      }
    } else {
      const task: Task = { id: `T${tasks.length + 1}`, title: t.title, assignee: t.assignee, dueAt: t.dueAt, status: 'open', revision };
      tasks.push(task);
      listed.add(task.id);
      assigned.push(task);
    }
  }
  // Open tasks a revision leaves out are cancelled; done ones stay as they were.
  for (const t of tasks) {
    if (t.status === 'open' && !listed.has(t.id)) {
      t.status = 'cancelled';
      const clock = currentClock(s, `task:${t.id}`);
      if (clock) stopClock(clock, now, 'cancelled');
    }
  }
  const clocks = await Promise.all(
    assigned.map((t) =>
      startClock({ id: `task:${t.id}`, kind: 'task', taskId: t.id, unit: 'minutes', budgetMs: Date.parse(t.dueAt) - Date.parse(now), from: now, assignee: t.assignee, paused: s.paused !== undefined }),
    ),
  );
  c.clocks.push(...clocks);
  plans.push({ revision, goals: p.goals, taskIds: [...listed], ...(p.reason ? { reason: p.reason } : {}), by: p.actor.id, at: now });
  s.awaitingRevision = false;
  await c.record(revision === 1 ? 'plan.adopted' : 'plan.revised', p.actor, {
    revision,
    goals: p.goals,
    reason: p.reason,
    tasks: tasks.filter((t) => listed.has(t.id)).map(({ id, title, assignee, dueAt, status }) => ({ id, title, assignee, dueAt, status })),
  });
  // Whoever carries a task hears of it: partners through their channel, departments, staff.
  for (const t of assigned) await c.notify(t.assignee, 'task.assigned', { taskId: t.id, title: t.title, dueAt: t.dueAt, serviceCode: s.serviceCode });
  c.clocksChanged();
}

/* ---------- 4. execute ---------- */

export async function completeTask(c: CaseRun, t: Command<TaskCompletion>): Promise<void> {
  const task = c.state.tasks!.find((x) => x.id === t.taskId)!;
  Object.assign(task, { status: 'completed', outcome: t.outcome, completedAt: c.now(), completedBy: t.actor.id }, t.note ? { note: t.note } : {});
  const clock = currentClock(c.state, `task:${task.id}`);
  if (clock) stopClock(clock, c.now(), 'met');
  await c.record('task.completed', t.actor, { taskId: task.id, outcome: t.outcome, note: t.note });
  c.clocksChanged();
}

/* ---------- clocks: waiting on the resident, extensions, a new calendar ---------- */

async function pause(c: CaseRun, actor: Actor, reason: string): Promise<void> {
  const now = c.now();
  for (const clock of c.clocks) await pauseClock(clock, now);
  c.state.paused = { reason, since: now, by: actor.id };
  await c.record('case.paused', actor, { reason });
  c.clocksChanged();
}

async function resume(c: CaseRun, r: Command<Resume>): Promise<void> {
  const s = c.state;
  const now = c.now();
  s.documents = [...new Set([...(s.documents ?? []), ...(r.documents ?? [])])];
  for (const clock of c.clocks) {
    await resumeClock(clock, now);
    const task = clock.kind === 'task' && clock.status === 'running' ? s.tasks?.find((t) => t.id === clock.taskId) : undefined;
    if (task) task.dueAt = clock.dueAt;
  }
  const pausedMs = Date.parse(now) - Date.parse(s.paused!.since);
  delete s.paused;
  await c.record('case.resumed', r.actor, { documents: r.documents, note: r.note, pausedMs });
  c.clocksChanged();
}

async function extend(c: CaseRun, x: Command<DeadlineExtension>): Promise<void> {
  const clock = currentClock(c.state, x.clock)!;
  const from = clock.dueAt;
  await extendClock(clock, x.newDueAt, c.now(), { from, to: x.newDueAt, reason: x.reason, by: x.actor.id, at: c.now() }, c.state.paused?.since);
  const task = clock.kind === 'task' ? c.state.tasks?.find((t) => t.id === clock.taskId) : undefined;
  if (task) task.dueAt = clock.dueAt;
  await c.record('commitment.extended', x.actor, { clock: x.clock, from, to: clock.dueAt, reason: x.reason });
  await c.notify(clock.assignee, 'commitment.extended', { clock: x.clock, from, to: clock.dueAt });
  c.clocksChanged();
}

async function recompute(c: CaseRun, years: number[]): Promise<void> {
  const changed = [];
  for (const clock of c.clocks) if (await recomputeClock(clock)) changed.push({ id: clock.id, dueAt: clock.dueAt, provisional: clock.provisional });
  if (changed.length === 0) return;
  await c.record('commitments.recomputed', { id: 'calendar', role: 'system' }, { years, commitments: changed });
  c.clocksChanged();
}

/* ---------- 6. close ---------- */

async function close(c: CaseRun, cl: Command<Closure>): Promise<void> {
  const s = c.state;
  const now = c.now();
  for (const t of s.tasks ?? []) if (t.status === 'open') t.status = 'cancelled';
  for (const clock of c.clocks) stopClock(clock, now, clock.kind === 'resolution' ? 'met' : 'cancelled');
  delete s.paused;
  const certificateNo =
    cl.resolution === 'resolved' && s.catalogue?.issuesCertificate ? (cl.certificateNo ?? `${s.caseId}-C${(s.reopenings?.length ?? 0) + 1}`) : undefined;
  s.closure = { ...stamped(c, cl), ...(certificateNo ? { certificateNo } : {}) };
  await c.record('case.closed', cl.actor, { resolution: cl.resolution, summary: cl.summary, reason: cl.reason, certificateNo, transferTo: cl.transferTo });
  // Feedback to the resident closes the resolution commitment (办结反馈).
  await c.notify({ kind: 'resident', id: s.caseId }, 'case.result', { resolution: cl.resolution, summary: cl.summary, certificateNo });
  if (cl.transferTo) await c.notify(transferRecipient(cl.transferTo), 'case.transferred', { serviceCode: s.serviceCode, demand: s.demand, note: cl.reason });
  c.clocksChanged();
}

async function evaluate(c: CaseRun, e: Command<Evaluation>): Promise<void> {
  c.state.evaluation = stamped(c, e);
  await c.record('case.evaluated', e.actor, { rating: e.rating, via: e.via, comment: e.comment });
}

/* ---------- repeated demands (12345's repeat rule) ---------- */

async function repeat(c: CaseRun, r: Command<RepeatDemand>): Promise<void> {
  const s = c.state;
  (s.repeats ??= []).push({ demand: r.demand, channel: r.channel, receivedAt: r.receivedAt, by: r.actor.id });
  await c.record('demand.repeated', r.actor, { demand: r.demand, channel: r.channel });
  const progress = c.projection();
  await c.notify({ kind: 'resident', id: s.caseId }, 'case.progress', { stage: progress.stage, nextDueAt: progress.nextDueAt, overdue: progress.overdue });
}
