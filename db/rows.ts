import type { SQL } from 'drizzle-orm';
import type { Db } from './client';

/**
 * The rows of a raw SQL query on either database: postgres.js answers an array of rows, PGlite an object
 * with `rows`. For queries the query builder cannot say (unions of aggregates, lateral joins).
 */
export async function rowsOf<T>(db: Db, query: SQL): Promise<T[]> {
  const result = (await db.execute(query)) as unknown as T[] | { rows: T[] };
  return Array.isArray(result) ? result : result.rows;
}

/** A timestamp from a raw row: postgres.js and PGlite hand back a Date, or text in some aggregates. */
export const dateOf = (v: unknown): Date => (v instanceof Date ? v : new Date(String(v)));
