import { sql } from 'drizzle-orm';
import {
  bigserial,
  boolean,
  index,
  integer,
  jsonb,
  pgTable,
  primaryKey,
  text,
  timestamp,
  uniqueIndex,
} from 'drizzle-orm/pg-core';
import type { OpenCaseInput } from '../workflows/case-messages';

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

export const partnerKinds = ['service-agency', 'handy-help-outlet', 'institution', 'volunteer-organisation'] as const;
export type PartnerKind = (typeof partnerKinds)[number];

export const partners = pgTable('partners', {
  id: text('id').primaryKey(),
  kind: text('kind').$type<PartnerKind>().notNull(),
  name: text('name').notNull(),
  nameZh: text('name_zh').notNull(),
  active: boolean('active').notNull().default(true),
});

/** How a deadline goal is counted: calendar hours, calendar days, or working days (China's calendar, Asia/Shanghai). */
export const goalUnits = ['hours', 'days', 'working-days'] as const;
export type GoalUnit = (typeof goalUnits)[number];

/** Deadline classes (限时办结), after Beijing DB11/T 2021—2022 for the 12345 hotline. */
export const deadlineClasses = pgTable('deadline_classes', {
  code: text('code').primaryKey(),
  name: text('name').notNull(),
  nameZh: text('name_zh').notNull(),
  responseGoal: integer('response_goal'),
  responseUnit: text('response_unit').$type<GoalUnit>(),
  resolutionGoal: integer('resolution_goal').notNull(),
  resolutionUnit: text('resolution_unit').$type<GoalUnit>().notNull(),
  /** Propose an escalation (whistle) when the resolution goal is breached. */
  escalateOnBreach: boolean('escalate_on_breach').notNull().default(false),
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
  },
  (t) => [
    index('cases_station_opened_idx').on(t.stationId, t.openedAt),
    index('cases_stage_idx').on(t.stage),
  ],
);

/** Append-only timeline. `eventKey` makes every write idempotent: a retried activity never writes twice. */
export const caseEvents = pgTable(
  'case_events',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    caseId: text('case_id')
      .notNull()
      .references(() => cases.id),
    eventKey: text('event_key').notNull(),
    type: text('type').notNull(),
    actor: text('actor').notNull(),
    actorRole: text('actor_role').notNull(),
    at: timestamp('at', { withTimezone: true }).notNull(),
    data: jsonb('data').$type<Record<string, unknown>>().notNull().default({}),
  },
  (t) => [uniqueIndex('case_events_case_key_idx').on(t.caseId, t.eventKey)],
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
