import { z } from 'zod';
import { serviceCategories } from '../../db/schema';
import type { Db } from '../../db/client';
import type { Principal } from '../http/auth';
import type { AppDeps } from '../http/deps';
import { problem } from '../http/problems';
import { emptyIsAbsent, idPattern, pageQuery } from '../http/schemas';
import { visibleStations } from '../cases/scope';
import { defaultThresholds, stuckReasons, type StuckThresholds } from './reasons';
import type { StuckFilter } from './stuck';

/**
 * The stuck query's filter as clients give it (GET /api/supervision/stuck and /summary, and a batch's
 * `filter`), and what a principal's scope makes of it.
 */

const idParam = z.string().regex(idPattern, 'must be an id of letters, digits, ".", "_", ":" or "-"');

/** 30m, 8h, 3d: how old a reason must be to be listed. */
const olderThan = z
  .string()
  .regex(/^\d{1,6}(m|h|d)$/, 'must look like 30m, 8h or 3d')
  .transform((v) => Number(v.slice(0, -1)) * { m: 60_000, h: 3_600_000, d: 86_400_000 }[v.slice(-1) as 'm' | 'h' | 'd']);

const oneReason = `(${stuckReasons.join('|')})`;
const reasonList = z
  .string()
  .max(300)
  .transform((v) => v.split(','))
  .pipe(z.array(z.enum(stuckReasons)).min(1))
  .meta({ pattern: `^${oneReason}(,${oneReason})*$` });

const filterQuery = {
  reason: z.preprocess(emptyIsAbsent, reasonList.optional().meta({ description: `One or more of ${stuckReasons.join(', ')}, comma-separated` })),
  station: z.preprocess(emptyIsAbsent, idParam.optional()),
  department: z.preprocess(emptyIsAbsent, idParam.optional().meta({ description: 'Only reasons this department is responsible for' })),
  category: z.preprocess(emptyIsAbsent, z.enum(serviceCategories).optional()),
  olderThan: z.preprocess(emptyIsAbsent, olderThan.optional().meta({ description: 'Only reasons older than this, e.g. 30m, 8h, 3d' })),
};
export const StuckQuery = z.strictObject({ ...filterQuery, ...pageQuery });
export const SummaryQuery = z.strictObject(filterQuery);

/** The filter a principal may ask for: its scope, and the query's narrowing of it (403 beyond the scope). */
export async function scopedFilter(db: Db, p: Principal, q: z.infer<typeof SummaryQuery>): Promise<StuckFilter> {
  const f: StuckFilter = { reasons: q.reason, category: q.category, olderThanMs: q.olderThan, stationId: q.station, departmentId: q.department };
  if (p.role === 'department') {
    if (q.department && q.department !== p.departmentId) {
      throw problem(403, `Your department token covers department ${p.departmentId}, not ${q.department}`, { type: 'forbidden-scope' });
    }
    return { ...f, departmentId: p.departmentId };
  }
  const visible = await visibleStations(db, p);
  if (q.station && visible && !visible.includes(q.station)) {
    throw problem(403, `Your ${p.role} token does not cover station ${q.station}`, { type: 'forbidden-scope' });
  }
  return { ...f, visibleStations: visible };
}

export function thresholdsOf(deps: AppDeps): StuckThresholds {
  return { ...defaultThresholds, ...deps.stuckThresholds };
}
