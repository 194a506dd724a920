import { eq } from 'drizzle-orm';
import { Router } from 'express';
import { z } from 'zod';
import { departments, partners, stations, subdistricts } from '../../db/schema';
import { principalOf, roles } from '../http/auth';
import type { AppDeps } from '../http/deps';
import { problemResponses, registry } from '../http/openapi';

/**
 * `GET /api/me`: who the bearer token says its holder is — role, scope and the names of the station,
 * department, subdistrict or partner it speaks for — so that a client (the web console) can show and route
 * by it without decoding the token itself. Nothing beyond what the token already grants.
 */

const Named = z.object({ id: z.string(), name: z.string(), nameZh: z.string().optional() });

export const Me = z
  .object({
    id: z.string().meta({ description: "The token's subject" }),
    role: z.enum(roles),
    name: z.string().optional().meta({ description: 'Display name from the token' }),
    station: Named.optional().meta({ description: 'staff: their station' }),
    department: Named.optional().meta({ description: 'department: their department' }),
    subdistrict: Named.optional().meta({ description: 'supervisor: their subdistrict; staff and department: the subdistrict of theirs' }),
    partner: Named.optional().meta({ description: 'partner: their registry entry' }),
    expiresAt: z.iso.datetime({ offset: true }).optional().meta({ description: 'When the token expires' }),
  })
  .meta({ id: 'Me', description: "The signed-in caller: role and scope from the token, with the names of what it speaks for" });

registry.registerPath({
  method: 'get',
  path: '/api/me',
  operationId: 'getMe',
  summary: 'Who the bearer token belongs to: role, scope and their names',
  responses: { 200: { description: 'The caller', content: { 'application/json': { schema: Me } } }, ...problemResponses(401) },
});

export function meRouter(deps: AppDeps): Router {
  const router = Router();
  const db = deps.database.db;
  router.get('/', async (_req, res) => {
    const p = principalOf(res);
    const [station] = p.stationId ? await db.select().from(stations).where(eq(stations.id, p.stationId)) : [];
    const [department] = p.departmentId ? await db.select().from(departments).where(eq(departments.id, p.departmentId)) : [];
    const subdistrictId = p.subdistrictId ?? station?.subdistrictId ?? department?.subdistrictId;
    const [subdistrict] = subdistrictId ? await db.select().from(subdistricts).where(eq(subdistricts.id, subdistrictId)) : [];
    const [partner] = p.partnerId ? await db.select({ id: partners.id, name: partners.name }).from(partners).where(eq(partners.id, p.partnerId)) : [];
    const named = (x: { id: string; name: string; nameZh?: string } | undefined, id: string | undefined) =>
      x ? { id: x.id, name: x.name, ...(x.nameZh ? { nameZh: x.nameZh } : {}) } : id ? { id, name: id } : undefined;
    res.json(
      Me.parse({
        id: p.id,
        role: p.role,
        name: p.name,
        station: named(station, p.stationId),
        department: named(department, p.departmentId),
        subdistrict: named(subdistrict, subdistrictId),
        partner: named(partner, p.partnerId),
        expiresAt: p.expiresAt?.toISOString(),
      }),
    );
  });
  return router;
}
