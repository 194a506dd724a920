import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { Actor, Assignee, Clock, Command, DeliveryReport, GoalUnit, ProjectionFailure } from '../shared/messages';

/**
 * Messages of the case workflow and the shapes they carry, shared by the workflow, the worker, the API
 * and the tests (what other workflows share too lives in ../shared/messages). Workflow code imports this file, so
 * it depends on @temporalio/workflow only.
 */

export const stages = ['accept', 'diagnose', 'plan', 'execute', 'coordinate', 'close', 'closed'] as const;
export type Stage = (typeof stages)[number];

/** The catalogue item as it stood when the case was opened: later catalogue edits do not change a running case. */
export interface CatalogueSnapshot {
  name: string;
  handlingMode: 'handle-now' | 'needs-documents';
  requiredDocuments: string[];
  needsHomeVisit: boolean;
  issuesCertificate: boolean;
}

/** The deadline class's rules as they stood when the case was opened. */
export interface CommitmentRules {
  responseGoal: number | null;
  responseUnit: GoalUnit | null;
  resolutionGoal: number;
  resolutionUnit: GoalUnit;
  escalateOnBreach: boolean;
  callBackAfterHours: number;
  reopenWindowHours: number;
}

/** What the API hands the workflow when a case is opened. */
export interface OpenCaseInput {
  caseId: string;
  stationId: string;
  serviceCode: string;
  category: string;
  deadlineClass: string;
  channel: string;
  demand: string;
  resident: { name: string; phone?: string; address?: string };
  openedBy: Actor;
  /** ISO time the station accepted the demand (set by the API, so a retried start keeps it). */
  openedAt: string;
  catalogue: CatalogueSnapshot;
  rules: CommitmentRules;
  /** An earlier case this one follows up (a repeated demand with new facts). */
  relatedCaseId?: string;
  /** The station's subdistrict, whose supervisors get every supervisor notice (absent in cases opened before). */
  subdistrictId?: string;
  /** Continue-as-new once the history has this many events (default 10 000). */
  historyLimit?: number;
  /** Set by continue-as-new: the state carried over from the previous run. */
  carried?: CaseState;
}

/* ---------- the case's parts ---------- */

export const decisions = ['accept', 'handle-now', 'transfer'] as const;
export type Decision = (typeof decisions)[number];

/** Where a transferred (转办) demand goes: a subdistrict department, or another agency outside the system. */
export interface TransferTarget {
  kind: 'department' | 'agency';
  /** A department id (required for departments). */
  id?: string;
  name: string;
}

export interface Acceptance {
  decision: Decision;
  /** Documents the resident handed in. */
  documents: string[];
  transferTo?: TransferTarget;
  note?: string;
}

export interface HomeVisit {
  /** The visit's date (YYYY-MM-DD, Asia/Shanghai). */
  date: string;
  staff: string[];
  notes: string;
}

export interface Diagnosis {
  findings: string;
  causes?: string;
  resources?: string;
  homeVisit?: HomeVisit;
}

export interface TaskInput {
  /** Keep an existing task in a revised plan by naming its id; new tasks get the next id. */
  id?: string;
  title: string;
  assignee: Assignee;
  /** ISO time the task is due. */
  dueAt: string;
}

export interface PlanInput {
  goals: string[];
  tasks: TaskInput[];
  /** Why the plan is revised (required for a revision). */
  reason?: string;
}

export const taskOutcomes = ['done', 'not-done'] as const;
export type TaskOutcome = (typeof taskOutcomes)[number];

export interface Task {
  id: string;
  title: string;
  assignee: Assignee;
  dueAt: string;
  status: 'open' | 'completed' | 'cancelled';
  /** The plan revision that introduced the task. */
  revision: number;
  outcome?: TaskOutcome;
  note?: string;
  completedAt?: string;
  completedBy?: string;
  /** The assignee (a partner or department) confirmed it takes the task on. */
  acceptedAt?: string;
  acceptedBy?: string;
  /** Assignees that declined it; each decline hands the task back to the station for a new assignee. */
  declines?: { assignee: Assignee; by: string; at: string; note?: string }[];
}

