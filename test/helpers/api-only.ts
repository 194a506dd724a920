import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Connection } from '@temporalio/client';
import { createApp } from '../../api/app';
import { Auth, type AuthOptions } from '../../api/http/auth';
import { createLogger } from '../../config/logger';
import type { Database } from '../../db/client';
import { clientOn } from '../../temporal/client';
import { testPayloadKeys } from './payload-keys';
import { freePort } from './ports';
import { testSecret } from './stack';

/**
 * The API as `npm run api` builds it on `database`, with tokens verified as `options` say, for tests of routes
 * that ask Temporal nothing (tokens, master data, the audit): its Temporal address is one where nothing listens.
 */
export async function startApiOnly(database: Database, options: AuthOptions = {}, config: { NODE_ENV?: 'development' | 'production' | 'test' } = {}): Promise<{ url: string; auth: Auth; stop(): Promise<void> }> {
  const auth = new Auth(testSecret, 'stationflow', '1h', { jwksCooldownMs: 0, ...options });
  const temporal = { address: `127.0.0.1:${await freePort()}`, namespace: 'default', taskQueue: 'unused', payloadKeys: testPayloadKeys };
  const app = createApp({
    config: { BODY_LIMIT: '100kb', PUBLIC_URL: undefined, ...config },
    database,
    client: clientOn(Connection.lazy({ address: temporal.address, connectTimeout: 500 }), temporal),
    temporal,
    auth,
    log: createLogger('silent'),
  });
  const server = http.createServer(app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    auth,
    stop: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
