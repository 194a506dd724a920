import { and, desc, eq, ne, or, sql } from 'drizzle-orm';
import { sameResident } from '../../api/cases/repeat';
import type { Db } from '../../db/client';
import { normalised, phoneDigits } from '../../db/repeat-keys';
import { cases, type ResidentContact } from '../../db/schema';

/**
 * The repeat rule's query before its keys (migration 0004): a regexp over every open case of the station and
 * catalogue item. Kept as the reference the keyed lookup is measured against (bench repeat-rule) and must
 * answer the same as (test/repeat-keys.test.ts).
 */
export async function oldOpenCaseScan(db: Db, stationId: string, serviceCode: string, resident: ResidentContact) {
  const digits = phoneDigits(resident.phone);
  const sameName = sql`regexp_replace(lower(btrim(${cases.resident}->>'name')), '\\s+', ' ', 'g') = ${normalised(resident.name)}`;
  const candidates = await db
    .select()
    .from(cases)
    .where(
      and(
        eq(cases.stationId, stationId),
        eq(cases.serviceCode, serviceCode),
        ne(cases.stage, 'closed'),
        digits ? or(sql`regexp_replace(${cases.resident}->>'phone', '\\D', '', 'g') = ${digits}`, sameName) : sameName,
      ),
    )
    .orderBy(desc(cases.openedAt), desc(cases.id))
    .limit(50);
  return candidates.find((c) => sameResident(c.resident, resident));
}
