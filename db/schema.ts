import { sql } from 'drizzle-orm';
import {
  bigserial,
  boolean,
  doublePrecision,
  index,
  integer,
  jsonb,
  pgTable,
  primaryKey,
  text,
  timestamp,
  uniqueIndex,
  uuid,
} from 'drizzle-orm/pg-core';
import type { OpenCaseInput } from '../workflows/case/messages';

/* ---------- master data ---------- */

export const subdistricts = pgTable('subdistricts', {
  id: text('id').primaryKey(),
  name: text('name').notNull(),
  nameZh: text('name_zh').notNull(),
});

export const stations = pgTable('stations', {
  id: text('id').primaryKey(),
  subdistrictId: text('subdistrict_id')
    .notNull()
    .references(() => subdistricts.id),
  name: text('name').notNull(),
  nameZh: text('name_zh').notNull(),
  /** Short prefix of this station's case ids, e.g. QG → QG-20261123-0001. */
  casePrefix: text('case_prefix').notNull().unique(),
});

export const departments = pgTable('departments', {
  id: text('id').primaryKey(),
  subdistrictId: text('subdistrict_id')
    .notNull()
    .references(() => subdistricts.id),
  name: text('name').notNull(),
  nameZh: text('name_zh').notNull(),
});

export const partnerKinds = ['service-agency', 'handy-help-outlet', 'institution', 'volunteer-organisation', 'department'] as const;
export type PartnerKind = (typeof partnerKinds)[number];

/** How stationflow reaches a partner. A partner lists at most one channel of each type, in preference order. */
export const channelTypes = ['webhook', 'email', 'sms'] as const;
export type ChannelType = (typeof channelTypes)[number];
export type ContactChannel = { type: 'webhook'; url: string } | { type: 'email'; address: string } | { type: 'sms'; phone: string };

/** The languages of partner notices (email and SMS templates). */
export const noticeLocales = ['zh-CN', 'en'] as const;
export type NoticeLocale = (typeof noticeLocales)[number];

/**
 * The partner registry: service agencies, handy-help outlets, institutions, volunteer organisations and
 * (kind `department`, linked by `departmentId`) subdistrict departments that want notices pushed to them.
 */
export const partners = pgTable('partners', {
  id: text('id').primaryKey(),
  kind: text('kind').$type<PartnerKind>().notNull(),
  name: text('name').notNull(),
  nameZh: text('name_zh').notNull(),
  active: boolean('active').notNull().default(true),
  /** Set for kind `department`: the department this registry entry speaks for. */
  departmentId: text('department_id')
    .unique()
    .references(() => departments.id),
  /** Contact channels in preference order; the next is tried when one gives up. */
  channels: jsonb('channels').$type<ContactChannel[]>().notNull().default([]),
  locale: text('locale').$type<NoticeLocale>().notNull().default('zh-CN'),
  /** The HMAC-SHA256 key webhooks are signed with (shown to admins once, when created or rotated). */
  webhookSecret: text('webhook_secret'),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
});

/**
 * How a deadline goal is counted: calendar minutes, hours or days, or working days (China's official
 * calendar with its adjusted working days, Asia/Shanghai). Goals may be fractional (0.5 hours).
 */
export const goalUnits = ['minutes', 'hours', 'days', 'working-days'] as const;
export type GoalUnit = (typeof goalUnits)[number];

/** Deadline classes (限时办结), after Beijing DB11/T 2021—2022 for the 12345 hotline. */
export const deadlineClasses = pgTable('deadline_classes', {
  code: text('code').primaryKey(),
  name: text('name').notNull(),
  nameZh: text('name_zh').notNull(),
  /** Response: a decision at acceptance. No goal means the class has no response clock. */
  responseGoal: doublePrecision('response_goal'),
  responseUnit: text('response_unit').$type<GoalUnit>(),
  /** Resolution: the case closed with feedback to the resident. */
  resolutionGoal: doublePrecision('resolution_goal').notNull(),
  resolutionUnit: text('resolution_unit').$type<GoalUnit>().notNull(),
  /** Propose an escalation (whistle) when the resolution goal is breached. */
  escalateOnBreach: boolean('escalate_on_breach').notNull().default(false),
  /** Calendar hours after closure when the resident is called back if no evaluation came in. */
  callBackAfterHours: doublePrecision('call_back_after_hours').notNull().default(72),
  /** Calendar hours after closure during which an unsatisfied evaluation reopens the case. */
  reopenWindowHours: doublePrecision('reopen_window_hours').notNull().default(360),
  /**
   * Supervision: an open case with no progress (an action by a person) for this many calendar hours is
   * stuck as idle. Null: the service's default (STUCK_IDLE_AFTER).
   */
  idleAfterHours: doublePrecision('idle_after_hours'),
});

