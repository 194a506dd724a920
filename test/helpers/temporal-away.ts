import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Connection } from '@temporalio/client';
import { createApp } from '../../api/app';
import { createLogger } from '../../config/logger';
import { clientOn } from '../../temporal/client';
import { freePort } from './ports';
import type { Stack } from './stack';

/**
 * Runs `fn` against the same API and database as `stack`, but with a Temporal address where nothing
 * listens (a dev server that died), then stops that API.
 */
export async function withTemporalAway<T>(stack: Stack, fn: (down: { url: string }) => Promise<T>): Promise<T> {
  const connection = Connection.lazy({ address: `127.0.0.1:${await freePort()}`, connectTimeout: 1000 });
  const app = createApp({
    config: { BODY_LIMIT: '100kb', PUBLIC_URL: undefined },
    database: stack.database,
    client: clientOn(connection, stack.temporal),
    temporal: stack.temporal,
    auth: stack.auth,
    log: createLogger('silent'),
  });
  const server = http.createServer(app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    return await fn({ url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` });
  } finally {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    // The connection is left open: the SDK's gRPC retry interceptor keeps retry timers for a call that was
    // given up, and one that fires on a closed channel throws outside any promise (in the next test file).
  }
}
