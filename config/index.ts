import net from 'node:net';
import path from 'node:path';
import { z } from 'zod';
import { publicKeyAlgorithm } from './auth-keys';
import { parsePayloadKeys } from './payload-keys';
import { outboundAllowError, outboundPolicy, refusedLiteralUrl } from '../activities/delivery/outbound';

/**
 * Every environment variable stationflow reads, validated once at boot.
 * Documented in README.md ("Configuration"); keep the two in step.
 */
const optionalString = z
  .string()
  .trim()
  .transform((v) => (v === '' ? undefined : v))
  .optional();

const port = (fallback: number) =>
  z.coerce
    .number({ error: 'must be a port number' })
    .int('must be a whole number')
    .min(1, 'must be between 1 and 65535')
    .max(65535, 'must be between 1 and 65535')
    .default(fallback);

const url = (what: string) =>
  optionalString.pipe(
    z
      .string()
      .refine((v) => URL.canParse(v), { message: `must be a ${what} URL` })
      .optional(),
  );

/** A whole number of at least `min`. */
const count = (fallback: number, min: number) =>
  z.coerce
    .number({ error: 'must be a whole number' })
    .int('must be a whole number')
    .min(min, `must be at least ${min}`)
    .default(fallback);

/** 500ms, 5s, 30m, 8h or 30d (already checked against the pattern) in milliseconds. */
function durationMs(v: string): number {
  const [, n, unit] = v.match(/^(\d+)\s?(ms|s|m|h|d)$/)!;
  return Number(n) * { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 }[unit as 'ms' | 's' | 'm' | 'h' | 'd'];
}

/** A duration such as 500ms, 5s, 30m, 8h or 30d, in milliseconds. */
const duration = (fallback: string) =>
  z
    .string()
    .trim()
    .default(fallback)
    .pipe(z.string().regex(/^\d+\s?(ms|s|m|h|d)$/, 'must look like 500ms, 5s, 30m, 8h or 30d'))
    .transform(durationMs)
    .pipe(z.number().int().positive('must be longer than zero'));

/**
 * `ip:port` (an IPv6 address in brackets) with a port of 1–65535, as the Temporal runtime's Prometheus exporter
 * binds it (it takes no host names): its host and port, or undefined when it is not one.
 */
export function splitBindAddress(v: string): { host: string; port: number } | undefined {
  const m = /^(?:\[([^\]]+)\]|([^:[\]]+)):(\d{1,5})$/.exec(v);
  const port = Number(m?.[3]);
  if (!m || port < 1 || port > 65535) return undefined;
  if (m[1] !== undefined ? !net.isIPv6(m[1]) : !net.isIPv4(m[2]!)) return undefined;
  return { host: m[1] ?? m[2]!, port };
}

