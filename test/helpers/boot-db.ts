import { sql } from 'drizzle-orm';
import { loadConfig } from '../../config';
import { openConfiguredDatabase, prepareDatabase } from '../../config/boot';

/**
 * One booting process for test/boot-race.test.ts: the database step every entry point runs at boot
 * (`prepareDatabase` on DATABASE_URL), started on cue so that several processes run it at the same moment.
 * Prints `loaded` once its modules are loaded and its connection is open, waits for a line on stdin, then
 * prepares the database and prints `prepared`. Run with `node --import tsx`.
 */
async function main(): Promise<void> {
  const database = await openConfiguredDatabase(loadConfig());
  await database.db.execute(sql`select 1`);
  process.stdout.write('loaded\n');
  await new Promise((resolve) => process.stdin.once('data', resolve));
  process.stdin.pause();
  await prepareDatabase(database);
  await database.close();
  process.stdout.write('prepared\n');
}

main().catch((err) => {
  process.stderr.write(`boot-db: ${(err as Error).message}\n`);
  process.exit(1);
});
