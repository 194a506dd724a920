import { and, asc, eq, ilike, or, type SQL, sql } from 'drizzle-orm';
import { Router } from 'express';
import { z } from 'zod';
import type { Db } from '../../db/client';
import { deadlineClasses, departments, goalUnits, handlingModes, serviceCategories, type ServiceCategory, serviceItems, stations, subdistricts } from '../../db/schema';
import { principalOf, type Principal } from '../http/auth';
import type { AppDeps } from '../http/deps';
import { problemResponses, registry } from '../http/openapi';
import { emptyIsAbsent } from '../http/schemas';
import { optionalLine } from '../http/text';
import { parseOr400 } from '../http/validation';

/**
 * The master data a client needs to fill in a request: the service catalogue (valid `serviceCode`s, by
 * category, searchable), the stations and the departments. Read-only here (the demo data: db/seed.ts); no
 * personal data. Small lists, answered whole (no cursor), like the whistle urgencies.
 *
 * Who sees what (api/http/authorization.ts): the catalogue is what the station publishes, so every token reads
 * it. Stations and departments are scoped: staff see their own station and the departments of its subdistrict
 * (whistles call only those), a department sees its subdistrict's stations and departments, a supervisor
 * their subdistrict's, an admin all.
 */

/* ---------- schemas ---------- */

/** The four categories of the catalogue, in the order a station's intake shows them. */
export const categoryNames: Record<ServiceCategory, { name: string; nameZh: string }> = {
  'party-masses': { name: 'Party and mass organisation services', nameZh: '党群服务' },
  government: { name: 'Government services', nameZh: '政务服务' },
  life: { name: 'Everyday life services', nameZh: '生活服务' },
  public: { name: 'Public services', nameZh: '公共服务' },
};

const maxSearch = 100;
export const ListServicesQuery = z.strictObject({
  category: z.preprocess(emptyIsAbsent, z.enum(serviceCategories).optional()),
  q: z.preprocess(
    emptyIsAbsent,
    optionalLine(maxSearch)
      .optional()
      .meta({
        description:
          `Items whose code, English or Chinese name contains this text, case-insensitively (at most ${maxSearch} characters; ` +
          'full-width letters and digits match their ASCII forms). Matches nothing rather than failing when nothing fits',
      }),
  ),
  active: z.preprocess(
    emptyIsAbsent,
    z.enum(['true', 'false']).optional().meta({ description: 'Only items a case may be opened for (true) or withdrawn ones (false); default: all' }),
  ),
});

const DeadlineClass = z
  .object({
    code: z.string(),
    name: z.string(),
    nameZh: z.string(),
    responseGoal: z.number().nullable().meta({ description: 'A decision at acceptance within this many units; null: no response clock' }),
    responseUnit: z.enum(goalUnits).nullable(),
    resolutionGoal: z.number().meta({ description: 'Closed with feedback to the resident within this many units' }),
    resolutionUnit: z.enum(goalUnits),
  })
  .meta({ id: 'DeadlineClass', description: 'The commitments a case of this item gets (限时办结)' });

const ServiceItem = z
  .object({
    code: z.string().meta({ description: 'The `serviceCode` of POST /api/cases' }),
    category: z.enum(serviceCategories),
    name: z.string(),
    nameZh: z.string(),
    handlingMode: z.enum(handlingModes).meta({ description: 'handle-now (即办) or needs-documents' }),
    requiredDocuments: z.array(z.string()),
    needsHomeVisit: z.boolean(),
    issuesCertificate: z.boolean(),
    active: z.boolean().meta({ description: 'false: withdrawn; POST /api/cases refuses it (422)' }),
    deadlineClass: DeadlineClass,
  })
  .meta({ id: 'ServiceItem' });

const ServiceCatalogue = z
  .object({
    items: z.array(ServiceItem).meta({ description: 'By category (in the order of `categories`), then code' }),
    categories: z
      .array(z.object({ code: z.enum(serviceCategories), name: z.string(), nameZh: z.string(), count: z.int().meta({ description: 'Items of this category in `items`' }) }))
      .meta({ description: 'The four categories, always all four, in display order' }),
  })
  .meta({ id: 'ServiceCatalogue' });

const Subdistrict = z.object({ id: z.string(), name: z.string(), nameZh: z.string() }).meta({ id: 'Subdistrict' });
const Station = z
  .object({ id: z.string(), name: z.string(), nameZh: z.string(), casePrefix: z.string().meta({ description: "The prefix of the station's case ids" }), subdistrict: Subdistrict })
  .meta({ id: 'Station' });
const Department = z.object({ id: z.string(), name: z.string(), nameZh: z.string(), subdistrict: Subdistrict }).meta({ id: 'Department' });

/** The station and department lists take no parameters; any is a 400, as on every list. */
const NoQuery = z.strictObject({});

const json = <S extends z.ZodType>(description: string, schema: S) => ({ description, content: { 'application/json': { schema } } });

