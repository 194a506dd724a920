import fs from 'node:fs';
import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { sql } from 'drizzle-orm';
import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core';
import { drizzle as drizzlePglite } from 'drizzle-orm/pglite';
import { migrate as migratePglite } from 'drizzle-orm/pglite/migrator';
import { drizzle as drizzlePostgres } from 'drizzle-orm/postgres-js';
import { migrate as migratePostgres } from 'drizzle-orm/postgres-js/migrator';
import postgres from 'postgres';
import { makePrivate } from '../config/data-dir';
import * as schema from './schema';

export type Db = PgDatabase<PgQueryResultHKT, typeof schema>;

export interface Database {
  db: Db;
  /** `postgres` (postgres.js over DATABASE_URL) or `pglite` (embedded). */
  kind: 'postgres' | 'pglite';
  migrate(): Promise<void>;
  ping(): Promise<void>;
  /**
   * Runs `fn` while holding the named locks, exclusive across every process on the same database:
   * PostgreSQL session advisory locks taken in sorted order on one connection of a small pool of their
   * own (so waiting for a lock never takes a connection the holder's queries need), or — PGlite, which
   * lives in one process — an in-process queue per name. The process ending releases its locks.
   */
  withLock<T>(names: string | string[], fn: () => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

export const migrationsFolder = path.join(__dirname, 'migrations');

export interface OpenDatabaseOptions {
  /** A postgres:// URL; when absent an embedded PGlite is used. */
  url?: string;
  /** PGlite data directory; absent means in memory. */
  pgliteDir?: string;
  /** postgres.js pool size. */
  max?: number;
}

export async function openDatabase(opts: OpenDatabaseOptions): Promise<Database> {
  if (opts.url) {
    const client = postgres(opts.url, { max: opts.max ?? 10, onnotice: () => {} });
    const db = drizzlePostgres({ client, schema });
    let locks: postgres.Sql | undefined;
    return {
      db,
      kind: 'postgres',
      withLock: async (names, fn) => {
        const keys = [...new Set([names].flat())].sort();
        locks ??= postgres(opts.url!, { max: 8, onnotice: () => {} });
        const reserved = await locks.reserve();
        const taken: string[] = [];
        try {
          for (const key of keys) {
            await reserved`select pg_advisory_lock(hashtextextended(${key}, 0))`;
            taken.push(key);
          }
          return await fn();
        } finally {
          try {
            for (const key of taken.reverse()) await reserved`select pg_advisory_unlock(hashtextextended(${key}, 0))`;
          } finally {
            reserved.release();
          }
        }
      },
      migrate: () => migratePostgres(db, { migrationsFolder }),
      ping: async () => {
        await db.execute(sql`select 1`);
      },
      close: async () => {
        await Promise.all([client.end({ timeout: 5 }), locks?.end({ timeout: 5 })]);
      },
    };
  }
  // Resident data: the service's own user only (config/data-dir.ts sets the umask for the files inside).
  if (opts.pgliteDir) fs.mkdirSync(opts.pgliteDir, { recursive: true, mode: 0o700 });
  const client = opts.pgliteDir ? new PGlite(opts.pgliteDir) : new PGlite();
  await client.waitReady;
  // A new data directory's initial files are written 0666 whatever the umask (what PostgreSQL creates later is 0600).
  if (opts.pgliteDir) makePrivate(opts.pgliteDir);
  const db = drizzlePglite({ client, schema });
  const pgliteLocks = new InProcessLocks();
  return {
    db,
    kind: 'pglite',
    withLock: (names, fn) => pgliteLocks.run([names].flat(), fn),
    migrate: () => migratePglite(db, { migrationsFolder }),
    ping: async () => {
      await db.execute(sql`select 1`);
    },
    close: () => client.close(),
  };
}

/** Named locks within one process: a holder takes all its names at once; waiters are served in order. */
class InProcessLocks {
  private readonly held = new Set<string>();
  private readonly waiting: { names: string[]; wake: () => void }[] = [];

  async run<T>(names: string[], fn: () => Promise<T>): Promise<T> {
    const wanted = [...new Set(names)];
    // Behind an earlier waiter for any of these names, or a holder of one: wait for the turn.
    if (wanted.some((n) => this.held.has(n)) || this.waiting.some((w) => w.names.some((n) => wanted.includes(n)))) {
      await new Promise<void>((wake) => this.waiting.push({ names: wanted, wake }));
    }
    for (const n of wanted) this.held.add(n);
    try {
      return await fn();
    } finally {
      for (const n of wanted) this.held.delete(n);
      this.wakeReady();
    }
  }

  /** Wakes, in order, every waiter whose names are all free and not wanted by an earlier waiter. */
  private wakeReady(): void {
    const claimed = new Set(this.held);
    for (let i = 0; i < this.waiting.length; ) {
      const w = this.waiting[i]!;
      if (w.names.some((n) => claimed.has(n))) {
        for (const n of w.names) claimed.add(n);
        i++;
        continue;
      }
      // Taken on the waiter's behalf now, so no newcomer slips in before it runs.
      for (const n of w.names) {
        claimed.add(n);
        this.held.add(n);
      }
      this.waiting.splice(i, 1);
      w.wake();
    }
  }
}