export interface PlanRevision {
  revision: number;
  goals: string[];
  taskIds: string[];
  reason?: string;
  by: string;
  at: string;
}

export interface TaskCompletion {
  taskId: string;
  outcome: TaskOutcome;
  note?: string;
}

export interface Pause {
  reason: string;
}

export interface Resume {
  /** Documents the resident brought since the pause. */
  documents?: string[];
  note?: string;
}

export const resolutions = ['resolved', 'unresolved', 'transferred'] as const;
export type Resolution = (typeof resolutions)[number];
/** How a case ends: a closure's resolution, or withdrawn (by the resident) / cancelled (see Withdrawal). */
export const finalResolutions = [...resolutions, 'withdrawn', 'cancelled'] as const;

export interface Closure {
  resolution: Resolution;
  /** What was done, as told to the resident. */
  summary?: string;
  /** Required when unresolved. */
  reason?: string;
  /** The certificate's number, where the catalogue item issues one; generated when absent. */
  certificateNo?: string;
  /** Required when transferred. */
  transferTo?: TransferTarget;
}

export const ratings = ['satisfied', 'basically-satisfied', 'unsatisfied'] as const;
export type Rating = (typeof ratings)[number];
export const evaluationChannels = ['in-person', 'call-back', 'app'] as const;

export interface Evaluation {
  rating: Rating;
  via: (typeof evaluationChannels)[number];
  comment?: string;
}

export interface DeadlineExtension {
  /** The clock's id: response, resolution (the current one) or task:<taskId>. */
  clock: string;
  /** ISO time of the new deadline; must be later than the current one. */
  newDueAt: string;
  reason: string;
}

export interface RepeatDemand {
  demand: string;
  channel: string;
  receivedAt: string;
}

/* ---------- supervisors' interventions: urging (督办), reassignment, withdrawal ---------- */

/** Whom a supervisor urges: the case's owner, a task's assignee, or a department called by one of the case's whistles. */
export const urgeTargets = ['owner', 'task', 'department'] as const;
export type UrgeTarget = (typeof urgeTargets)[number];

export interface Urge {
  target: UrgeTarget;
  /** The task whose assignee is urged (target `task`). */
  taskId?: string;
  /** The department urged (target `department`): one called by an open whistle of the case. */
  departmentId?: string;
  reason: string;
  /** The batch that sent it (POST /api/supervision/batches): recorded, so a batch applies each item once. */
  batchId?: string;
}

/** An urge as the case keeps it: the party urged and how many times it has been urged on this case. */
export interface UrgeRecord {
  target: UrgeTarget;
  party: Assignee;
  taskId?: string;
  whistleId?: string;
  reason: string;
  /** The party's urges on this case so far, this one included (the assessment counts them). */
  count: number;
  by: string;
  at: string;
}

/** A new owner for the case (no `taskId`, `to` is staff), or a new assignee for one of its open tasks. */
export interface Reassignment {
  taskId?: string;
  to: Assignee;
  reason: string;
  /** The batch that sent it: recorded, so a batch applies each item once. */
  batchId?: string;
}

/**
 * Why a case ends without being handled: the resident withdrew the demand, it duplicates another case,
 * or it was opened in error. Not a closure: no result, no evaluation, no call-back.
 */
export const withdrawalKinds = ['resident-withdrew', 'duplicate', 'opened-in-error'] as const;
export type WithdrawalKind = (typeof withdrawalKinds)[number];

export interface Withdrawal {
  kind: WithdrawalKind;
  reason: string;
  /** The case this one duplicates (kind `duplicate`). */
  duplicateOf?: string;
}

/** The final state a withdrawal leaves in the read model's `resolution`: withdrawn by the resident, or cancelled. */
export const withdrawalResolution = (kind: WithdrawalKind): 'withdrawn' | 'cancelled' => (kind === 'resident-withdrew' ? 'withdrawn' : 'cancelled');

