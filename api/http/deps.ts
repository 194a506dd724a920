import type { Client } from '@temporalio/client';
import type { Logger } from 'pino';
import type { Config } from '../../config/index';
import type { Database } from '../../db/client';
import type { TemporalSettings } from '../../temporal/client';
import type { Auth } from './auth';
import type { StuckThresholds } from '../supervision/reasons';
import type { OutboundPolicy } from '../../activities/delivery/outbound';

/** What the API needs from the rest of the service; tests build the same object. */
export interface AppDeps {
  /**
   * METRICS_TOKEN: GET /metrics's bearer token; absent, /metrics answers loopback clients only. CORS_ORIGINS,
   * RATE_LIMIT_WRITES_PER_MINUTE: absent, CORS stays closed and writes are not limited (api/http/hardening.ts).
   * NODE_ENV: `production` hides the web console's demo sign-in (api/console/routes.ts); absent counts as development.
   */
  config: Pick<Config, 'BODY_LIMIT' | 'PUBLIC_URL'> & Partial<Pick<Config, 'METRICS_TOKEN' | 'CORS_ORIGINS' | 'RATE_LIMIT_WRITES_PER_MINUTE' | 'NODE_ENV'>>;
  database: Database;
  client: Client;
  temporal: TemporalSettings;
  auth: Auth;
  log: Logger;
  /** How long a case change waits for its workflow before the API answers 503 (default 10 s). */
  caseUpdateTimeoutMs?: number;
  /** What decides "stuck" beyond deadlines (config stuckThresholds); absent: the defaults of api/supervision/reasons.ts. */
  stuckThresholds?: Partial<StuckThresholds>;
  /** Which hosts partners' webhook URLs may reach (OUTBOUND_ALLOW); absent: loopback only, as in development and tests. */
  outbound?: OutboundPolicy;
}
