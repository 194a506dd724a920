import { eq } from 'drizzle-orm';
import type { Db } from '../../db/client';
import { stations } from '../../db/schema';
import type { Principal } from '../http/auth';
import { problem } from '../http/problems';

/**
 * Who may act on a station's cases: its own staff, supervisors of its subdistrict, admins.
 * Departments see the whistles that call them (api/whistles), never cases directly.
 */
export async function assertStationAccess(db: Db, p: Principal, stationId: string): Promise<void> {
  if (p.role === 'admin') return;
  if (p.role === 'staff' && p.stationId === stationId) return;
  if (p.role === 'supervisor') {
    const [station] = await db.select({ subdistrictId: stations.subdistrictId }).from(stations).where(eq(stations.id, stationId));
    if (station && station.subdistrictId === p.subdistrictId) return;
  }
  throw problem(403, `Your ${p.role} token does not cover station ${stationId}`, { type: 'forbidden-scope' });
}

/** The stations a principal may list: undefined means all. */
export async function visibleStations(db: Db, p: Principal): Promise<string[] | undefined> {
  if (p.role === 'admin') return undefined;
  if (p.role === 'staff') return p.stationId ? [p.stationId] : [];
  if (p.role === 'supervisor' && p.subdistrictId) {
    const rows = await db.select({ id: stations.id }).from(stations).where(eq(stations.subdistrictId, p.subdistrictId));
    return rows.map((r) => r.id);
  }
  return [];
}