/* ---------- partners: their replies, and notices that could not reach them ---------- */

export const partnerReplyStatuses = ['accepted', 'declined', 'done'] as const;
export type PartnerReplyStatus = (typeof partnerReplyStatuses)[number];

/** A partner's (or a department's) answer about a task assigned to it. */
export interface PartnerReply {
  taskId: string;
  status: PartnerReplyStatus;
  note?: string;
  /** Whom the reply speaks for: it must be the task's assignee (set by the API from the token). */
  as: Assignee;
}

/** A notice the case's partner or department could not be reached with (until a retry reaches it). */
export interface Unreachable {
  notificationId: string;
  recipient: DeliveryReport['recipient'];
  kind: DeliveryReport['kind'];
  since: string;
}

/**
 * An escalation of the case: proposed by a breached commitment (where the class says so), opened when a
 * whistle is blown, settled when the whistle completes. Coordinate waits until no escalation is open.
 */
export interface Escalation {
  id: string;
  status: 'proposed' | 'open' | 'settled';
  reason: string;
  at: string;
  /** The whistle blown for it (街乡吹哨). */
  whistleId?: string;
  departments?: string[];
  lead?: string;
  /** The whistle's outcome: the lead's report, or `closed` by the supervisor. */
  outcome?: { outcome: string; note: string; at: string; by: string };
}

/** The case row's supervision columns, as the workflow sees them after an event. */
export interface CaseProjection {
  stage: Stage;
  overdue: boolean;
  nextDueAt: string | null;
  provisional: boolean;
  paused: boolean;
  resolution: string | null;
  /** Absent in projections of workflows recorded before partner delivery. */
  partnerUnreachable?: boolean;
  /* Supervision's columns (absent in projections recorded before them): */
  owner?: string;
  /** The last action by a person; absent until one came in after these columns. */
  lastProgressAt?: string | null;
  pausedSince?: string | null;
  /** Closed, the evaluation not in: when the call-back is due. */
  callBackDueAt?: string | null;
  /** Running commitments past their deadline. */
  overdueCommitments?: { clock: string; kind: string; dueAt: string; assignee: Assignee }[];
}

export interface CaseState {
  caseId: string;
  stationId: string;
  serviceCode: string;
  category: string;
  deadlineClass: string;
  channel: string;
  demand: string;
  resident: OpenCaseInput['resident'];
  stage: Stage;
  openedBy: Actor;
  openedAt: string;
  /** True once the read model in Postgres has the case. */
  recorded: boolean;
  catalogue?: CatalogueSnapshot;
  rules?: CommitmentRules;
  /** The staff member who owns the case (首接负责): the one who opened it. */
  owner?: string;
  acceptance?: Acceptance & { by: string; at: string };
  diagnosis?: Diagnosis & { by: string; at: string };
  plans?: PlanRevision[];
  tasks?: Task[];
  /** Documents received so far (acceptance and resumes). */
  documents?: string[];
  paused?: { reason: string; since: string; by: string };
  clocks?: Clock[];
  closure?: Closure & { by: string; at: string };
  evaluation?: Evaluation & { by: string; at: string };
  /** A call-back to the resident is due: the evaluation did not come in by the call-back time. */
  callBack?: { dueAt: string; recordedAt: string };
  /** Every time an unsatisfied evaluation reopened the case, with the closure it undid. */
  reopenings?: { at: string; evaluation: Evaluation & { by: string; at: string }; closure: Closure & { by: string; at: string } }[];
  /** Reopened: execution waits for a revised plan. */
  awaitingRevision?: boolean;
  repeats?: (RepeatDemand & { by: string })[];
  escalations?: Escalation[];
  /** Notices that reached nobody (dead letters): the supervisors' "partner unreachable". */
  unreachable?: Unreachable[];
  /** Timeline writes the database refused for good; a `timeline.write-failed` marker stands for each. */
  projectionFailures?: ProjectionFailure[];
  overdue?: boolean;
  relatedCaseId?: string;
  /** The station's subdistrict (absent in cases opened before it was carried). */
  subdistrictId?: string;
  /** The timeline's sequence counter (events written so far). */
  seq?: number;
  /** How many times the workflow continued as new. */
  runs?: number;
  /** The last action by a person (an update, a reply), for supervisors' "idle". */
  lastProgressAt?: string;
  /** Every urge (督办) of a party on this case. */
  urges?: UrgeRecord[];
  /** The case was withdrawn or cancelled: it ended without a closure. */
  withdrawal?: Withdrawal & { by: string; at: string };
}