/* ---------- China's official working-day calendar ---------- */

export const calendarDayKinds = ['holiday', 'workday'] as const;
export type CalendarDayKind = (typeof calendarDayKinds)[number];

/**
 * Exceptions to the weekday rule, per date in Asia/Shanghai: public holidays (holiday) and adjusted
 * working days on a weekend (workday, 调休). Every other Monday–Friday is a working day.
 */
export const calendarDays = pgTable(
  'calendar_days',
  {
    date: text('date').primaryKey(),
    year: integer('year').notNull(),
    kind: text('kind').$type<CalendarDayKind>().notNull(),
    name: text('name').notNull(),
  },
  (t) => [index('calendar_days_year_idx').on(t.year)],
);

/** Years with official data (the State Council's notice). Deadlines reaching other years are provisional. */
export const calendarYears = pgTable('calendar_years', {
  year: integer('year').primaryKey(),
  source: text('source').notNull(),
  importedBy: text('imported_by').notNull(),
  importedAt: timestamp('imported_at', { withTimezone: true }).notNull(),
});

export const serviceCategories = ['party-masses', 'government', 'life', 'public'] as const;
export type ServiceCategory = (typeof serviceCategories)[number];

export const handlingModes = ['handle-now', 'needs-documents'] as const;
export type HandlingMode = (typeof handlingModes)[number];

/** The station's service catalogue: what it accepts and how. */
export const serviceItems = pgTable('service_items', {
  code: text('code').primaryKey(),
  category: text('category').$type<ServiceCategory>().notNull(),
  name: text('name').notNull(),
  nameZh: text('name_zh').notNull(),
  handlingMode: text('handling_mode').$type<HandlingMode>().notNull(),
  deadlineClass: text('deadline_class')
    .notNull()
    .references(() => deadlineClasses.code),
  requiredDocuments: jsonb('required_documents').$type<string[]>().notNull().default([]),
  needsHomeVisit: boolean('needs_home_visit').notNull().default(false),
  issuesCertificate: boolean('issues_certificate').notNull().default(false),
  active: boolean('active').notNull().default(true),
});

/** The catalogue items a partner offers. */
export const partnerServices = pgTable(
  'partner_services',
  {
    partnerId: text('partner_id')
      .notNull()
      .references(() => partners.id, { onDelete: 'cascade' }),
    serviceCode: text('service_code')
      .notNull()
      .references(() => serviceItems.code),
  },
  (t) => [primaryKey({ columns: [t.partnerId, t.serviceCode] }), index('partner_services_service_idx').on(t.serviceCode)],
);

/* ---------- cases: the read model written by activities ---------- */

export const caseChannels = ['walk-in', 'door-to-door', 'hotline-12345', 'app'] as const;
export type CaseChannel = (typeof caseChannels)[number];

export interface ResidentContact {
  name: string;
  phone?: string;
  address?: string;
}

