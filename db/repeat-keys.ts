import crypto from 'node:crypto';
import { type SQL, sql } from 'drizzle-orm';
import type { ResidentContact } from './schema';

/**
 * The repeat rule's keys (api/cases/repeat.ts): two demands can be the same resident's when they share
 * the phone's digits or the normalised name. Each case row holds both as sha256 hex (no personal data in
 * clear), indexed among open cases, so the rule looks a resident up instead of scanning every open case.
 *
 * A row's keys are computed by PostgreSQL from the text as stored, with exactly the expressions the rule's
 * earlier scan applied to every row and migration 0004 backfilled with: a row matches a lookup exactly
 * when that scan's comparison would have matched it. The lookup's keys hash the given resident as the
 * rule normalises it in JS (the values that scan compared with).
 */

/** The phone's ASCII digits; undefined when it has none. */
export const phoneDigits = (phone: string | undefined) => phone?.replace(/\D/g, '') || undefined;

/** Trimmed, runs of whitespace as one space, lower case. */
export const normalised = (s: string | undefined) => (s ?? '').trim().replace(/\s+/g, ' ').toLowerCase();

const sha256Hex = (s: string) => crypto.createHash('sha256').update(s, 'utf8').digest('hex');
const sqlSha256Hex = (text: SQL) => sql`encode(sha256(convert_to(${text}, 'UTF8')), 'hex')`;

/** A row's phone key from the stored phone text (null without digits): migration 0004's backfill expression. */
export const phoneKeySql = (phone: SQL) => sqlSha256Hex(sql`nullif(regexp_replace(${phone}, '\\D', '', 'g'), '')`);

/** A row's name key from the stored name text: migration 0004's backfill expression. */
export const nameKeySql = (name: SQL) => sqlSha256Hex(sql`regexp_replace(lower(btrim(${name})), '\\s+', ' ', 'g')`);

/** The row's keys for `insert(cases).values(...)`, computed by the database from the resident given. */
export function openingKeys(resident: ResidentContact): { repeatPhoneKey: SQL; repeatNameKey: SQL } {
  return {
    repeatPhoneKey: phoneKeySql(sql`${resident.phone ?? null}::text`),
    repeatNameKey: nameKeySql(sql`${resident.name}::text`),
  };
}

/** The keys to look a resident up by: the phone's (when it has digits) and the name's. */
export function residentKeys(resident: ResidentContact): { phone?: string; name: string } {
  const digits = phoneDigits(resident.phone);
  return { ...(digits ? { phone: sha256Hex(digits) } : {}), name: sha256Hex(normalised(resident.name)) };
}
