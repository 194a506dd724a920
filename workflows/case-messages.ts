import { defineQuery } from '@temporalio/workflow';

/** Messages of the case workflow, shared by the workflow, the worker, the API and the tests. */

export const stages = ['accept', 'diagnose', 'plan', 'execute', 'coordinate', 'close', 'closed'] as const;
export type Stage = (typeof stages)[number];

export interface Actor {
  /** The token's subject: a staff member, supervisor or department user id. */
  id: string;
  role: 'staff' | 'department' | 'supervisor' | 'admin' | 'system';
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
}

export const caseStateQuery = defineQuery<CaseState>('caseState');
