/**
 * Supervision's contract: why a case is stuck, whose move it is, and the thresholds that decide it
 * (README "Supervision"). The stuck query (stuck.ts) finds the reasons; this file names and words them.
 */

export const stuckReasons = [
  /** A commitment passed its deadline: which, by how much, whose. */
  'overdue',
  /** A whistle's department did not check in by its deadline. */
  'check-in-missed',
  /** A department checked in but has not reported by its deadline. */
  'report-overdue',
  /** A notice reached no channel of its partner or department (a dead letter). */
  'partner-unreachable',
  /** An activity of the case (or of its whistles, deliveries) failed attempt after attempt. */
  'activity-retrying',
  /** The worker cannot make progress on the case's workflow (its workflow task keeps failing). */
  'workflow-task-failing',
  /** Open, and no action by a person for longer than its deadline class allows. */
  'idle',
  /** Paused for the resident longer than the threshold. */
  'awaiting-resident',
  /** Closed, and the resident's evaluation not collected by the call-back time. */
  'call-back-due',
] as const;
export type StuckReason = (typeof stuckReasons)[number];

/** Who holds a case up: staff (its owner), a partner, a department, the resident, or the service's operators. */
export const partyKinds = ['staff', 'partner', 'department', 'resident', 'agency', 'operator'] as const;
export type PartyKind = (typeof partyKinds)[number];

export interface Party {
  kind: PartyKind;
  /** Absent for the resident (never named here) and the operators. */
  id?: string;
  /** The department's or partner's name from the master data. */
  name?: string;
}

/** What decides "stuck" where a deadline does not (README "Configuration"). */
export interface StuckThresholds {
  /** Idle after this long without progress, for deadline classes without their own idle_after_hours. */
  idleAfterMs: number;
  /** A pause for the resident longer than this is stuck. */
  awaitingResidentAfterMs: number;
  /** An activity failing this many attempts in a row is stuck. */
  activityAttempts: number;
  /** A workflow task failing this many attempts in a row is stuck. */
  workflowTaskAttempts: number;
}

export const defaultThresholds: StuckThresholds = {
  idleAfterMs: 2 * 86_400_000,
  awaitingResidentAfterMs: 7 * 86_400_000,
  activityAttempts: 3,
  workflowTaskAttempts: 2,
};

/** One reason a case is stuck, as the stuck query finds it. */
export interface FoundReason {
  reason: StuckReason;
  /** When the reason began: the deadline passed, the last progress, the pause, the first failure. */
  since: Date;
  party: Party;
  /** The reason's particulars: the commitment, the whistle, the notice, the activity. */
  detail: Record<string, unknown>;
}

/** "3 d 4 h", "25 min", "40 s": an age in the two largest units. */
export function ageInWords(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  const units: [string, number][] = [
    ['d', 86_400],
    ['h', 3_600],
    ['min', 60],
    ['s', 1],
  ];
  const parts: string[] = [];
  let rest = s;
  for (const [name, size] of units) {
    const n = Math.floor(rest / size);
    rest -= n * size;
    if (n > 0 || parts.length > 0) parts.push(`${n} ${name}`);
  }
  const shown = parts.slice(0, 2).filter((p, i) => i === 0 || !p.startsWith('0 '));
  return shown.length ? shown.join(' ') : '0 s';
}

const shanghai = new Intl.DateTimeFormat('en-CA', {
  timeZone: 'Asia/Shanghai',
  year: 'numeric',
  month: '2-digit',
  day: '2-digit',
  hour: '2-digit',
  minute: '2-digit',
  hourCycle: 'h23',
});
/** 2026-11-20 17:00 (Asia/Shanghai), as the station reads a time. */
export const localTime = (d: Date) => shanghai.format(d).replace(',', '');

export function partyInWords(p: Party): string {
  switch (p.kind) {
    case 'resident':
      return 'the resident';
    case 'operator':
      return "the service's operators";
    case 'staff':
      return `staff member ${p.id}`;
    default:
      return `${p.kind} ${p.name ?? p.id}${p.name && p.id ? ` (${p.id})` : ''}`;
  }
}

const commitmentWords = (clock: unknown) => {
  const c = String(clock ?? 'a');
  return c.startsWith('task:') ? `task ${c.slice(5)}'s commitment` : `the ${c} commitment`;
};

/** The reason in words a supervisor reads: what, since when, whose move. */
export function reasonInWords(r: FoundReason, now: Date): string {
  const age = ageInWords(now.getTime() - r.since.getTime());
  const whose = partyInWords(r.party);
  const d = r.detail;
  switch (r.reason) {
    case 'overdue':
      return `${commitmentWords(d.commitment)} passed its deadline ${localTime(r.since)} (Asia/Shanghai) ${age} ago; ${whose} owes it`;
    case 'check-in-missed':
      return `${whose} was called by whistle ${String(d.whistleId)} and has not checked in; the check-in was due ${age} ago`;
    case 'report-overdue':
      return `${whose} checked in on whistle ${String(d.whistleId)} but has not reported; the report was due ${age} ago`;
    case 'partner-unreachable':
      return `a ${String(d.kind)} notice reached no channel of ${whose}; given up ${age} ago`;
    case 'activity-retrying':
      return `the ${String(d.activityType)} step has failed ${String(d.attempt)} attempts in a row since ${age} ago: ${String(d.lastFailure)}`;
    case 'workflow-task-failing':
      return `the worker cannot make progress on the case: its workflow task has failed ${String(d.attempt)} attempts${d.lastFailure ? `: ${String(d.lastFailure)}` : ''}`;
    case 'idle':
      return `no progress for ${age} in stage ${String(d.stage)} (the ${String(d.deadlineClass)} class allows ${ageInWords(Number(d.idleAfterMs))}); ${whose} owns the case`;
    case 'awaiting-resident':
      return `paused, waiting for the resident, for ${age}; ${partyInWords({ kind: 'staff', id: String(d.owner) })} follows up`;
    case 'call-back-due':
      return `closed, and the resident's evaluation is not in: the call-back was due ${age} ago; ${whose} calls back`;
  }
}
