import type { CaseState, Escalation, Task } from './messages';

/**
 * What a case is waiting on, in words and as parties: for the diagnostics view, and for the workflow's
 * current details (what the Temporal UI shows beside the workflow). Pure, no SDK imports: the workflow and
 * the API both call it.
 *
 * The words carry no personal data: never the resident's name, phone or address, the demand, task titles,
 * notes, reasons or summaries (free text that may quote the resident) — only stages, ids of staff, partners,
 * departments, tasks and whistles, enums and instants.
 */

export const waitingPartyKinds = ['staff', 'partner', 'department', 'resident', 'supervisor', 'nobody'] as const;
export type WaitingPartyKind = (typeof waitingPartyKinds)[number];
export interface WaitingParty {
  kind: WaitingPartyKind;
  id?: string;
}
export interface WaitingOn {
  words: string;
  on: WaitingParty[];
}

/** At most this many tasks are named one by one; the rest are counted. */
const namedTasks = 5;

/** An instant as words: ISO 8601 in UTC to the second. */
const instant = (iso: string): string => {
  const ms = Date.parse(iso);
  return Number.isFinite(ms) ? new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z') : 'an unknown time';
};

/** "due …", or "overdue since …" once the instant has passed. */
const due = (iso: string, now: number): string => (Date.parse(iso) < now ? `overdue since ${instant(iso)}` : `due ${instant(iso)}`);

const taskWords = (t: Task, now: number) => `task ${t.id} (${t.assignee.kind} ${t.assignee.id}, ${due(t.dueAt, now)})`;

function tasksWords(tasks: Task[], now: number): string {
  const named = tasks.slice(0, namedTasks).map((t) => taskWords(t, now));
  const more = tasks.length - named.length;
  return `Waiting on ${named.join(', ')}${more > 0 ? ` and ${more} more task${more === 1 ? '' : 's'}` : ''}`;
}

function whistleWords(e: Escalation): string {
  const called = e.departments ?? [];
  const others = called.filter((d) => d !== e.lead);
  const lead = e.lead ? `department ${e.lead} (lead)` : undefined;
  const rest = others.length ? `${others.length === 1 ? 'department' : 'departments'} ${others.join(', ')}` : undefined;
  const who = [lead, rest].filter(Boolean).join(' and ') || 'the departments called';
  return `Waiting for ${who} to check in and report on whistle ${e.whistleId ?? e.id}`;
}

/** The case's owner: the staff member who answers for it. */
const ownerOf = (s: CaseState) => s.owner ?? s.openedBy?.id;

/**
 * What the case waits on now (`now`: epoch milliseconds, for "overdue since" and "was due"): the words, and
 * the parties whose move it is (the resident never named; `nobody` once the case is over).
 */
export function waitingOn(state: CaseState, now: number): WaitingOn {
  const owner = ownerOf(state);
  const staff: WaitingParty = owner ? { kind: 'staff', id: owner } : { kind: 'staff' };
  const staffWords = owner ? `staff ${owner}` : 'the station staff';
  const parts: string[] = [];
  const on: WaitingParty[] = [];
  const add = (words: string, ...parties: WaitingParty[]) => {
    parts.push(words);
    for (const p of parties) if (!on.some((o) => o.kind === p.kind && o.id === p.id)) on.push(p);
  };

  if (state.withdrawal) {
    // Withdrawn or cancelled by a supervisor: over, whatever the stage (the reason is free text: only its kind).
    const w = state.withdrawal;
    const how = w.kind === 'resident-withdrew' ? 'Withdrawn by the resident' : `Cancelled (${w.kind}${w.duplicateOf ? ` of case ${w.duplicateOf}` : ''})`;
    return { words: `${how} ${instant(w.at)}; waiting on nobody`, on: [{ kind: 'nobody' }] };
  }
  if (state.stage === 'closed') {
    const resolution = state.closure?.resolution ?? (state.acceptance?.decision === 'transfer' ? 'transferred' : undefined);
    return { words: `Closed${resolution ? ` as ${resolution}` : ''}; waiting on nobody`, on: [{ kind: 'nobody' }] };
  }

  const open = (state.tasks ?? []).filter((t) => t.status === 'open');
  const whistles = (state.escalations ?? []).filter((e) => e.status === 'open');

  if (state.closure) {
    // Closed by staff; the resident's evaluation (or the call-back for it) is what remains.
    const rules = state.rules;
    const callBackDue = state.callBack?.dueAt ?? (rules ? new Date(Date.parse(state.closure.at) + rules.callBackAfterHours * 3_600_000).toISOString() : undefined);
    const callBack = callBackDue === undefined ? '' : Date.parse(callBackDue) <= now ? ` (call-back due since ${instant(callBackDue)}, by ${staffWords})` : ` (call-back due ${instant(callBackDue)})`;
    add(`Closed as ${state.closure.resolution}; waiting for the resident's evaluation${callBack}`, { kind: 'resident' });
    if (callBackDue !== undefined && Date.parse(callBackDue) <= now) on.push(staff);
  } else if (state.paused) {
    // The pause's reason is free text that may quote the resident: only since when.
    add(`Paused for the resident since ${instant(state.paused.since)}; ${staffWords} follows up`, { kind: 'resident' }, staff);
  } else {
    switch (state.stage) {
      case 'accept':
        add(`Waiting for ${staffWords} to accept the demand`, staff);
        break;
      case 'diagnose':
        add(`Waiting for ${staffWords} to diagnose the demand`, staff);
        break;
      case 'plan':
        add(`Waiting for the plan (${staffWords})`, staff);
        break;
      case 'execute': {
        const own = open.filter((t) => t.assignee.kind === 'staff');
        if (state.awaitingRevision) add(`Reopened; waiting for ${staffWords} to revise the plan`, staff);
        else if (own.length) add(tasksWords(own, now), ...own.map((t) => ({ kind: t.assignee.kind, id: t.assignee.id })));
        else add(`Waiting for the station's tasks to be done (${staffWords})`, staff);
        break;
      }
      case 'coordinate':
        if (open.length) add(tasksWords(open, now), ...open.map((t) => ({ kind: t.assignee.kind, id: t.assignee.id })));
        if (!open.length && !whistles.length) add(`Waiting to move on to closure (${staffWords})`, staff);
        break;
      case 'close':
        add(`Waiting for ${staffWords} to close the case`, staff);
        break;
    }
  }

  if (!state.closure) {
    // Whistles keep their departments at work whatever the stage; proposed escalations wait for a supervisor.
    for (const e of whistles) add(whistleWords(e), ...(e.departments ?? []).map((id) => ({ kind: 'department' as const, id })));
    for (const e of (state.escalations ?? []).filter((x) => x.status === 'proposed')) {
      add(`Escalation ${e.id} proposed ${instant(e.at)}; waiting for a supervisor to blow the whistle`, { kind: 'supervisor' });
    }
  }
  for (const u of state.unreachable ?? []) {
    add(`A ${u.kind} notice reached no channel of ${u.recipient.kind} ${u.recipient.id} since ${instant(u.since)}; waiting for a supervisor's retry`, { kind: 'supervisor' });
  }
  return { words: parts.join('. '), on };
}