export const configSchema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  HOST: z.string().trim().min(1).default('127.0.0.1'),
  PORT: port(3000),
  PUBLIC_URL: url('http(s)'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  BODY_LIMIT: z
    .string()
    .regex(/^\d+(b|kb|mb)$/i, 'must look like 100kb or 1mb')
    .default('100kb'),
  /* How long the API waits for a client (README "Configuration"): past it, 408 and the connection is closed. */
  REQUEST_TIMEOUT: duration('30s').pipe(z.number().max(600_000, 'must be at most 10m')),
  HEADERS_TIMEOUT: duration('10s').pipe(z.number().max(600_000, 'must be at most 10m')),
  KEEP_ALIVE_TIMEOUT: duration('5s').pipe(z.number().max(600_000, 'must be at most 10m')),
  DATA_DIR: z.string().trim().min(1).default('./data'),

  DATABASE_URL: optionalString.pipe(
    z
      .string()
      .regex(/^postgres(ql)?:\/\/\S+$/, 'must be a postgres:// URL')
      .optional(),
  ),

  TEMPORAL_ADDRESS: optionalString.pipe(
    z
      .string()
      .regex(/^[^\s:/]+:\d{1,5}$/, 'must be host:port, e.g. localhost:7233')
      .optional(),
  ),
  TEMPORAL_NAMESPACE: z.string().trim().min(1).default('default'),
  TEMPORAL_TASK_QUEUE: z.string().trim().min(1).default('stationflow'),
  TEMPORAL_UI_URL: url('http(s)'),
  TEMPORAL_CLI_PATH: optionalString,
  TEMPORAL_DEV_PORT: port(7233),
  TEMPORAL_UI_PORT: port(8233),
  /* How the API and worker reach Temporal (README "Temporal connection: TLS, mTLS, API keys"); see temporal/connection.ts. */
  TEMPORAL_TLS: optionalString.pipe(z.enum(['true', 'false', 'on', 'off', '1', '0'], { error: 'must be true or false' }).optional()),
  TEMPORAL_TLS_CA: optionalString,
  TEMPORAL_TLS_CERT: optionalString,
  TEMPORAL_TLS_KEY: optionalString,
  TEMPORAL_TLS_SERVER_NAME: optionalString,
  TEMPORAL_API_KEY: optionalString,
  /* The keys that encrypt Temporal payloads (README "Resident data in Temporal"): id:base64(32 bytes), newest first. */
  PAYLOAD_KEYS: optionalString.pipe(
    z
      .string()
      .superRefine((v, ctx) => {
        try {
          parsePayloadKeys(v);
        } catch (err) {
          ctx.addIssue({ code: 'custom', message: (err as Error).message });
        }
      })
      .optional(),
  ),

  AUTH_SECRET: optionalString.pipe(
    z.string().min(32, 'must be at least 32 characters').optional(),
  ),
  AUTH_ISSUER: z.string().trim().min(1).default('stationflow'),
  AUTH_TOKEN_TTL: z
    .string()
    .regex(/^\d+\s?(s|m|h|d)$/, 'must look like 30m, 8h or 7d')
    .default('12h'),
  /* Tokens of an identity provider (README "Security"): its public key or JWKS, the audience, its issuer, the clock skew. */
  AUTH_PUBLIC_KEY: optionalString.pipe(
    z
      .string()
      .transform((v) => v.replace(/\\n/g, '\n'))
      .superRefine((v, ctx) => {
        try {
          publicKeyAlgorithm(v);
        } catch (err) {
          ctx.addIssue({ code: 'custom', message: (err as Error).message });
        }
      })
      .optional(),
  ),
  AUTH_JWKS_URL: url('http(s)'),
  AUTH_AUDIENCE: optionalString,
  AUTH_KEY_ISSUER: optionalString,
  AUTH_CLOCK_SKEW: z
    .string()
    .trim()
    .default('30s')
    .pipe(z.string().regex(/^\d+\s?(s|m)$/, 'must look like 0s, 30s or 2m'))
    .transform((v) => Number(v.match(/^\d+/)![0]) * (v.endsWith('m') ? 60 : 1))
    .pipe(z.number().max(300, 'must be at most 5m')),

  /* Delivery of notices to partners and departments (README "Partner notifications"). */
  SMTP_URL: optionalString.pipe(
    z
      .string()
      .regex(/^smtps?:\/\/\S+$/, 'must be an smtp:// or smtps:// URL')
      .optional(),
  ),
  MAIL_FROM: z.string().trim().min(3).default('stationflow <noreply@stationflow.local>'),
  SMS_GATEWAY_URL: url('http(s)'),
  SMS_GATEWAY_TOKEN: optionalString,
  DELIVERY_TIMEOUT: duration('5s'),
  DELIVERY_RETRY_WINDOW: duration('30m'),
  DEAD_LETTER_KEEP: duration('30d'),
  /* Hosts, addresses and CIDR ranges webhooks and the SMS gateway may reach although not public (README "Outbound URLs"). */
  OUTBOUND_ALLOW: optionalString.pipe(
    z
      .string()
      .superRefine((v, ctx) => {
        const why = outboundAllowError(v);
        if (why) ctx.addIssue({ code: 'custom', message: why });
      })
      .optional(),
  ),

  /* Monitoring (README "Metrics"): GET /metrics's bearer token; where the worker's Temporal runtime serves Prometheus metrics. */
  METRICS_TOKEN: optionalString.pipe(
    z
      .string()
      .min(32, 'must be at least 32 characters')
      .regex(/^[\x21-\x7e]+$/, 'must be printable ASCII without spaces (it is sent as "Authorization: Bearer <token>")')
      .optional(),
  ),
  WORKER_METRICS_ADDRESS: optionalString.pipe(
    z
      .string()
      .refine((v) => splitBindAddress(v) !== undefined, { message: 'must be ip:port, e.g. 127.0.0.1:9464, 0.0.0.0:9464 or [::1]:9464 (an IP address, not a host name)' })
      .optional(),
  ),

  /* The worker's memory and concurrency bounds (README "Configuration"); see workerTuning below. */
  WORKER_MAX_CACHED_WORKFLOWS: count(100, 0),
  WORKER_MAX_CONCURRENT_WORKFLOW_TASKS: count(40, 2),
  WORKER_MAX_CONCURRENT_ACTIVITIES: count(100, 1),
  WORKER_MAX_CONCURRENT_LOCAL_ACTIVITIES: count(100, 1),

  /* What makes a case stuck beyond its deadlines (README "Supervision"); see stuckThresholds below. */
  STUCK_IDLE_AFTER: duration('2d'),
  STUCK_AWAITING_RESIDENT_AFTER: duration('7d'),
  STUCK_ACTIVITY_ATTEMPTS: count(3, 1),
  STUCK_WORKFLOW_TASK_ATTEMPTS: count(2, 1),

  /* Retention (README "Security"): a closed case's personal data is erased this long after its closure; `off` keeps it. */
  RETENTION_AFTER_CLOSE: z
    .string()
    .trim()
    .default('1095d')
    .refine((v) => v === 'off' || /^\d+\s?(ms|s|m|h|d)$/.test(v), 'must be off, or a duration such as 1095d, 365d or 12h')
    .transform((v) => (v === 'off' ? undefined : durationMs(v)))
    .refine((v) => v === undefined || v > 0, 'must be longer than zero (or off)'),

  /* HTTP hardening (README "Security"): browser origins allowed to call the API; writes per token per minute. */
  CORS_ORIGINS: z
    .string()
    .trim()
    .default('')
    .transform((v) => v.split(',').map((o) => o.trim()).filter(Boolean))
    .pipe(
      z.array(
        z.string().refine((o) => !o.includes('*') && URL.canParse(o) && new URL(o).origin === o, {
          message: 'must be a comma-separated list of exact origins such as https://ops.example.org (scheme, host and port only: no path, no trailing slash, no *)',
        }),
      ),
    ),
  // Empty is unset (the default), not 0 (no limit): 0 must be asked for.
  RATE_LIMIT_WRITES_PER_MINUTE: z.preprocess((v) => (typeof v === 'string' && v.trim() === '' ? undefined : v), count(600, 0)),
}).superRefine((c, ctx) => {
  if ((c.AUTH_PUBLIC_KEY || c.AUTH_JWKS_URL) && !c.AUTH_AUDIENCE) {
    ctx.addIssue({
      code: 'custom',
      path: ['AUTH_AUDIENCE'],
      message: "must be set with AUTH_PUBLIC_KEY or AUTH_JWKS_URL (the identity provider's tokens must name stationflow as their audience)",
    });
  }
  if (Boolean(c.TEMPORAL_TLS_CERT) !== Boolean(c.TEMPORAL_TLS_KEY)) {
    ctx.addIssue({
      code: 'custom',
      path: [c.TEMPORAL_TLS_CERT ? 'TEMPORAL_TLS_KEY' : 'TEMPORAL_TLS_CERT'],
      message: 'must be set together with TEMPORAL_TLS_CERT and TEMPORAL_TLS_KEY (a client certificate and its private key, for mTLS)',
    });
  }
  const smsRefused = c.SMS_GATEWAY_URL && refusedLiteralUrl(c.SMS_GATEWAY_URL, outboundPolicy(c.OUTBOUND_ALLOW, c.NODE_ENV));
  if (smsRefused) {
    ctx.addIssue({ code: 'custom', path: ['SMS_GATEWAY_URL'], message: `${smsRefused} (README "Outbound URLs")` });
  }
  if (c.HEADERS_TIMEOUT > c.REQUEST_TIMEOUT) {
    ctx.addIssue({
      code: 'custom',
      path: ['HEADERS_TIMEOUT'],
      message: `must not be longer than REQUEST_TIMEOUT (${c.HEADERS_TIMEOUT} ms > ${c.REQUEST_TIMEOUT} ms)`,
    });
  }
});

