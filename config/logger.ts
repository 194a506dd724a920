import { AsyncLocalStorage } from 'node:async_hooks';
import pino, { type Logger } from 'pino';
import { safeError, safeErrorMessage } from './safe-errors';

/**
 * Structured JSON logs. Resident personal data never reaches a log line: these paths are
 * censored wherever they appear, and request bodies are not logged at all.
 */
export const redactPaths = [
  'req.headers.authorization',
  'req.headers.cookie',
  'resident',
  '*.resident',
  '*.*.resident',
  'phone',
  '*.phone',
  '*.*.phone',
  'idNumber',
  '*.idNumber',
  '*.*.idNumber',
];

export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  return pino(
    {
      level,
      base: { service: 'stationflow' },
      redact: { paths: redactPaths, censor: '[redacted]' },
      timestamp: pino.stdTimeFunctions.isoTime,
      // Errors without SQL or bound values (config/safe-errors.ts); the Temporal SDK logs its errors as `error`.
      serializers: { err: safeError, error: safeError },
      hooks: {
        // log.error(err) without a message: pino would take err.message (drizzle's carries SQL and parameters).
        logMethod(args, method) {
          const message = args.length === 1 ? safeErrorMessage(args[0]) : undefined;
          return message === undefined ? method.apply(this, args) : method.apply(this, [args[0], message] as unknown as typeof args);
        },
      },
      // Every line written while a request is handled names it, whichever logger writes it (api/http/hardening.ts).
      mixin: () => {
        const reqId = requestContext.getStore()?.reqId;
        return reqId === undefined ? {} : { reqId };
      },
    },
    destination,
  );
}

/** The request being handled, for its log lines: entered by the API's request-id middleware. */
export const requestContext = new AsyncLocalStorage<{ reqId: string }>();

export type { Logger };
