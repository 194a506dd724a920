import { ApplicationFailure, TemporalFailure } from '@temporalio/common';
import type { ActivityInterceptorsFactory } from '@temporalio/worker';
import { safeError } from '../config/safe-errors';

/**
 * Payloads are encrypted (temporal/codec.ts), but an activity's failure — its message, stack and causes — is
 * stored by Temporal as it is, in the history and in the pending activity's last failure, and the worker
 * notes it for supervisors (temporal/problems.ts). A database error carries the statement and what was bound
 * to it (drizzle's "Failed query: … params: …", a value quoted in PostgreSQL's message): resident data. Such a
 * failure leaves the activity as the same error — same name, so retry policies and non-retryable types still
 * apply; an ApplicationFailure stays one, with its flags — told as config/safe-errors.ts tells it to logs.
 */

const maxDepth = 5;

/** Whether `err` or one of its causes says more than its safe form. */
function unsafe(err: unknown, depth = 0): err is Error {
  if (!(err instanceof Error) || depth > maxDepth) return false;
  if ((safeError(err) as { message: string }).message !== err.message) return true;
  return unsafe(err.cause, depth + 1);
}

function rebuilt(err: Error, depth = 0): Error {
  const { message, stack } = safeError(err) as { message: string; stack: string };
  const cause = err.cause instanceof Error && depth < maxDepth ? rebuilt(err.cause, depth + 1) : undefined;
  const out =
    err instanceof ApplicationFailure
      ? ApplicationFailure.create({ type: err.type ?? undefined, message, nonRetryable: err.nonRetryable ?? undefined, nextRetryDelay: err.nextRetryDelay ?? undefined, category: err.category ?? undefined, cause })
      : Object.assign(new Error(message, { cause }), { name: err.name });
  out.stack = stack;
  return out;
}

/** The error an activity's failure is stored as: `err` itself unless it (or a cause) carries SQL or bound values. */
export function safeFailure(err: unknown): unknown {
  // Temporal's own failures (cancellation, timeouts) carry no database text; an ApplicationFailure may wrap some.
  if (err instanceof TemporalFailure && !(err instanceof ApplicationFailure)) return err;
  return unsafe(err) ? rebuilt(err) : err;
}

/** Innermost of the worker's activity interceptors: what the others and Temporal see is already safe. */
export const safeFailuresInterceptor: ActivityInterceptorsFactory = () => ({
  inbound: {
    async execute(input, next) {
      try {
        return await next(input);
      } catch (err) {
        throw safeFailure(err);
      }
    },
  },
});
