import path from 'node:path';
import { Auth, resolveAuthSecret } from '../api/http/auth';
import { seedCalendar } from '../db/calendar';
import { type Database, openDatabase } from '../db/client';
import { seedDemoData } from '../db/seed';
import type { TemporalSettings } from '../temporal/client';
import { payloadKeys } from '../temporal/codec';
import { temporalAccess } from '../temporal/connection';
import { type DeliveryConfig, defaultDeliveryConfig } from '../activities/delivery/config';
import { outboundPolicy } from '../activities/delivery/outbound';
import type { Config } from './index';
import type { Logger } from './logger';

/** Boot steps shared by `npm start`, `npm run api` and `npm run worker`. */

/** postgres.js on DATABASE_URL, else an embedded PGlite persisted under DATA_DIR/pglite. */
export async function openConfiguredDatabase(config: Config): Promise<Database> {
  return openDatabase(config.DATABASE_URL ? { url: config.DATABASE_URL } : { pgliteDir: path.join(config.dataDir, 'pglite') });
}

/**
 * Applies committed migrations, the idempotent demo master data and the official working-day calendar.
 * Under one lock across processes: a worker and an API (or several replicas) booting at once against a
 * fresh PostgreSQL would otherwise each run the migrations — and the seeds — at the same time, and all but
 * one fail. The later ones wait, then find everything applied.
 */
export async function prepareDatabase(database: Database): Promise<void> {
  await database.withLock('stationflow:prepare-database', async () => {
    await database.migrate();
    await seedDemoData(database.db);
    await seedCalendar(database.db);
  });
}

export function temporalSettings(config: Config, address: string): TemporalSettings {
  return {
    address,
    namespace: config.TEMPORAL_NAMESPACE,
    taskQueue: config.TEMPORAL_TASK_QUEUE,
    uiUrl: config.TEMPORAL_UI_URL ?? (config.TEMPORAL_ADDRESS ? undefined : `http://localhost:${config.TEMPORAL_UI_PORT}`),
    payloadKeys: payloadKeys(config),
    // TLS and API keys are for a configured cluster; the embedded dev server (no TEMPORAL_ADDRESS) speaks plain gRPC.
    access: config.TEMPORAL_ADDRESS ? temporalAccess(config) : undefined,
  };
}

export function createAuth(config: Config): Auth {
  return new Auth(resolveAuthSecret(config), config.AUTH_ISSUER, config.AUTH_TOKEN_TTL, {
    publicKey: config.AUTH_PUBLIC_KEY,
    jwksUrl: config.AUTH_JWKS_URL,
    audience: config.AUTH_AUDIENCE,
    keyIssuer: config.AUTH_KEY_ISSUER,
    clockSkewSeconds: config.AUTH_CLOCK_SKEW,
  });
}

/**
 * The API's base URL that partners reply to (`reply.url` of a webhook notice, the reply address in mail and
 * SMS): PUBLIC_URL; without it, outside production, where the API listens (HOST, PORT — a wildcard HOST as
 * localhost). In production without PUBLIC_URL there is none: partners cannot reply.
 */
export function replyBaseUrl(config: Pick<Config, 'PUBLIC_URL' | 'NODE_ENV' | 'HOST' | 'PORT'>): string | undefined {
  if (config.PUBLIC_URL) return config.PUBLIC_URL;
  if (config.NODE_ENV === 'production') return undefined;
  const host = config.HOST === '0.0.0.0' || config.HOST === '::' ? 'localhost' : config.HOST.includes(':') ? `[${config.HOST}]` : config.HOST;
  return `http://${host}:${config.PORT}`;
}

/** Said once at boot (log line, `npm start` banner) when partners have no address to reply to. */
export const noReplyUrlWarning = 'PUBLIC_URL is not set: partners cannot reply (notices carry no reply.url) until it is';

/**
 * The partner channels' settings. Without SMTP_URL, development mail is written under DATA_DIR/mail. With
 * `log`, warns once when partners cannot reply (production without PUBLIC_URL).
 */
export function deliveryConfig(config: Config, log?: Pick<Logger, 'warn'>): DeliveryConfig {
  const publicUrl = replyBaseUrl(config);
  if (!publicUrl) log?.warn(noReplyUrlWarning);
  return {
    ...defaultDeliveryConfig,
    timeoutMs: config.DELIVERY_TIMEOUT,
    retryWindowMs: config.DELIVERY_RETRY_WINDOW,
    deadLetterKeepMs: config.DEAD_LETTER_KEEP,
    smtpUrl: config.SMTP_URL,
    mailFrom: config.MAIL_FROM,
    mailDir: config.SMTP_URL || config.NODE_ENV === 'production' ? undefined : path.join(config.dataDir, 'mail'),
    smsGatewayUrl: config.SMS_GATEWAY_URL,
    smsGatewayToken: config.SMS_GATEWAY_TOKEN,
    publicUrl,
    outbound: outboundPolicy(config.OUTBOUND_ALLOW, config.NODE_ENV),
  };
}
