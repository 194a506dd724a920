import pino, { type Logger } from 'pino';

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
    },
    destination,
  );
}

export type { Logger };
