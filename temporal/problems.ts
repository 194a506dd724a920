import { ApplicationFailure } from '@temporalio/common';
import type { ActivityInboundCallsInterceptor, ActivityInterceptorsFactory } from '@temporalio/worker';
import { and, eq, sql } from 'drizzle-orm';
import type { Logger } from 'pino';
import type { Db } from '../db/client';
import { workflowProblems } from '../db/schema';
import { safeErrorMessage } from '../config/safe-errors';

/**
 * Supervision's "activity retrying": the worker notes every activity that fails and is going to be tried
 * again (workflow_problems, one row per activity while it keeps failing) and removes the note when it
 * succeeds or gives up for good. The stuck query lists the notes with enough attempts; nothing asks
 * Temporal to describe every workflow. Best effort: when the database itself is what fails, the note
 * cannot be written (the worker's log has the failure).
 */

/** The failure's name and message, without stack or SQL (config/safe-errors.ts), cut to what a supervisor reads. */
export const failureText = (err: unknown): string => {
  const e = err as { name?: string; message?: string; type?: string };
  const text = `${e?.type ?? e?.name ?? 'Error'}: ${safeErrorMessage(err) ?? e?.message ?? String(err)}`;
  return text.length > 500 ? `${text.slice(0, 497)}...` : text;
};

/** Will Temporal try this activity again after this failure? */
function willRetry(err: unknown, attempt: number, policy: { maximumAttempts?: number; nonRetryableErrorTypes?: string[] } | undefined): boolean {
  if (err instanceof ApplicationFailure && err.nonRetryable) return false;
  const type = err instanceof ApplicationFailure ? err.type : (err as Error | undefined)?.name;
  if (type && policy?.nonRetryableErrorTypes?.includes(type)) return false;
  return !(policy?.maximumAttempts && attempt >= policy.maximumAttempts);
}

export function problemsInterceptor(db: Db, log?: Logger): ActivityInterceptorsFactory {
  return (ctx) => {
    const inbound: ActivityInboundCallsInterceptor = {
      async execute(input, next) {
        const { info } = ctx;
        const workflowId = info.workflowExecution?.workflowId;
        const key = workflowId ? and(eq(workflowProblems.workflowId, workflowId), eq(workflowProblems.activityId, info.activityId)) : undefined;
        const forget = () =>
          key && info.attempt > 1
            ? db
                .delete(workflowProblems)
                .where(key)
                .catch((e: unknown) => log?.warn({ workflowId, activityType: info.activityType, err: failureText(e) }, 'activity problem not cleared'))
            : undefined;
        try {
          const result = await next(input);
          await forget();
          return result;
        } catch (err) {
          if (!workflowId) throw err;
          if (!willRetry(err, info.attempt, info.retryPolicy)) {
            await forget();
            throw err;
          }
          const now = new Date();
          const row = { workflowId, activityId: info.activityId, activityType: info.activityType, local: info.isLocal, attempt: info.attempt, lastFailure: failureText(err), firstFailedAt: now, lastFailedAt: now };
          await db
            .insert(workflowProblems)
            .values(row)
            .onConflictDoUpdate({
              target: [workflowProblems.workflowId, workflowProblems.activityId],
              set: { attempt: sql`greatest(${workflowProblems.attempt}, excluded.attempt)`, lastFailure: row.lastFailure, lastFailedAt: now },
            })
            .catch((e: unknown) => log?.warn({ workflowId, activityType: info.activityType, err: failureText(e) }, 'activity problem not recorded'));
          throw err;
        }
      },
    };
    return { inbound };
  };
}
