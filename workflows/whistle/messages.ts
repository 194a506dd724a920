import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { Stage } from '../case/messages';
import type { Actor, Clock, Command, GoalUnit, ProjectionFailure } from '../shared/messages';

/**
 * Messages of the whistle workflow ("Subdistrict Initiates, Departments Check In", 街乡吹哨、部门报到)
 * and the shapes they carry, shared by the case workflow, the whistle workflow, the API and the tests.
 */

/** Why a whistle is blown: a prominent resident problem, joint law enforcement, an emergency. */
export const whistleReasons = ['prominent-problem', 'joint-enforcement', 'emergency'] as const;
export type WhistleReason = (typeof whistleReasons)[number];

/** The check-in and report commitments of one urgency (their goals), as configured in `whistle_urgencies` when the whistle was blown. */
export interface WhistleRules {
  urgency: string;
  checkInGoal: number;
  checkInUnit: GoalUnit;
  reportGoal: number;
  reportUnit: GoalUnit;
  /** How long after completion the station and the departments may still rate (hours). */
  ratingWindowHours: number;
}

/** What the case hands its whistle when it blows it (the API fills the rules and the subdistrict). */
export interface WhistleInput {
  whistleId: string;
  caseId: string;
  stationId: string;
  subdistrictId: string;
  /** Who blew the whistle, and when (wire names kept: they are in recorded histories and the read model). */
  initiatedBy: Actor;
  initiatedAt: string;
  reason: WhistleReason;
  /** What the departments are told: the matter in the words of whoever blew the whistle, without the resident's identity. */
  summary: string;
  /** Where to go, when the departments need it (e.g. "Building 5, north gate"). */
  location?: string;
  serviceCode: string;
  category: string;
  /** Every department called (one-to-one or one-to-many); the lead is one of them. */
  departments: string[];
  /** 首接负责: the department that owns the outcome; co-handlers report to it. */
  lead: string;
  rules: WhistleRules;
}

/** What a case workflow is asked for when a whistle is blown from it. */
export interface WhistleRequest {
  reason: WhistleReason;
  summary: string;
  location?: string;
  departments: string[];
  lead: string;
  /** A proposed escalation (from a breached commitment) that this whistle answers. */
  escalationId?: string;
  subdistrictId: string;
  rules: WhistleRules;
}

export const reportOutcomes = ['done', 'partly-done', 'cannot'] as const;
export type ReportOutcome = (typeof reportOutcomes)[number];

export const disputeDecisions = ['release', 'replace', 'insist'] as const;
export type DisputeDecision = (typeof disputeDecisions)[number];

/** Where a called department stands. */
export type CallStatus = 'awaiting-check-in' | 'checked-in' | 'disputed' | 'reported' | 'released';

/** One department called by a whistle: its duty, its answers and what the assessment counts. */
export interface DepartmentCall {
  departmentId: string;
  role: 'lead' | 'co-handler';
  status: CallStatus;
  calledAt: string;
  checkInDueAt: string;
  reportDueAt: string;
  checkedInAt?: string;
  checkedInBy?: string;
  /** Missed check-in deadlines (a new deadline after an insisted dispute can be missed again). */
  missedCheckIns: number;
  disputes: { reason: string; at: string; by: string; decision?: DisputeDecision; decidedAt?: string; decidedBy?: string; note?: string }[];
  report?: { outcome: ReportOutcome; note: string; at: string; by: string; onTime: boolean };
  /** The station's rating of the department's response. */
  rating?: { score: number; comment?: string; at: string; by: string };
  /** The department's rating of the whistle (the subdistrict's side of the two-way assessment). */
  feedback?: { score: number; comment?: string; at: string; by: string };
  releasedAt?: string;
  /** The department that took over this call (replace). */
  replacedBy?: string;
  /** The department this call took over from. */
  replaces?: string;
}

export type WhistleStatus = 'open' | 'completed' | 'finished';

export interface WhistleOutcome {
  /** The lead's reported outcome, or `closed` when the supervisor closed the whistle. */
  outcome: ReportOutcome | 'closed';
  note: string;
  at: string;
  by: string;
}

export interface WhistleState extends Omit<WhistleInput, 'departments' | 'lead'> {
  status: WhistleStatus;
  lead: string;
  calls: DepartmentCall[];
  clocks: Clock[];
  completion?: WhistleOutcome;
  /** The whistle's own sequence of timeline events. */
  seq: number;
  recorded: boolean;
  /** Timeline writes the database refused for good; a `timeline.write-failed` marker stands for each. */
  projectionFailures?: ProjectionFailure[];
}

