import { startDevServer } from '../../temporal/dev-server';
import { freePort } from './ports';

/**
 * A process that starts a Temporal dev server (in memory, headless, on a free port) with the parent guard
 * named by PARENT_GUARD, prints `ready <dev server pid>` and waits to be killed: for test/dev-server.test.ts.
 * Run with `node --import tsx`.
 */
async function main(): Promise<void> {
  const dev = await startDevServer({ port: await freePort(), parentGuard: process.env.PARENT_GUARD as 'pdeathsig' | 'watchdog' });
  process.stdout.write(`ready ${dev.pid}\n`);
  setInterval(() => {}, 60_000);
}

main().catch((err) => {
  process.stderr.write(`dev-server-child: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