export const cases = pgTable(
  'cases',
  {
    id: text('id').primaryKey(),
    workflowId: text('workflow_id').notNull().unique(),
    stationId: text('station_id')
      .notNull()
      .references(() => stations.id),
    serviceCode: text('service_code')
      .notNull()
      .references(() => serviceItems.code),
    category: text('category').$type<ServiceCategory>().notNull(),
    deadlineClass: text('deadline_class')
      .notNull()
      .references(() => deadlineClasses.code),
    channel: text('channel').$type<CaseChannel>().notNull(),
    demand: text('demand').notNull(),
    resident: jsonb('resident').$type<ResidentContact>().notNull(),
    stage: text('stage').notNull(),
    openedBy: text('opened_by').notNull(),
    openedAt: timestamp('opened_at', { withTimezone: true }).notNull(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull(),
    /** A commitment is past its deadline and not yet met. */
    overdue: boolean('overdue').notNull().default(false),
    /** The earliest deadline of a running commitment. */
    nextDueAt: timestamp('next_due_at', { withTimezone: true }),
    /** Some deadline reaches a year without official calendar data (weekday rule until imported). */
    provisional: boolean('provisional').notNull().default(false),
    /** The clocks are paused: the case waits on the resident. */
    paused: boolean('paused').notNull().default(false),
    /** resolved | unresolved | transferred, once closed. */
    resolution: text('resolution'),
    /** The open case a repeated demand was linked to, or the earlier case a new case follows up. */
    relatedCaseId: text('related_case_id'),
    /** A notice to a partner or department could not be delivered on any channel (dead letter). */
    partnerUnreachable: boolean('partner_unreachable').notNull().default(false),
    /** The workflow's sequence number of the last event applied: an older write never overwrites a newer one. */
    projectionSeq: integer('projection_seq').notNull().default(0),
    /**
     * The repeat rule's keys (db/repeat-keys.ts): sha256 hex of the resident's phone digits (null without
     * digits) and of the normalised name, as written at the opening. Hashes: no personal data in clear.
     */
    repeatPhoneKey: text('repeat_phone_key'),
    repeatNameKey: text('repeat_name_key'),
    /* Supervision (api/supervision): what the stuck query reads, kept current by the projection. */
    /** The staff member who owns the case (首接负责). */
    owner: text('owner'),
    /** The last action by a person (not the system's clocks): what "idle" is measured from. */
    lastProgressAt: timestamp('last_progress_at', { withTimezone: true }),
    /** Since when the case waits on the resident (paused). */
    pausedSince: timestamp('paused_since', { withTimezone: true }),
    /** Closed, the resident's evaluation not in: when the call-back falls due. Null otherwise. */
    callBackDueAt: timestamp('call_back_due_at', { withTimezone: true }),
    /** The running commitments past their deadline: which, since when, whose. */
    overdueCommitments: jsonb('overdue_commitments').$type<OverdueCommitment[]>().notNull().default([]),
    /* Retention (activities/retention): when a closed case's personal data may go, and when it went. */
    /** When the case last closed (closed, withdrawn or cancelled); null while it is open (a reopening clears it). */
    closedAt: timestamp('closed_at', { withTimezone: true }),
    /** When its personal data was erased (RETENTION_AFTER_CLOSE after closing): resident, demand and free text are `[erased]`. */
    erasedAt: timestamp('erased_at', { withTimezone: true }),
  },
  (t) => [
    index('cases_station_opened_idx').on(t.stationId, t.openedAt),
    index('cases_stage_idx').on(t.stage),
    index('cases_overdue_idx').on(t.overdue),
    index('cases_station_service_idx').on(t.stationId, t.serviceCode),
    // The repeat rule looks up open cases only; the predicate is a literal so every plan can use them.
    index('cases_open_phone_key_idx').on(t.stationId, t.serviceCode, t.repeatPhoneKey).where(sql`${t.stage} <> 'closed'`),
    index('cases_open_name_key_idx').on(t.stationId, t.serviceCode, t.repeatNameKey).where(sql`${t.stage} <> 'closed'`),
    // The stuck query's candidates (api/supervision/stuck.ts): each reason reads one small partial index.
    index('cases_stuck_overdue_idx').on(t.nextDueAt).where(sql`${t.overdue}`),
    index('cases_stuck_idle_idx').on(t.lastProgressAt).where(sql`${t.resolution} is null and ${t.stage} <> 'closed'`),
    index('cases_stuck_paused_idx').on(t.pausedSince).where(sql`${t.paused}`),
    index('cases_stuck_call_back_idx').on(t.callBackDueAt).where(sql`${t.callBackDueAt} is not null`),
    // Retention's candidates: closed cases not yet erased, oldest closure first.
    index('cases_retention_idx').on(t.closedAt, t.id).where(sql`${t.erasedAt} is null and ${t.stage} = 'closed'`),
  ],
);

/** A commitment past its deadline, as the case row lists it for supervisors. */
export interface OverdueCommitment {
  /** response, resolution or task:<id>. */
  clock: string;
  kind: string;
  dueAt: string;
  /** Who owes it: the case's owner, or a task's assignee. */
  assignee: { kind: string; id: string };
}

/** Append-only timeline. `eventKey` makes every write idempotent: a retried activity never writes twice. */
export const caseEvents = pgTable(
  'case_events',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    caseId: text('case_id')
      .notNull()
      .references(() => cases.id),
    eventKey: text('event_key').notNull(),
    /** The workflow's event sequence number: the timeline's order. */
    seq: integer('seq').notNull().default(0),
    type: text('type').notNull(),
    actor: text('actor').notNull(),
    actorRole: text('actor_role').notNull(),
    at: timestamp('at', { withTimezone: true }).notNull(),
    data: jsonb('data').$type<Record<string, unknown>>().notNull().default({}),
    /** Set on events of a whistle (its own sequence, in `seq`); null on the case's own events. */
    whistleId: text('whistle_id'),
  },
  (t) => [
    uniqueIndex('case_events_case_key_idx').on(t.caseId, t.eventKey),
    index('case_events_whistle_idx').on(t.whistleId),
    // Supervisors' interventions (GET /metrics's stationflow_interventions_total, the assessment's urges): a
    // scrape reads these few rows, not the whole timeline. The list is api/metrics/interventions.ts's, literally.
    index('case_events_interventions_idx')
      .on(t.type, t.at)
      .where(sql`${t.type} in ('case.urged', 'case.reassigned', 'task.reassigned', 'case.withdrawn', 'commitment.extended', 'case.reset', 'delivery.retried', 'whistle.decided')`),
  ],
);

