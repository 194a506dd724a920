import { defineQuery } from '@temporalio/workflow';
import type { UrgeTarget } from '../case/messages';
import type { Actor, Assignee } from '../shared/messages';

/**
 * Messages of the batch workflow: one supervisor intervention (urge, reassign, retry) applied to many cases
 * in one request, with its progress and a result per case. Shared by the workflow, its activity, the API
 * and the tests; workflow code imports this file, so it depends on @temporalio/workflow only.
 */

export const batchOperations = ['urge', 'reassign', 'retry'] as const;
export type BatchOperation = (typeof batchOperations)[number];

/** The most cases one batch takes: its history stays small (no continue-as-new), a larger request is refused. */
export const maxBatchItems = 500;

/** How many cases a batch works on at once. */
export const batchConcurrency = 4;

/** One case of the batch, with what differs per case. */
export interface BatchItemInput {
  caseId: string;
  /** urge (target `task`), reassign (a task's assignee): the task. */
  taskId?: string;
  /** urge (target `department`): the department urged. */
  departmentId?: string;
}

/** What the batch does to every case: the operation and the command's parameters shared by all items. */
export interface BatchCommand {
  operation: BatchOperation;
  /** Why: the urge's or reassignment's reason; for a retry it is kept in the batch only. */
  reason: string;
  /** urge: whom (default `owner`). */
  target?: UrgeTarget;
  /** urge (target `department`): the department, where the item names none. */
  departmentId?: string;
  /** reassign: the new owner (staff) or the task's new assignee. */
  to?: Assignee;
  /** reassign: the task, where the item names none (none: the case's owner is reassigned). */
  taskId?: string;
}

export interface BatchInput extends BatchCommand {
  /** The batch's id (its workflow is `batch-<batchId>`): keys every update it sends, so none applies twice. */
  batchId: string;
  items: BatchItemInput[];
  /** The supervisor (or admin) on whose behalf every update is sent: the timeline's actor. */
  actor: Actor;
  /** ISO time the API accepted the batch. */
  createdAt: string;
}

export const batchItemStatuses = ['pending', 'applied', 'refused', 'failed'] as const;
export type BatchItemStatus = (typeof batchItemStatuses)[number];

export interface BatchItemResult {
  caseId: string;
  status: BatchItemStatus;
  /** Why it was refused or failed (the case's refusal), or what was done (the notices retried). */
  detail?: string;
  /** The refusal's type (workflows/case/messages rejections, or the delivery's) when refused. */
  reason?: string;
  /** ISO time the item was settled. */
  at?: string;
}

/** What applying one item answers: applied, or refused by the case (never retried). */
export interface BatchItemOutcome {
  status: 'applied' | 'refused';
  detail?: string;
  reason?: string;
}

export interface BatchState {
  batchId: string;
  operation: BatchOperation;
  status: 'running' | 'completed';
  total: number;
  /** Items settled so far: applied + refused + failed. */
  done: number;
  applied: number;
  refused: number;
  failed: number;
  items: BatchItemResult[];
  createdAt: string;
  completedAt?: string;
}

/** The batch workflow's type name (its export in workflows/index.ts): the API starts it by this name. */
export const batchWorkflowType = 'batchWorkflow';
export type BatchWorkflow = (input: BatchInput) => Promise<BatchState>;

/** The batch's workflow id. */
export const batchWorkflowId = (batchId: string): string => `batch-${batchId}`;

/**
 * The update id of one item's change: the same batch and case (and notice) always give the same id, and
 * Temporal applies an update id once per workflow run, so an item retried after a crash never applies twice.
 */
export const batchUpdateId = (batchId: string, caseId: string, notificationId?: string): string =>
  notificationId ? `batch-${batchId}-${caseId}-${notificationId}` : `batch-${batchId}-${caseId}`;

export const batchProgressQuery = defineQuery<BatchState>('batchProgress');
