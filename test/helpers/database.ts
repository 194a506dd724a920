import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { sql } from 'drizzle-orm';
import { migrate as migratePglite } from 'drizzle-orm/pglite/migrator';
import { migrate as migratePostgres } from 'drizzle-orm/postgres-js/migrator';
import postgres from 'postgres';
import { seedCalendar } from '../../db/calendar';
import { type Database, migrationsFolder, openDatabase } from '../../db/client';
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
  const database = await emptyTestDatabase();
  await database.migrate();
  if (opts.seed !== false) {
    await seedDemoData(database.db);
    await seedCalendar(database.db);
  }
  return database;
}

/** A fresh database with no tables: its own on TEST_DATABASE_URL's server, or an in-memory PGlite. */
async function emptyTestDatabase(max = 5): Promise<TestDatabase> {
  const adminUrl = process.env.TEST_DATABASE_URL;
  if (!adminUrl) {
    const database = await openDatabase({});
    return { ...database, drop: () => database.close() };
  }
  const name = `stationflow_test_${process.pid}_${crypto.randomBytes(4).toString('hex')}`;
  const admin = postgres(adminUrl, { max: 1, onnotice: () => {} });
  await admin.unsafe(`create database "${name}"`);
  const u = new URL(adminUrl);
  u.pathname = `/${name}`;
  const url = u.toString();
  const database = await openDatabase({ url, max });
  return {
    ...database,
    url,
    drop: async () => {
      await database.close();
      await admin.unsafe(`drop database if exists "${name}" with (force)`);
      await admin.end();
    },
  };
}

/**
 * A fresh database as one deployed before migration `tag` has it: only the migrations before it applied, and
 * today's demo data seeded (the columns a later migration adds that the seed writes, `laterSeedColumns`, exist
 * for the seed only). `migrate()` then runs the rest, as a deployment of today's code does. Answers the
 * database and the tags of the migrations it has.
 */
export async function openTestDatabaseBefore(
  tag: string,
  laterSeedColumns: { table: string; column: string; type: string }[] = [],
): Promise<{ database: TestDatabase; applied: string[] }> {
  const database = await emptyTestDatabase(3);
  const journal = JSON.parse(fs.readFileSync(path.join(migrationsFolder, 'meta/_journal.json'), 'utf8')) as { entries: { tag: string }[] };
  const before = journal.entries.filter((e) => e.tag < tag);
  const folder = fs.mkdtempSync(path.join(os.tmpdir(), 'sf-migrations-'));
  try {
    fs.mkdirSync(path.join(folder, 'meta'));
    fs.writeFileSync(path.join(folder, 'meta/_journal.json'), JSON.stringify({ ...journal, entries: before }));
    for (const e of before) fs.copyFileSync(path.join(migrationsFolder, `${e.tag}.sql`), path.join(folder, `${e.tag}.sql`));
    if (database.kind === 'postgres') await migratePostgres(database.db as never, { migrationsFolder: folder });
    else await migratePglite(database.db as never, { migrationsFolder: folder });
  } finally {
    fs.rmSync(folder, { recursive: true, force: true });
  }
  for (const c of laterSeedColumns) await database.db.execute(sql.raw(`alter table ${c.table} add column ${c.column} ${c.type}`));
  await seedDemoData(database.db);
  for (const c of laterSeedColumns) await database.db.execute(sql.raw(`alter table ${c.table} drop column ${c.column}`));
  return { database, applied: before.map((e) => e.tag) };
}

export const databaseKind = () => (process.env.TEST_DATABASE_URL ? 'postgres' : 'pglite');