/**
 * Notifications to staff, partners, departments, supervisors and residents, written by activities
 * (an outbox). `key` makes every write idempotent. Delivery channels read from here.
 */
export const recipientKinds = ['staff', 'partner', 'department', 'supervisor', 'resident', 'agency'] as const;
export type RecipientKind = (typeof recipientKinds)[number];

export const notifications = pgTable(
  'notifications',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    key: text('key').notNull().unique(),
    caseId: text('case_id')
      .notNull()
      .references(() => cases.id),
    recipientKind: text('recipient_kind').$type<RecipientKind>().notNull(),
    recipientId: text('recipient_id').notNull(),
    kind: text('kind').notNull(),
    data: jsonb('data').$type<Record<string, unknown>>().notNull().default({}),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull(),
    deliveredAt: timestamp('delivered_at', { withTimezone: true }),
    /** The notification's public id: the webhook's `Idempotency-Key`, the delivery workflow's id. */
    notificationId: uuid('notification_id').notNull().unique().defaultRandom(),
    /** The registry entry the notice is pushed to (null: kept in the outbox only). */
    partnerId: text('partner_id').references(() => partners.id),
    /** Set when the notice is pushed through the partner's channels. */
    deliveryStatus: text('delivery_status').$type<DeliveryStatus>(),
    deliveredVia: text('delivered_via').$type<ChannelType>(),
    /** A supervisor's inbox: when and by whom the alert was acknowledged (null: unread). */
    acknowledgedAt: timestamp('acknowledged_at', { withTimezone: true }),
    acknowledgedBy: text('acknowledged_by'),
  },
  (t) => [
    index('notifications_recipient_idx').on(t.recipientKind, t.recipientId, t.createdAt),
    index('notifications_case_idx').on(t.caseId, t.createdAt),
    index('notifications_unreachable_idx').on(t.caseId).where(sql`${t.deliveryStatus} = 'unreachable'`),
    // GET /metrics's stationflow_notifications_undelivered: the same predicate as its query.
    index('notifications_undelivered_idx').on(t.deliveryStatus).where(sql`${t.deliveryStatus} in ('unreachable', 'delivering')`),
  ],
);

