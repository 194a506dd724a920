import { and, desc, eq, gte, lt, type SQL } from 'drizzle-orm';
import { Router } from 'express';
import { z } from 'zod';
import { auditEvents } from '../../db/schema';
import { cursorCodec, cursorPart } from '../http/cursor';
import type { AppDeps } from '../http/deps';
import { QueryInstant } from '../http/instants';
import { problemResponses, registry } from '../http/openapi';
import { emptyIsAbsent, id as refId, pageQuery } from '../http/schemas';
import { parseOr400 } from '../http/validation';
import { auditTargetKinds } from './record';

/** GET /api/audit-events (admins): the audit of non-case actions, newest first, filtered and cursor-paged. */

const AuditEvent = z
  .object({
    id: z.string(),
    at: z.iso.datetime({ offset: true }),
    actor: z.string(),
    actorRole: z.string(),
    scope: z.string().nullable().meta({ description: '`station:<id>`, `department:<id>`, `subdistrict:<id>`, `partner:<id>`; null for admins' }),
    action: z.string().meta({ description: 'e.g. partner.registered, partner.deactivated, token.minted, token.revoked, calendar-year.replaced' }),
    target: z.object({ kind: z.enum(auditTargetKinds), id: z.string() }),
    requestId: z.string().nullable(),
    data: z.record(z.string(), z.unknown()).meta({ description: 'Non-personal facts of the action (field names changed, a lifetime, a count)' }),
  })
  .meta({ id: 'AuditEvent' });
const AuditEventList = z.object({ items: z.array(AuditEvent), nextCursor: z.string().optional() }).meta({ id: 'AuditEventList' });

const optional = <S extends z.ZodType>(s: S) => z.preprocess(emptyIsAbsent, s.optional());
const ListAuditQuery = z.strictObject({
  actor: optional(refId.meta({ description: "The actor's id (a token's sub)" })),
  action: optional(refId.meta({ description: 'One action, e.g. partner.deactivated' })),
  targetKind: optional(z.enum(auditTargetKinds)),
  targetId: optional(refId.meta({ description: "The target's id (with or without targetKind)" })),
  from: optional(QueryInstant.meta({ description: 'At or after (YYYY-MM-DD: 00:00 Asia/Shanghai, or a date-time with a time zone)' })),
  to: optional(QueryInstant.meta({ description: 'Before (same forms); an empty range gives an empty list' })),
  ...pageQuery,
});

registry.registerPath({
  method: 'get',
  path: '/api/audit-events',
  operationId: 'listAuditEvents',
  summary: 'The audit of non-case actions, newest first (admin)',
  description:
    "Who (actor, role, scope) did what (action) to which target (ids only), when, under which request id: partners, their tokens, " +
    "revocations, the calendar, whistle urgencies, batches, alert acknowledgements. A case's own actions are on its timeline (GET /api/cases/{id}).",
  request: { query: ListAuditQuery },
  responses: { 200: { description: 'A page of audit events', content: { 'application/json': { schema: AuditEventList } } }, ...problemResponses(400, 401, 403) },
});

const auditCursor = cursorCodec<{ id: string }>({ id: cursorPart.id(/^[1-9]\d{0,15}$/) });

export function auditRouter(deps: AppDeps): Router {
  const router = Router();
  const { db } = deps.database;

  router.get('/', async (req, res) => {
    const q = parseOr400(ListAuditQuery, req.query, 'query');
    const where: (SQL | undefined)[] = [];
    if (q.actor) where.push(eq(auditEvents.actor, q.actor));
    if (q.action) where.push(eq(auditEvents.action, q.action));
    if (q.targetKind) where.push(eq(auditEvents.targetKind, q.targetKind));
    if (q.targetId) where.push(eq(auditEvents.targetId, q.targetId));
    if (q.from) where.push(gte(auditEvents.at, q.from));
    if (q.to) where.push(lt(auditEvents.at, q.to));
    if (q.cursor) where.push(lt(auditEvents.id, Number(auditCursor.decode(q.cursor).id)));
    const rows = await db
      .select()
      .from(auditEvents)
      .where(and(...where))
      .orderBy(desc(auditEvents.id))
      .limit(q.limit + 1);
    const page = rows.slice(0, q.limit);
    const last = page.at(-1);
    res.json({
      items: page.map((r) => ({
        id: String(r.id),
        at: r.at.toISOString(),
        actor: r.actor,
        actorRole: r.actorRole,
        scope: r.scope,
        action: r.action,
        target: { kind: r.targetKind as (typeof auditTargetKinds)[number], id: r.targetId },
        requestId: r.requestId,
        data: r.data,
      })),
      nextCursor: rows.length > q.limit && last ? auditCursor.encode({ id: String(last.id) }) : undefined,
    });
  });

  return router;
}