export type Config = z.infer<typeof configSchema> & { dataDir: string };

/** Never echoed in an error line: they carry credentials. */
const secretVariables = new Set(['AUTH_SECRET', 'DATABASE_URL', 'SMTP_URL', 'SMS_GATEWAY_TOKEN', 'METRICS_TOKEN', 'PAYLOAD_KEYS', 'TEMPORAL_API_KEY']);

export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** One line per problem, naming the variable: `PORT must be between 1 and 65535 (got "70000")`. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = configSchema.safeParse(env);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((issue) => {
      const name = String(issue.path[0] ?? 'configuration');
      const got = secretVariables.has(name) ? undefined : env[name];
      return `${name} ${issue.message}${got === undefined ? '' : ` (got ${JSON.stringify(got)})`}`;
    });
    throw new ConfigError(`Invalid configuration: ${lines.join('; ')}`);
  }
  return { ...parsed.data, dataDir: path.resolve(parsed.data.DATA_DIR) };
}

/**
 * The worker's bounds, for temporal/worker.ts: how many workflows it keeps in its sticky cache (the main
 * term of its memory: without the bound the SDK sizes the cache from the heap limit) and how many
 * workflow tasks, activities and local activities it runs at once.
 */
export function workerTuning(config: Config) {
  return {
    maxCachedWorkflows: config.WORKER_MAX_CACHED_WORKFLOWS,
    maxConcurrentWorkflowTaskExecutions: config.WORKER_MAX_CONCURRENT_WORKFLOW_TASKS,
    maxConcurrentActivityTaskExecutions: config.WORKER_MAX_CONCURRENT_ACTIVITIES,
    maxConcurrentLocalActivityExecutions: config.WORKER_MAX_CONCURRENT_LOCAL_ACTIVITIES,
  };
}

