import { ActivityFailure, ApplicationFailure } from '@temporalio/workflow';
import type { EventType } from './events';
import { projectionRejectedType } from './messages';

/**
 * The SQLSTATE of a projection write the database refused for good (activities/projection-errors.ts
 * fails it non-retryably as `ProjectionRejected`); undefined for any other failure, which the caller
 * rethrows. Case and whistle runs catch it in their timeline writes, keep it in their state, write a
 * `timeline.write-failed` marker and carry on: one bad value never blocks a case or a whistle.
 */
export function projectionRejection(err: unknown): string | undefined {
  if (!(err instanceof ActivityFailure) || !(err.cause instanceof ApplicationFailure) || err.cause.type !== projectionRejectedType) return undefined;
  const detail = err.cause.details?.[0] as { code?: unknown } | undefined;
  return typeof detail?.code === 'string' ? detail.code : 'unknown';
}

/** The marker's data: only what can always be written (no text of the refused event). */
export const writeFailedType = 'timeline.write-failed' satisfies EventType;