/** delivering: channels are being tried; unreachable: every channel gave up (dead letter, a supervisor may retry). */
export const deliveryStatuses = ['delivering', 'delivered', 'unreachable', 'abandoned'] as const;
export type DeliveryStatus = (typeof deliveryStatuses)[number];
export const channelOutcomes = ['trying', 'delivered', 'gave-up'] as const;
export type ChannelOutcome = (typeof channelOutcomes)[number];

/**
 * The delivery log: one row per notification, round and channel. Round 1 is the first delivery; each
 * supervisor retry starts the next. Written idempotently by the channel activities (attempts is the
 * activity's attempt number, so a retried write never counts twice).
 */
export const deliveries = pgTable(
  'deliveries',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    notificationId: uuid('notification_id')
      .notNull()
      .references(() => notifications.notificationId),
    caseId: text('case_id')
      .notNull()
      .references(() => cases.id),
    partnerId: text('partner_id')
      .notNull()
      .references(() => partners.id),
    round: integer('round').notNull(),
    channel: text('channel').$type<ChannelType>().notNull(),
    status: text('status').$type<ChannelOutcome>().notNull(),
    attempts: integer('attempts').notNull().default(0),
    lastError: text('last_error'),
    lastAttemptAt: timestamp('last_attempt_at', { withTimezone: true }),
    deliveredAt: timestamp('delivered_at', { withTimezone: true }),
    gaveUpAt: timestamp('gave_up_at', { withTimezone: true }),
  },
  (t) => [
    uniqueIndex('deliveries_notification_round_channel_idx').on(t.notificationId, t.round, t.channel),
    index('deliveries_case_idx').on(t.caseId),
    // GET /metrics's stationflow_deliveries_failed_total: the same predicate as its query.
    index('deliveries_gave_up_idx').on(t.channel).where(sql`${t.status} = 'gave-up'`),
  ],
);

/* ---------- whistles: escalation to departments (街乡吹哨、部门报到) ---------- */

/**
 * Deadlines of a whistle per urgency, configurable by admins (Pinggu's rule: check in within 30 minutes
 * when urgent). A whistle keeps the rules it was blown with.
 */
export const whistleUrgencies = pgTable('whistle_urgencies', {
  code: text('code').primaryKey(),
  name: text('name').notNull(),
  nameZh: text('name_zh').notNull(),
  checkInGoal: doublePrecision('check_in_goal').notNull(),
  checkInUnit: text('check_in_unit').$type<GoalUnit>().notNull(),
  reportGoal: doublePrecision('report_goal').notNull(),
  reportUnit: text('report_unit').$type<GoalUnit>().notNull(),
  /** Hours after completion during which the station and the departments rate each other. */
  ratingWindowHours: doublePrecision('rating_window_hours').notNull().default(360),
});

/** What a department's inbox (and a supervisor's list) groups whistles by. */
export const whistleInboxStates = ['awaiting-check-in', 'in-progress', 'done'] as const;
export type WhistleInboxState = (typeof whistleInboxStates)[number];

/** The read model of whistles, written by the whistle workflow's activities. */
export const whistles = pgTable(
  'whistles',
  {
    id: text('id').primaryKey(),
    workflowId: text('workflow_id').notNull().unique(),
    caseId: text('case_id')
      .notNull()
      .references(() => cases.id),
    stationId: text('station_id')
      .notNull()
      .references(() => stations.id),
    subdistrictId: text('subdistrict_id')
      .notNull()
      .references(() => subdistricts.id),
    reason: text('reason').notNull(),
    urgency: text('urgency').notNull(),
    summary: text('summary').notNull(),
    location: text('location'),
    serviceCode: text('service_code').notNull(),
    initiatedBy: text('initiated_by').notNull(),
    initiatedAt: timestamp('initiated_at', { withTimezone: true }).notNull(),
    /** open → completed (outcome known) → finished (rating window closed). */
    status: text('status').notNull(),
    /** awaiting-check-in while a department has not checked in, in-progress, done once completed. */
    state: text('state').$type<WhistleInboxState>().notNull(),
    leadDepartmentId: text('lead_department_id').notNull(),
    awaitingDepartments: jsonb('awaiting_departments').$type<string[]>().notNull().default([]),
    nextDueAt: timestamp('next_due_at', { withTimezone: true }),
    overdue: boolean('overdue').notNull().default(false),
    outcome: text('outcome'),
    outcomeNote: text('outcome_note'),
    completedAt: timestamp('completed_at', { withTimezone: true }),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull(),
    projectionSeq: integer('projection_seq').notNull().default(0),
  },
  (t) => [index('whistles_subdistrict_state_idx').on(t.subdistrictId, t.state, t.nextDueAt), index('whistles_case_idx').on(t.caseId)],
);

