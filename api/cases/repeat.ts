import crypto from 'node:crypto';
import { and, desc, eq, or, sql } from 'drizzle-orm';
import { isHttpError } from 'http-errors';
import type { Db } from '../../db/client';
import { normalised, phoneDigits, residentKeys } from '../../db/repeat-keys';
import { cases, type ResidentContact } from '../../db/schema';
import { type CaseState, repeatDemandUpdate } from '../../workflows/case/messages';
import type { Principal } from '../http/auth';
import { runCaseUpdate } from './updates';
import type { CaseRow } from './view';
import type { AppDeps } from '../http/deps';

/**
 * The repeat rule (12345): the same demand again — same station, same catalogue item, same resident —
 * while a case for it is open gets a progress reply on that case, not a second case.
 */

/**
 * The locks an opening takes so that its repeat check and its opening are one step: one per way two
 * demands can be the same resident's (the phone's digits; the name and address), within the station and
 * catalogue item. Hashed: lock names carry no personal data.
 */
export function demandLocks(stationId: string, serviceCode: string, resident: ResidentContact): string[] {
  const digits = phoneDigits(resident.phone);
  const keys = [`name:${normalised(resident.name)}|${normalised(resident.address)}`, ...(digits ? [`phone:${digits}`] : [])];
  return keys.map((k) => `demand:${crypto.createHash('sha256').update(JSON.stringify([stationId, serviceCode, k])).digest('hex')}`);
}

/** Same resident: the same phone number when both have one, else the same name and the same address. */
export function sameResident(a: ResidentContact, b: ResidentContact): boolean {
  const pa = phoneDigits(a.phone);
  const pb = phoneDigits(b.phone);
  if (pa && pb) return pa === pb;
  return normalised(a.name) === normalised(b.name) && normalised(a.address) === normalised(b.address);
}

/** The most recently opened open case of this station and catalogue item for the same resident, if any. */
export async function findOpenCase(db: Db, stationId: string, serviceCode: string, resident: ResidentContact): Promise<CaseRow | undefined> {
  const candidates = await openCaseCandidates(db, stationId, serviceCode, resident);
  return candidates.find((c) => sameResident(c.resident, resident));
}

/**
 * The query for findOpenCase's candidates, most recent first: the keys' indexes narrow to open cases
 * sharing the phone's digits or the name (db/repeat-keys.ts); sameResident decides. The stage's predicate
 * is the indexes' own, as a literal, so that every plan (a prepared statement's generic one too) can use them.
 */
export function openCaseCandidates(db: Db, stationId: string, serviceCode: string, resident: ResidentContact) {
  const keys = residentKeys(resident);
  const sameName = eq(cases.repeatNameKey, keys.name);
  return db
    .select()
    .from(cases)
    .where(
      and(
        eq(cases.stationId, stationId),
        eq(cases.serviceCode, serviceCode),
        sql`${cases.stage} <> 'closed'`,
        keys.phone ? or(eq(cases.repeatPhoneKey, keys.phone), sameName) : sameName,
      ),
    )
    .orderBy(desc(cases.openedAt), desc(cases.id))
    .limit(50);
}

/**
 * Records a repeated demand on the open case. Undefined when that case turns out to be no longer open
 * (closed meanwhile, the read model lagging): the caller opens a new case instead.
 */
export async function recordRepeat(
  deps: AppDeps,
  p: Principal,
  open: CaseRow,
  repeat: { demand: string; channel: string },
  idempotencyKey: string | undefined,
): Promise<CaseState | undefined> {
  try {
    return await runCaseUpdate(deps, {
      caseId: open.id,
      update: repeatDemandUpdate,
      command: { ...repeat, receivedAt: new Date().toISOString() },
      principal: p,
      route: 'repeat-demand',
      idempotencyKey,
    });
  } catch (err) {
    if (isHttpError(err) && err.status === 409) return undefined;
    throw err;
  }
}
