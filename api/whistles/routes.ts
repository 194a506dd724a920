import { and, asc, eq, gt, isNull, or, type SQL, sql } from 'drizzle-orm';
import type { PgColumn } from 'drizzle-orm/pg-core';
import { Router } from 'express';
import { z } from 'zod';
import { whistleCalls, whistleInboxStates, whistles } from '../../db/schema';
import { principalOf } from '../http/auth';
import { emptyIsAbsent, pageQuery } from '../http/schemas';
import type { AppDeps } from '../http/deps';
import { problemResponses, registry } from '../http/openapi';
import { cursorCodec, cursorPart } from '../http/cursor';
import { parseOr400 } from '../http/validation';
import { whistleActionsRouter } from './actions';
import { whistleToRead } from './lookup';
import { WhistleId, whistleIdPattern, WhistleListItem, listItem, WhistleView, whistleView } from './view';

/**
 * Reading whistles: a department's inbox (the whistles that call it, by its own next deadline), a
 * supervisor's list of the subdistrict's whistles, the station's own; and one whistle in full.
 */

export const ListWhistlesQuery = z.strictObject({
  state: z.preprocess(
    emptyIsAbsent,
    z
      .enum(whistleInboxStates)
      .optional()
      .meta({ description: "Departments: their own call's state on the whistle; everyone else: the whistle's state" }),
  ),
  ...pageQuery,
});

const WhistleList = z.object({ items: z.array(WhistleListItem), nextCursor: z.string().optional() }).meta({ id: 'WhistleList' });

registry.registerPath({
  method: 'get',
  path: '/api/whistles',
  operationId: 'listWhistles',
  summary: 'The whistle inbox, from the read model, earliest deadline first',
  description:
    "Roles: department — the whistles that call it, filtered on and ordered by its own call (state, next deadline), with its call in `call`; supervisor — every whistle of its subdistrict; staff — its station's; admin — all. " +
    'Others are ordered by the whistle’s next deadline (none last), then id. No resident data is in a whistle.',
  request: { query: ListWhistlesQuery },
  responses: { 200: { description: 'A page of whistles', content: { 'application/json': { schema: WhistleList } } }, ...problemResponses(400, 401, 403) },
});
registry.registerPath({
  method: 'get',
  path: '/api/whistles/{id}',
  operationId: 'getWhistle',
  summary: 'A whistle: live state from its workflow (or the read model when no worker answers), its own timeline',
  description:
    "Roles: a department called by the whistle (any call, released included), staff of its station, supervisors of its subdistrict, admins. The same view for all: it holds no resident data.",
  request: { params: z.object({ id: WhistleId }) },
  responses: { 200: { description: 'The whistle', content: { 'application/json': { schema: WhistleView } } }, ...problemResponses(401, 403, 404, 503) },
});

/* ---------- keyset pagination on (deadline asc, nulls last; id) ---------- */

interface Cursor {
  due: Date | null;
  id: string;
}
const whistleCursor = cursorCodec<Cursor>({ due: cursorPart.optionalInstant, id: cursorPart.id(whistleIdPattern) });

/** Rows after the cursor in the order `due asc nulls last, id asc`. */
function after(due: PgColumn, id: PgColumn, c: Cursor): SQL | undefined {
  if (c.due === null) return and(isNull(due), gt(id, c.id));
  return or(gt(due, c.due), and(eq(due, c.due), gt(id, c.id)), isNull(due));
}
const byDeadline = (due: PgColumn) => [sql`${due} asc nulls last`, asc(whistles.id)];

/* ---------- routes ---------- */

export function whistlesRouter(deps: AppDeps): Router {
  const router = Router();
  const { db } = deps.database;

  // Partners never see whistles (api/http/authorization.ts): they hear of their tasks through notices.
  router.get('/', async (req, res) => {
    const p = principalOf(res);
    const q = parseOr400(ListWhistlesQuery, req.query, 'query');
    const cursor = q.cursor ? whistleCursor.decode(q.cursor) : undefined;
    let page: { item: WhistleListItem; due: Date | null }[];
    if (p.role === 'department') {
      // The department's own calls: never the case, never its resident.
      const rows = await db
        .select({ whistle: whistles, call: whistleCalls })
        .from(whistles)
        .innerJoin(whistleCalls, and(eq(whistleCalls.whistleId, whistles.id), eq(whistleCalls.departmentId, p.departmentId ?? '')))
        .where(and(q.state ? eq(whistleCalls.state, q.state) : undefined, cursor ? after(whistleCalls.dueAt, whistles.id, cursor) : undefined))
        .orderBy(...byDeadline(whistleCalls.dueAt))
        .limit(q.limit + 1);
      page = rows.map((r) => ({ item: listItem(deps, r.whistle, r.call), due: r.call.dueAt }));
    } else {
      const scope =
        p.role === 'staff' ? eq(whistles.stationId, p.stationId ?? '') : p.role === 'supervisor' ? eq(whistles.subdistrictId, p.subdistrictId ?? '') : undefined;
      const rows = await db
        .select()
        .from(whistles)
        .where(and(scope, q.state ? eq(whistles.state, q.state) : undefined, cursor ? after(whistles.nextDueAt, whistles.id, cursor) : undefined))
        .orderBy(...byDeadline(whistles.nextDueAt))
        .limit(q.limit + 1);
      page = rows.map((r) => ({ item: listItem(deps, r), due: r.nextDueAt }));
    }
    const last = page[q.limit - 1];
    res.json({
      items: page.slice(0, q.limit).map((r) => r.item),
      nextCursor: page.length > q.limit && last ? whistleCursor.encode({ due: last.due, id: last.item.id }) : undefined,
    });
  });

  router.get('/:id', async (req, res) => {
    const source = await whistleToRead(deps, principalOf(res), String(req.params.id));
    res.json(await whistleView(deps, source));
  });

  router.use(whistleActionsRouter(deps));
  return router;
}