/**
 * One department called by a whistle, with what the two-way assessment counts: check-in latency,
 * missed check-ins, disputes, the report and whether it was on time, the ratings both ways.
 */
export const whistleCalls = pgTable(
  'whistle_calls',
  {
    whistleId: text('whistle_id')
      .notNull()
      .references(() => whistles.id),
    departmentId: text('department_id')
      .notNull()
      .references(() => departments.id),
    role: text('role').$type<'lead' | 'co-handler'>().notNull(),
    status: text('status').notNull(),
    /** The department's own inbox state for this whistle. */
    state: text('state').$type<WhistleInboxState>().notNull(),
    /** The department's next deadline here (check-in, then report). */
    dueAt: timestamp('due_at', { withTimezone: true }),
    calledAt: timestamp('called_at', { withTimezone: true }).notNull(),
    checkInDueAt: timestamp('check_in_due_at', { withTimezone: true }).notNull(),
    reportDueAt: timestamp('report_due_at', { withTimezone: true }).notNull(),
    checkedInAt: timestamp('checked_in_at', { withTimezone: true }),
    /** Calendar seconds from the call to the check-in. */
    checkInLatencySeconds: doublePrecision('check_in_latency_seconds'),
    missedCheckIns: integer('missed_check_ins').notNull().default(0),
    disputes: integer('disputes').notNull().default(0),
    disputeDecision: text('dispute_decision'),
    reportOutcome: text('report_outcome'),
    reportedAt: timestamp('reported_at', { withTimezone: true }),
    reportOnTime: boolean('report_on_time'),
    rating: integer('rating'),
    ratingComment: text('rating_comment'),
    feedback: integer('feedback'),
    feedbackComment: text('feedback_comment'),
    releasedAt: timestamp('released_at', { withTimezone: true }),
    replacedBy: text('replaced_by'),
    replaces: text('replaces'),
  },
  (t) => [
    primaryKey({ columns: [t.whistleId, t.departmentId] }),
    index('whistle_calls_department_idx').on(t.departmentId, t.state, t.dueAt),
    // The stuck query's missed check-ins and overdue reports.
    index('whistle_calls_stuck_idx').on(t.dueAt).where(sql`${t.state} <> 'done'`),
  ],
);

/**
 * Supervision: activities of a workflow failing attempt after attempt (written by the worker's activity
 * interceptor, temporal/problems.ts), one row per activity while it keeps failing; removed when it succeeds.
 */
export const workflowProblems = pgTable(
  'workflow_problems',
  {
    workflowId: text('workflow_id').notNull(),
    /** The activity's id within its workflow (local activities: their sequence number). */
    activityId: text('activity_id').notNull(),
    activityType: text('activity_type').notNull(),
    local: boolean('local').notNull().default(false),
    attempt: integer('attempt').notNull(),
    /** The latest failure's error name and message, cut to 500 characters. */
    lastFailure: text('last_failure').notNull(),
    firstFailedAt: timestamp('first_failed_at', { withTimezone: true }).notNull(),
    lastFailedAt: timestamp('last_failed_at', { withTimezone: true }).notNull(),
  },
  (t) => [primaryKey({ columns: [t.workflowId, t.activityId] }), index('workflow_problems_failed_idx').on(t.firstFailedAt)],
);

/** Per station and day counter behind human-readable case ids. */
export const caseCounters = pgTable(
  'case_counters',
  {
    stationId: text('station_id')
      .notNull()
      .references(() => stations.id),
    day: text('day').notNull(),
    last: integer('last').notNull(),
  },
  (t) => [primaryKey({ columns: [t.stationId, t.day] })],
);

