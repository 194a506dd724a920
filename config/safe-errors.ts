/**
 * How an error reaches a log line (pino's `err` and `error` keys): like pino's own serializer — type, message,
 * stack, cause — but never with SQL or what was bound to it. A database error carries the statement and its
 * parameters (drizzle's "Failed query: … params: …" message, PGlite's `query`/`params`, postgres.js's
 * `query`/`parameters`) and often a value in its message or `detail` (`Key (phone)=(138…) already exists`,
 * `invalid input syntax for type uuid: "…"`): those are resident data. What is kept is what an operator needs —
 * the SQLSTATE code, severity, table, column, constraint — and the message with its quoted values masked.
 */

/** Properties never copied from any error: SQL, bound values, a parser's raw request body. */
const withheld = new Set(['query', 'params', 'parameters', 'args', 'types', 'queryOptions', 'detail', 'where', 'hint', 'internalQuery', 'body', 'stack', 'message', 'cause', 'errors']);

/** What a database error may say besides its message, no values: PGlite's names, and postgres.js's (`table_name`) as the same. */
const databaseFacts = ['code', 'severity', 'schema', 'table', 'column', 'constraint', 'dataType', 'routine'];

type ErrorLike = Error & Record<string, unknown>;

/** drizzle's DrizzleQueryError: "Failed query: <sql>\nparams: <values>" with the driver's error as its cause. */
const isFailedQuery = (e: ErrorLike) => typeof e.query === 'string' && 'params' in e;

/** A PostgreSQL error as postgres.js (PostgresError) or PGlite (DatabaseError) raises it: a SQLSTATE and a severity. */
const isDatabaseError = (e: ErrorLike) => typeof e.code === 'string' && /^[0-9A-Z]{5}$/.test(e.code) && typeof e.severity === 'string';

/** Quoted text and `(column)=(value)` pairs replaced: PostgreSQL puts the offending value there. */
export const maskQuoted = (message: string) => message.replace(/\([^)]*\)=\([^)]*\)/g, '(…)=(…)').replace(/"[^"]*"|'[^']*'/g, '"…"');

const frames = (stack: unknown) =>
  typeof stack === 'string'
    ? stack
        .split('\n')
        .filter((line) => /^\s+at /.test(line))
        .join('\n')
    : '';

function serialize(err: ErrorLike, depth: number): Record<string, unknown> {
  // PGlite's own error is both: a SQLSTATE, and its statement and parameters attached.
  const database = isDatabaseError(err);
  const failedQuery = !database && isFailedQuery(err);
  const type = database ? 'DatabaseError' : err.constructor?.name && err.constructor.name !== 'Object' ? err.constructor.name : err.name;
  const message = failedQuery
    ? failedQuerySaid
    : database
      ? maskQuoted(String(err.message))
      : String(err.message);
  // The stack's first line repeats the message (drizzle's carries the SQL there): rebuilt from the safe message.
  const stackFrames = frames(err.stack);
  const out: Record<string, unknown> = { type, message, stack: `${database ? type : err.name}: ${message}${stackFrames ? `\n${stackFrames}` : ''}` };
  if (database) {
    for (const key of databaseFacts) {
      const value = err[key] ?? err[`${key}_name`];
      if (value !== undefined && value !== null) out[key] = value;
    }
  } else if (!failedQuery) {
    for (const key of Object.keys(err)) {
      if (withheld.has(key)) continue;
      const value = err[key];
      out[key] = isError(value) ? (depth < 5 ? serialize(value, depth + 1) : String(value.name)) : value;
    }
  }
  if (isError(err.cause) && depth < 5) out.cause = serialize(err.cause, depth + 1);
  if (Array.isArray(err.errors) && depth < 5) out.errors = err.errors.map((e) => (isError(e) ? serialize(e, depth + 1) : e));
  return out;
}

/** drizzle's message as text (`err: e.message`): from its start on, the statement and the parameters. */
const failedQueryText = /Failed query: [\s\S]*$/;
const failedQuerySaid = 'Failed query (its statement and parameters are not logged)';

/** pino serializer for `err` and `error`: an error as above, drizzle's message given as text cut, anything else as it is. */
export function safeError(value: unknown): unknown {
  if (typeof value === 'string') return value.replace(failedQueryText, failedQuerySaid);
  return isError(value) ? serialize(value, 0) : value;
}

/** The message `log.error(err)` takes from the error when given none: the same safe message as `err.message`. */
export function safeErrorMessage(value: unknown): string | undefined {
  return isError(value) ? String(serialize(value, 5).message) : undefined;
}

/** An Error, also one from another realm (the workflow sandbox's): a message and a stack. */
const isError = (value: unknown): value is ErrorLike =>
  value instanceof Error || (typeof value === 'object' && value !== null && typeof (value as ErrorLike).message === 'string' && typeof (value as ErrorLike).stack === 'string');
