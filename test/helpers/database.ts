import crypto from 'node:crypto';
import postgres from 'postgres';
import { seedCalendar } from '../../db/calendar';
import { type Database, openDatabase } from '../../db/client';
import { seedDemoData } from '../../db/seed';

export interface TestDatabase extends Database {
  /** A postgres:// URL of this test's own database, when running against real PostgreSQL. */
  url?: string;
  drop(): Promise<void>;
}

/**
 * A fresh, migrated and seeded database for one test file: its own database on the PostgreSQL server
 * named by TEST_DATABASE_URL, or an in-memory PGlite when that is unset.
 */
export async function openTestDatabase(opts: { seed?: boolean } = {}): Promise<TestDatabase> {
  const adminUrl = process.env.TEST_DATABASE_URL;
  let database: Database;
  let url: string | undefined;
  let dropDatabase = async () => {};
  if (adminUrl) {
    const name = `stationflow_test_${process.pid}_${crypto.randomBytes(4).toString('hex')}`;
    const admin = postgres(adminUrl, { max: 1, onnotice: () => {} });
    await admin.unsafe(`create database "${name}"`);
    const u = new URL(adminUrl);
    u.pathname = `/${name}`;
    url = u.toString();
    database = await openDatabase({ url, max: 5 });
    dropDatabase = async () => {
      await admin.unsafe(`drop database if exists "${name}" with (force)`);
      await admin.end();
    };
  } else {
    database = await openDatabase({});
  }
  await database.migrate();
  if (opts.seed !== false) {
    await seedDemoData(database.db);
    await seedCalendar(database.db);
  }
  return {
    ...database,
    url,
    drop: async () => {
      await database.close();
      await dropDatabase();
    },
  };
}

export const databaseKind = () => (process.env.TEST_DATABASE_URL ? 'postgres' : 'pglite');