/**
 * Supervision's thresholds, for the API's stuck query: idle without progress (for deadline classes without
 * their own idle_after_hours), paused for the resident, and failed attempts of an activity or workflow task.
 */
export function stuckThresholds(config: Config) {
  return {
    idleAfterMs: config.STUCK_IDLE_AFTER,
    awaitingResidentAfterMs: config.STUCK_AWAITING_RESIDENT_AFTER,
    activityAttempts: config.STUCK_ACTIVITY_ATTEMPTS,
    workflowTaskAttempts: config.STUCK_WORKFLOW_TASK_ATTEMPTS,
  };
}

/** Entry points that serve production (`npm run api`, `npm run worker`) need external services. */
export function requireExternalServices(config: Config): void {
  const missing = (['DATABASE_URL', 'TEMPORAL_ADDRESS', 'AUTH_SECRET', 'PAYLOAD_KEYS'] as const).filter((k) => !config[k]);
  if (missing.length > 0) {
    throw new ConfigError(
      `Invalid configuration: ${missing.join(', ')} must be set for a separate worker or API process (use "npm start" for the embedded defaults)`,
    );
  }
}

/** Run an entry point's main, turning a configuration error into one clear line and exit code 2. */
export function runMain(main: () => Promise<void>): void {
  main().catch((err: unknown) => {
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\n`);
      process.exit(2);
    }
    process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  });
}