registry.registerPath({
  method: 'get',
  path: '/api/services',
  operationId: 'listServices',
  summary: 'The service catalogue: every item a case can be opened for, by category',
  description: 'Filters: category, a search text (q), active. Each item names its deadline class and the commitments that class sets.',
  request: { query: ListServicesQuery },
  responses: { 200: json('The catalogue, whole (no paging)', ServiceCatalogue), ...problemResponses(400, 401) },
});
registry.registerPath({
  method: 'get',
  path: '/api/stations',
  operationId: 'listStations',
  summary: 'Community service stations, by id',
  description: "Staff get their own station; departments and supervisors their subdistrict's; admins all.",
  responses: {
    200: json('The stations in your scope, whole (no paging)', z.object({ items: z.array(Station) }).meta({ id: 'StationList' })),
    ...problemResponses(400, 401, 403),
  },
});
registry.registerPath({
  method: 'get',
  path: '/api/departments',
  operationId: 'listDepartments',
  summary: "Subdistrict departments (the ones a whistle calls or a task is assigned to), by id",
  description: "Staff, departments and supervisors get their subdistrict's departments (a whistle calls only those); admins all.",
  responses: {
    200: json('The departments in your scope, whole (no paging)', z.object({ items: z.array(Department) }).meta({ id: 'DepartmentList' })),
    ...problemResponses(400, 401, 403),
  },
});

/* ---------- scope ---------- */

/**
 * The subdistrict a token's station and department lists are limited to: the supervisor's own, the staff
 * member's station's, the department's; `all` for admins, `none` when the token's station or department is
 * not in the master data (or the role reads no such list).
 */
async function subdistrictScope(db: Db, p: Principal): Promise<{ all: true } | { id: string } | { none: true }> {
  if (p.role === 'admin') return { all: true };
  if (p.role === 'supervisor' && p.subdistrictId) return { id: p.subdistrictId };
  const [row] =
    p.role === 'staff' && p.stationId
      ? await db.select({ id: stations.subdistrictId }).from(stations).where(eq(stations.id, p.stationId))
      : p.role === 'department' && p.departmentId
        ? await db.select({ id: departments.subdistrictId }).from(departments).where(eq(departments.id, p.departmentId))
        : [];
  return row ? { id: row.id } : { none: true };
}

const subdistrictColumns = { id: subdistricts.id, name: subdistricts.name, nameZh: subdistricts.nameZh };

/** `%`, `_` and `\` in a search text are themselves, not LIKE's wildcards. */
const likeContaining = (text: string) => `%${text.replace(/[\\%_]/g, '\\$&')}%`;

/* ---------- routes ---------- */

export function masterDataRouter(deps: AppDeps): Router {
  const router = Router();
  const { db } = deps.database;

  router.get('/services', async (req, res) => {
    const q = parseOr400(ListServicesQuery, req.query, 'query');
    const where: (SQL | undefined)[] = [];
    if (q.category) where.push(eq(serviceItems.category, q.category));
    if (q.active) where.push(eq(serviceItems.active, q.active === 'true'));
    // Full-width letters and digits (as Chinese input methods type them) are searched as ASCII.
    const search = q.q?.normalize('NFKC');
    if (search) {
      const pattern = likeContaining(search);
      where.push(or(ilike(serviceItems.code, pattern), ilike(serviceItems.name, pattern), ilike(serviceItems.nameZh, pattern)));
    }
    const rows = await db
      .select({
        item: serviceItems,
        deadlineClass: {
          code: deadlineClasses.code,
          name: deadlineClasses.name,
          nameZh: deadlineClasses.nameZh,
          responseGoal: deadlineClasses.responseGoal,
          responseUnit: deadlineClasses.responseUnit,
          resolutionGoal: deadlineClasses.resolutionGoal,
          resolutionUnit: deadlineClasses.resolutionUnit,
        },
      })
      .from(serviceItems)
      .innerJoin(deadlineClasses, eq(deadlineClasses.code, serviceItems.deadlineClass))
      .where(and(...where))
      .orderBy(asc(serviceItems.code));
    const order = (c: ServiceCategory) => serviceCategories.indexOf(c);
    const items = rows
      .map(({ item: { deadlineClass: _code, ...item }, deadlineClass }) => ({ ...item, deadlineClass }))
      .sort((a, b) => order(a.category) - order(b.category));
    res.json({
      items,
      categories: serviceCategories.map((code) => ({ code, ...categoryNames[code], count: items.filter((i) => i.category === code).length })),
    });
  });

  router.get('/stations', async (req, res) => {
    parseOr400(NoQuery, req.query, 'query');
    const p = principalOf(res);
    const scope = await subdistrictScope(db, p);
    const where: SQL | undefined =
      'none' in scope
        ? sql`false`
        : p.role === 'staff'
          ? eq(stations.id, p.stationId!)
          : 'id' in scope
            ? eq(stations.subdistrictId, scope.id)
            : undefined;
    const rows = await db
      .select({ id: stations.id, name: stations.name, nameZh: stations.nameZh, casePrefix: stations.casePrefix, subdistrict: subdistrictColumns })
      .from(stations)
      .innerJoin(subdistricts, eq(subdistricts.id, stations.subdistrictId))
      .where(where)
      .orderBy(asc(stations.id));
    res.json({ items: rows });
  });

  router.get('/departments', async (req, res) => {
    parseOr400(NoQuery, req.query, 'query');
    const scope = await subdistrictScope(db, principalOf(res));
    const where: SQL | undefined = 'none' in scope ? sql`false` : 'id' in scope ? eq(departments.subdistrictId, scope.id) : undefined;
    const rows = await db
      .select({ id: departments.id, name: departments.name, nameZh: departments.nameZh, subdistrict: subdistrictColumns })
      .from(departments)
      .innerJoin(subdistricts, eq(subdistricts.id, departments.subdistrictId))
      .where(where)
      .orderBy(asc(departments.id));
    res.json({ items: rows });
  });

  return router;
}