/** Idempotency-Key → the case a request created, per principal; a retry returns the same case. */
export const idempotencyKeys = pgTable(
  'idempotency_keys',
  {
    principal: text('principal').notNull(),
    key: text('key').notNull(),
    requestHash: text('request_hash').notNull(),
    caseId: text('case_id').notNull(),
    /** The workflow input the key stands for, so a retry (re)starts exactly the same case. */
    input: jsonb('input').$type<OpenCaseInput>().notNull(),
    createdAt: timestamp('created_at', { withTimezone: true })
      .notNull()
      .default(sql`now()`),
  },
  (t) => [primaryKey({ columns: [t.principal, t.key] })],
);

/* ---------- security: revoked credentials, the audit of non-case actions ---------- */

/**
 * Credentials a client presents that can be revoked. A token of stationflow is one by its `jti`; a future
 * Open311 API key will be another (its key id in `credential_id`, its holder in `holder`), checked the same way.
 */
export const credentialKinds = ['token'] as const;
export type CredentialKind = (typeof credentialKinds)[number];

/**
 * Revoked credentials, checked on every request (api/tokens/revocations.ts). One row revokes either one
 * credential (`credential_id`: a token's `jti`) or every credential of a holder issued before an instant
 * (`holder` such as `partner:anju-repair`, `issued_before`): a compromised or deactivated partner.
 * Append-only: a trigger refuses UPDATE and DELETE (migration 0007).
 */
export const tokenRevocations = pgTable(
  'token_revocations',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    credential: text('credential').$type<CredentialKind>().notNull().default('token'),
    /** One credential: a token's jti. */
    credentialId: text('credential_id'),
    /** Whose credentials: `partner:<partner id>` (or another holder kind); with issued_before, all of them. */
    holder: text('holder'),
    /** Every credential of `holder` issued before this instant is revoked. */
    issuedBefore: timestamp('issued_before', { withTimezone: true }),
    revokedAt: timestamp('revoked_at', { withTimezone: true }).notNull().defaultNow(),
    revokedBy: text('revoked_by').notNull(),
    revokedByRole: text('revoked_by_role').notNull(),
    reason: text('reason').notNull(),
  },
  (t) => [
    index('token_revocations_credential_idx').on(t.credential, t.credentialId),
    index('token_revocations_holder_idx').on(t.credential, t.holder, t.issuedBefore),
  ],
);

/**
 * The audit of state-changing requests that are not a case's (a case's are on its timeline): partners,
 * calendar, whistle urgencies, tokens, batches. Who (actor, role, scope), what (action), on what (target:
 * ids only, never personal data), when, under which request. Append-only: the code has no update or delete
 * path, and a trigger refuses UPDATE, DELETE and TRUNCATE (migration 0007). Admins read it: GET /api/audit-events.
 */
export const auditEvents = pgTable(
  'audit_events',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    at: timestamp('at', { withTimezone: true }).notNull().defaultNow(),
    actor: text('actor').notNull(),
    actorRole: text('actor_role').notNull(),
    /** The scope the actor acted in: `station:<id>`, `department:<id>`, `subdistrict:<id>`, `partner:<id>`; null for admins. */
    scope: text('scope'),
    /** e.g. partner.registered, token.revoked, calendar.day-set, whistle-urgency.changed, batch.started. */
    action: text('action').notNull(),
    /** The kind of the target (partner, token, calendar-day, whistle-urgency, batch) and its id. */
    targetKind: text('target_kind').notNull(),
    targetId: text('target_id').notNull(),
    requestId: text('request_id'),
    /** Non-personal facts of the action: the fields changed (names, not values), a ttl, a reason's code. */
    data: jsonb('data').$type<Record<string, unknown>>().notNull().default({}),
  },
  (t) => [
    index('audit_events_at_idx').on(t.at, t.id),
    index('audit_events_actor_idx').on(t.actor, t.id),
    index('audit_events_target_idx').on(t.targetKind, t.targetId, t.id),
    index('audit_events_action_idx').on(t.action, t.id),
  ],
);