/* ---------- messages ---------- */

/** The case workflow's type name (`caseWorkflow` in workflow.ts), so the API starts it without importing workflow code. */
export const caseWorkflowType = 'caseWorkflow';
/** The case workflow's signature, for typed handles where its code is not imported. */
export type CaseWorkflow = (input: OpenCaseInput) => Promise<CaseState>;

export const caseStateQuery = defineQuery<CaseState>('caseState');

/**
 * Answers once the case is opened: its read-model row written and its commitments set. The API sends it
 * with the start (update-with-start), so the 201 means the case can be read and acted on.
 */
export const openedUpdate = defineUpdate<CaseState>('opened');
export const acceptUpdate = defineUpdate<CaseState, [Command<Acceptance>]>('accept');
export const diagnoseUpdate = defineUpdate<CaseState, [Command<Diagnosis>]>('diagnose');
export const planUpdate = defineUpdate<CaseState, [Command<PlanInput>]>('plan');
export const completeTaskUpdate = defineUpdate<CaseState, [Command<TaskCompletion>]>('completeTask');
export const pauseUpdate = defineUpdate<CaseState, [Command<Pause>]>('pause');
export const resumeUpdate = defineUpdate<CaseState, [Command<Resume>]>('resume');
export const closeUpdate = defineUpdate<CaseState, [Command<Closure>]>('close');
export const evaluateUpdate = defineUpdate<CaseState, [Command<Evaluation>]>('evaluate');
export const extendDeadlineUpdate = defineUpdate<CaseState, [Command<DeadlineExtension>]>('extendDeadline');
export const repeatDemandUpdate = defineUpdate<CaseState, [Command<RepeatDemand>]>('repeatDemand');
export const partnerReplyUpdate = defineUpdate<CaseState, [Command<PartnerReply>]>('partnerReply');
/** Supervisors' interventions: urge a responsible party, reassign the owner or a task, withdraw the case. */
export const urgeUpdate = defineUpdate<CaseState, [Command<Urge>]>('urge');
export const reassignUpdate = defineUpdate<CaseState, [Command<Reassignment>]>('reassign');
export const withdrawUpdate = defineUpdate<CaseState, [Command<Withdrawal>]>('withdraw');

/** A delivery workflow reports a dead letter, or that a retried notice got through. */
export const deliveryReportSignal = defineSignal<[DeliveryReport]>('deliveryReport');

/** The working-day calendar changed for these years: provisional deadlines are recomputed. */
export const calendarChangedSignal = defineSignal<[{ years: number[] }]>('calendarChanged');

/**
 * Why an update is refused. The workflow throws an ApplicationFailure of one of these types; the API
 * maps them to problem+json statuses.
 */
export const rejections = {
  /** Not allowed in the case's current stage or state → 409. */
  conflict: 'CaseConflict',
  /** The request breaks a rule of the case (missing home visit, plan without tasks) → 422. */
  invalid: 'CaseInvalid',
  /** The task named does not exist → 404. */
  unknownTask: 'UnknownTask',
  /** A partner or department answers for a task that is not assigned to it → 403. */
  notAssignee: 'NotTaskAssignee',
} as const;
export type RejectionType = (typeof rejections)[keyof typeof rejections];
