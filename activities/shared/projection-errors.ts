import { ApplicationFailure } from '@temporalio/common';
import { projectionRejectedType } from '../../workflows/shared/messages';

/**
 * How the activities that write the read model, the timeline, the outbox and the delivery log fail.
 *
 * A database error that can never succeed on retry — the data itself is refused — fails the activity
 * non-retryably (`ProjectionRejected`), so the workflow can record it and carry on instead of retrying
 * forever (workflows/projection-failures.ts). Anything else (connection refused or lost, the server
 * shutting down 57P01, serialization 40001, deadlock 40P01, out of resources 53xxx, …) is retried as usual.
 *
 * Either way the error the worker logs and Temporal stores carries the SQLSTATE and what was being
 * written, and nothing else: drizzle's "Failed query: … params: …" message holds the query's parameters
 * — the resident's name, phone and address — and PostgreSQL's own messages may quote the value refused.
 *
 * The activities do not strip or alter what they are given (NUL, which PostgreSQL text and jsonb cannot
 * hold, included): data is stored verbatim or refused visibly. The API refuses such text at the edge
 * (api/http/text.ts); only what bypasses it reaches here. The one exception is `storable`, which the
 * workflows ask for explicitly, after a refusal, for the rows a case or whistle cannot do without.
 */

/**
 * SQLSTATE classes that no retry can fix: 21 cardinality violation, 22 data exception (22P05 unsupported
 * Unicode escape — NUL in jsonb, 22021 invalid byte sequence — NUL in text, 22001 too long …),
 * 23 integrity constraint violation (the conflicts the writes expect are absorbed by onConflict), 42 syntax
 * error or access rule violation, 54 program limit exceeded.
 */
const permanentClasses = new Set(['21', '22', '23', '42', '54']);

const sqlStatePattern = /^[0-9A-Z]{5}$/;

/** The SQLSTATE of a database error, looking through wrappers (drizzle's DrizzleQueryError keeps it as cause). */
export function sqlStateOf(err: unknown): string | undefined {
  for (let e = err, depth = 0; e && typeof e === 'object' && depth < 8; e = (e as { cause?: unknown }).cause, depth++) {
    const { code, syscall } = e as { code?: unknown; syscall?: unknown };
    // Node's system errors (ECONNREFUSED, EPIPE …) also have a code; they are not SQLSTATEs.
    if (typeof code === 'string' && sqlStatePattern.test(code) && syscall === undefined) return code;
  }
  return undefined;
}

/** A short, data-free name of an error that is not the database's: a Node error code or the error's class. */
function errorName(err: unknown): string {
  for (let e = err, depth = 0; e && typeof e === 'object' && depth < 8; e = (e as { cause?: unknown }).cause, depth++) {
    const { code } = e as { code?: unknown };
    if (typeof code === 'string' && code) return code;
  }
  return err instanceof Error ? err.name : typeof err;
}

/** True when the database refused the data itself: retrying the same write cannot succeed. */
export function isPermanent(code: string | undefined): boolean {
  return code !== undefined && permanentClasses.has(code.slice(0, 2));
}

/** The failure an activity raises when its write of `what` failed (see above). */
export function projectionFailure(err: unknown, what: string): ApplicationFailure {
  if (err instanceof ApplicationFailure) return err;
  const code = sqlStateOf(err);
  if (isPermanent(code)) {
    return ApplicationFailure.create({
      message: `the database refused ${what} (SQLSTATE ${code}); not retried`,
      type: projectionRejectedType,
      nonRetryable: true,
      details: [{ code, what }],
    });
  }
  return ApplicationFailure.create({
    message: `could not write ${what} (${code ? `SQLSTATE ${code}` : errorName(err)}); retrying`,
    type: 'ProjectionUnavailable',
    nonRetryable: false,
    details: [{ code: code ?? errorName(err), what }],
  });
}

/** Runs a database write of `what`, failing it as `projectionFailure` says. */
export async function writing<T>(what: string, write: () => Promise<T>): Promise<T> {
  try {
    return await write();
  } catch (err) {
    throw projectionFailure(err, what);
  }
}

/** What PostgreSQL text and jsonb cannot hold: NUL and lone UTF-16 surrogates. */
const unstorable = /\u0000|\p{Cs}/gu;

/**
 * A copy of `value` with every character PostgreSQL cannot store replaced by U+FFFD (the visible
 * replacement character). Only for the rows a workflow must have after a refusal (the case row at opening,
 * the whistle row), which it asks for explicitly and marks in the timeline.
 */
export function storable<T>(value: T): T {
  if (typeof value === 'string') return value.replace(unstorable, '\ufffd') as T;
  if (Array.isArray(value)) return value.map((v) => storable(v)) as T;
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [storable(k), storable(v)])) as T;
  }
  return value;
}