/* ---------- the read model, as the whistle's projection activities write it ---------- */

/** Where a call stands in a department's inbox (mirrors db/schema whistleInboxStates; workflow code cannot import the schema). */
export type WhistleInboxState = 'awaiting-check-in' | 'in-progress' | 'done';

/** One called department as the read model keeps it (see db/schema whistleCalls). */
export interface CallProjection {
  departmentId: string;
  role: 'lead' | 'co-handler';
  status: string;
  state: WhistleInboxState;
  dueAt: string | null;
  calledAt: string;
  checkInDueAt: string;
  reportDueAt: string;
  checkedInAt: string | null;
  checkInLatencySeconds: number | null;
  missedCheckIns: number;
  disputes: number;
  disputeDecision: string | null;
  reportOutcome: string | null;
  reportedAt: string | null;
  reportOnTime: boolean | null;
  rating: number | null;
  ratingComment: string | null;
  feedback: number | null;
  feedbackComment: string | null;
  releasedAt: string | null;
  replacedBy: string | null;
  replaces: string | null;
}

/** The whistle row's progress columns and its calls, as the workflow sees them after an event. */
export interface WhistleProjection {
  status: string;
  state: WhistleInboxState;
  lead: string;
  awaitingDepartments: string[];
  nextDueAt: string | null;
  overdue: boolean;
  outcome: string | null;
  outcomeNote: string | null;
  completedAt: string | null;
  calls: CallProjection[];
}

/* ---------- messages ---------- */

/** Commands acted on by a department name the department from the caller's token. */
export type DepartmentCommand<T = object> = T & { actor: Actor; departmentId: string };

export interface DisputeInput {
  reason: string;
}
export interface ReportInput {
  outcome: ReportOutcome;
  note: string;
}
export interface DecisionInput {
  departmentId: string;
  decision: DisputeDecision;
  /** The department that takes over (replace). */
  replacement?: string;
  /** Who leads from now on, when the lead is released. */
  newLead?: string;
  note?: string;
}
export interface WhistleClosure {
  reason: string;
}
export interface RatingInput {
  departmentId: string;
  score: number;
  comment?: string;
}
export interface FeedbackInput {
  score: number;
  comment?: string;
}

/** The answer to blowing a whistle from a case. */
export interface WhistleBlown {
  whistleId: string;
  escalationId: string;
  stage: Stage;
}

/** Sent to the case workflow: it starts the whistle as its child and records it in the case. */
export const blowWhistleUpdate = defineUpdate<WhistleBlown, [Command<WhistleRequest>]>('blowWhistle');

export const whistleStateQuery = defineQuery<WhistleState>('whistleState');

/** Answers once every department is called and on record: the API asks it before its 201, so departments can act at once. */
export const whistleOpenedUpdate = defineUpdate<WhistleState>('opened');
export const checkInUpdate = defineUpdate<WhistleState, [DepartmentCommand]>('checkIn');
export const disputeUpdate = defineUpdate<WhistleState, [DepartmentCommand<DisputeInput>]>('dispute');
export const reportUpdate = defineUpdate<WhistleState, [DepartmentCommand<ReportInput>]>('report');
export const feedbackUpdate = defineUpdate<WhistleState, [DepartmentCommand<FeedbackInput>]>('feedback');
export const decideUpdate = defineUpdate<WhistleState, [Command<DecisionInput>]>('decide');
export const closeWhistleUpdate = defineUpdate<WhistleState, [Command<WhistleClosure>]>('closeWhistle');
export const rateUpdate = defineUpdate<WhistleState, [Command<RatingInput>]>('rate');

/** Sent by a whistle to its case when it completes: the case's coordinate step moves on with the outcome. */
export const whistleCompletedSignal = defineSignal<[{ whistleId: string } & WhistleOutcome]>('whistleCompleted');

/** Why a whistle update is refused; the API maps them to problem+json statuses. */
export const whistleRejections = {
  /** Not allowed in the whistle's or the call's current state → 409. */
  conflict: 'WhistleConflict',
  /** The request breaks a rule of the whistle → 422. */
  invalid: 'WhistleInvalid',
  /** The department is not called by this whistle → 403. */
  notCalled: 'DepartmentNotCalled',
} as const;
