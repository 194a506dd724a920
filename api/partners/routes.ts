import crypto from 'node:crypto';
import { and, asc, eq, gt, inArray, type SQL } from 'drizzle-orm';
import { Router } from 'express';
import { z } from 'zod';
import type { Db } from '../../db/client';
import { partnerServices, partners } from '../../db/schema';
import { auditActor, recordAudit } from '../audit/record';
import { principalOf } from '../http/auth';
import type { AppDeps } from '../http/deps';
import { problemResponses, registry } from '../http/openapi';
import { problem } from '../http/problems';
import { cursorCodec, cursorPart } from '../http/cursor';
import { parseOr400 } from '../http/validation';
import { latestCutoff, partnerHolder, revokePartnerTokens } from '../tokens/revocations';
import { CreatePartnerBody, ListPartnersQuery, MintTokenBody, PartnerId, partnerIdPattern, PatchPartnerBody, ttlSeconds } from './commands';
import { assertOutboundChannels, assertPartnerRules, departmentLinked, partnerExists, partnerNotFound, partnerRow } from './lookup';
import { CreatedPartner, Partner, PartnerList, type PartnerRow, PartnerToken, partnerView, readPartner, servicesOf, WebhookSecret } from './view';

/**
 * The partner registry: service agencies, handy-help outlets, institutions, volunteer organisations and
 * departments that take notices pushed to them, with the catalogue items they offer and their contact
 * channels in preference order. Admins keep it; staff and supervisors read it. Partners are referenced by
 * cases and the delivery log, so a partner is deactivated, never removed. The webhook secret is shown once,
 * when it is generated (creation, rotation); channel addresses and phones never reach the logs.
 */

/* ---------- OpenAPI (the schemas: commands.ts, view.ts) ---------- */

const params = z.object({ id: PartnerId });
const json = <S extends z.ZodType>(description: string, schema: S) => ({ description, content: { 'application/json': { schema } } });

registry.registerPath({
  method: 'get',
  path: '/api/partners',
  operationId: 'listPartners',
  summary: 'The partner registry, by id',
  description: `Filters: kind, a catalogue item offered (service), active. Never the webhook secret.`,
  request: { query: ListPartnersQuery },
  responses: { 200: json('A page of partners', PartnerList), ...problemResponses(400, 401, 403) },
});
registry.registerPath({
  method: 'get',
  path: '/api/partners/{id}',
  operationId: 'getPartner',
  summary: 'A partner',
  description: 'Never the webhook secret.',
  request: { params },
  responses: { 200: json('The partner', Partner), ...problemResponses(401, 403, 404) },
});
registry.registerPath({
  method: 'post',
  path: '/api/partners',
  operationId: 'registerPartner',
  summary: 'Register a partner (admin)',
  description:
    'Kind department names its department (departmentId, one registry entry per department); other kinds name none. ' +
    'A webhook secret is generated and returned once, in this response. A webhook URL must reach public addresses unless OUTBOUND_ALLOW lists them (422 outbound-url-refused).',
  request: { body: { content: { 'application/json': { schema: CreatePartnerBody } } } },
  responses: {
    201: json('The partner is registered; Location names it', CreatedPartner),
    ...problemResponses(400, 401, 403, 409, 413, 415, 422),
  },
});
registry.registerPath({
  method: 'patch',
  path: '/api/partners/{id}',
  operationId: 'updatePartner',
  summary: 'Change a partner (admin)',
  description: 'services and channels replace the whole set and list. A webhook URL must reach public addresses unless OUTBOUND_ALLOW lists them (422 outbound-url-refused).',
  request: { params, body: { content: { 'application/json': { schema: PatchPartnerBody } } } },
  responses: { 200: json('The partner as stored', Partner), ...problemResponses(400, 401, 403, 404, 413, 415, 422) },
});
registry.registerPath({
  method: 'delete',
  path: '/api/partners/{id}',
  operationId: 'deactivatePartner',
  summary: 'Deactivate a partner (admin)',
  description: 'Cases and the delivery log reference partners, so the entry stays, inactive; again → 200 with the same partner.',
  request: { params },
  responses: { 200: json('The partner, inactive', Partner), ...problemResponses(401, 403, 404) },
});
registry.registerPath({
  method: 'post',
  path: '/api/partners/{id}/webhook-secret',
  operationId: 'rotatePartnerWebhookSecret',
  summary: "Rotate a partner's webhook secret (admin)",
  description: 'The old secret stops signing at once; the new one is returned once, in this response.',
  request: { params },
  responses: {
    200: json('The new secret', z.object({ webhookSecret: WebhookSecret }).meta({ id: 'PartnerWebhookSecret' })),
    ...problemResponses(401, 403, 404),
  },
});
registry.registerPath({
  method: 'post',
  path: '/api/partners/{id}/tokens',
  operationId: 'mintPartnerToken',
  summary: "Mint a partner's own API token (admin)",
  description: 'A token of role partner for the partner to answer its tasks (POST /api/partner-replies); an inactive partner gets none (409).',
  request: { params, body: { content: { 'application/json': { schema: MintTokenBody } } } },
  responses: { 200: json('The token, shown once', PartnerToken), ...problemResponses(400, 401, 403, 404, 409, 413, 415) },
});

/* ---------- paging and writing ---------- */

/** Keyset pagination on the partner id. */
const partnerCursor = cursorCodec<{ id: string }>({ id: cursorPart.id(partnerIdPattern) });

/** A unique constraint refused the write (postgres.js and PGlite both carry the SQLSTATE, drizzle wraps it in `cause`). */
function isUniqueViolation(err: unknown): boolean {
  const code = (e: unknown) => (e !== null && typeof e === 'object' ? (e as { code?: unknown }).code : undefined);
  return code(err) === '23505' || code((err as { cause?: unknown } | null)?.cause) === '23505';
}

async function replaceServices(tx: Db, partnerId: string, codes: string[]): Promise<void> {
  await tx.delete(partnerServices).where(eq(partnerServices.partnerId, partnerId));
  if (codes.length) await tx.insert(partnerServices).values(codes.map((serviceCode) => ({ partnerId, serviceCode })));
}

const newSecret = () => crypto.randomBytes(32).toString('base64url');

/* ---------- routes ---------- */

export function partnersRouter(deps: AppDeps): Router {
  const router = Router();
  const { db } = deps.database;

  router.get('/', async (req, res) => {
    const q = parseOr400(ListPartnersQuery, req.query, 'query');
    const where: (SQL | undefined)[] = [];
    if (q.kind) where.push(eq(partners.kind, q.kind));
    if (q.active) where.push(eq(partners.active, q.active === 'true'));
    if (q.service) {
      where.push(inArray(partners.id, db.select({ id: partnerServices.partnerId }).from(partnerServices).where(eq(partnerServices.serviceCode, q.service))));
    }
    if (q.cursor) where.push(gt(partners.id, partnerCursor.decode(q.cursor).id));
    const rows = await db
      .select()
      .from(partners)
      .where(and(...where))
      .orderBy(asc(partners.id))
      .limit(q.limit + 1);
    const page = rows.slice(0, q.limit);
    const services = await servicesOf(db, page.map((r) => r.id));
    const last = page.at(-1);
    res.json({
      items: page.map((r) => partnerView(r, services.get(r.id) ?? [])),
      nextCursor: rows.length > q.limit && last ? partnerCursor.encode({ id: last.id }) : undefined,
    });
  });

  router.get('/:id', async (req, res) => {
    res.json(await readPartner(db, await partnerRow(db, String(req.params.id))));
  });

  router.post('/', async (req, res) => {
    const p = principalOf(res);
    const body = parseOr400(CreatePartnerBody, req.body ?? {});
    const { services, ...values } = body;
    const departmentId = values.departmentId ?? null;
    const [existing] = await db.select({ id: partners.id }).from(partners).where(eq(partners.id, body.id));
    if (existing) throw partnerExists(body.id);
    await assertPartnerRules(db, body.id, { kind: body.kind, departmentId }, { departmentId, services });
    await assertOutboundChannels(deps.outbound, body.channels);
    const webhookSecret = newSecret();
    const row = await db.transaction(async (tx) => {
      const [inserted] = await tx
        .insert(partners)
        .values({ ...values, departmentId, webhookSecret })
        .onConflictDoNothing()
        .returning();
      if (inserted) {
        await replaceServices(tx, inserted.id, services);
        await recordAudit(tx, auditActor(req, res), { action: 'partner.registered', target: { kind: 'partner', id: inserted.id }, data: { kind: inserted.kind } });
      }
      return inserted;
    });
    if (!row) {
      // Another request won the race: for this id, or for the department.
      const [again] = await db.select({ id: partners.id }).from(partners).where(eq(partners.id, body.id));
      throw again ? partnerExists(body.id) : departmentLinked(departmentId ?? '');
    }
    deps.log.info({ partnerId: row.id, kind: row.kind, by: p.id }, 'partner registered');
    res
      .status(201)
      .location(`/api/partners/${row.id}`)
      .json({ ...(await readPartner(db, row)), webhookSecret });
  });

  router.patch('/:id', async (req, res) => {
    const p = principalOf(res);
    const body = parseOr400(PatchPartnerBody, req.body ?? {});
    const current = await partnerRow(db, String(req.params.id));
    const { services, ...changes } = body;
    const kind = changes.kind ?? current.kind;
    const departmentId = changes.departmentId !== undefined ? changes.departmentId : current.departmentId;
    const newDepartment = departmentId !== current.departmentId ? departmentId : undefined;
    await assertPartnerRules(db, current.id, { kind, departmentId }, { departmentId: newDepartment, services });
    await assertOutboundChannels(deps.outbound, changes.channels);
    let row: PartnerRow | undefined;
    try {
      row = await db.transaction(async (tx) => {
        const [updated] = await tx
          .update(partners)
          .set({ ...changes, updatedAt: new Date() })
          .where(eq(partners.id, current.id))
          .returning();
        if (updated && services) await replaceServices(tx, updated.id, services);
        if (updated) {
          const actor = auditActor(req, res);
          await recordAudit(tx, actor, { action: 'partner.changed', target: { kind: 'partner', id: updated.id }, data: { fields: Object.keys(body) } });
          // Deactivating a partner revokes its tokens, in the same transaction.
          if (current.active && !updated.active) await revokePartnerTokens(tx, actor, updated.id, 'all-issued', 'partner deactivated');
        }
        return updated;
      });
    } catch (err) {
      if (isUniqueViolation(err) && newDepartment) throw departmentLinked(newDepartment);
      throw err;
    }
    if (!row) throw partnerNotFound(current.id);
    deps.log.info({ partnerId: row.id, fields: Object.keys(body), by: p.id }, 'partner changed');
    res.json(await readPartner(db, row));
  });

  router.delete('/:id', async (req, res) => {
    const p = principalOf(res);
    const current = await partnerRow(db, String(req.params.id));
    let row = current;
    if (current.active) {
      const actor = auditActor(req, res);
      row = await db.transaction(async (tx) => {
        const [updated = current] = await tx.update(partners).set({ active: false, updatedAt: new Date() }).where(eq(partners.id, current.id)).returning();
        await recordAudit(tx, actor, { action: 'partner.deactivated', target: { kind: 'partner', id: current.id } });
        await revokePartnerTokens(tx, actor, current.id, 'all-issued', 'partner deactivated');
        return updated;
      });
      deps.log.info({ partnerId: row.id, by: p.id }, 'partner deactivated');
    }
    res.json(await readPartner(db, row));
  });

  router.post('/:id/webhook-secret', async (req, res) => {
    const p = principalOf(res);
    const current = await partnerRow(db, String(req.params.id));
    const webhookSecret = newSecret();
    await db.transaction(async (tx) => {
      await tx.update(partners).set({ webhookSecret, updatedAt: new Date() }).where(eq(partners.id, current.id));
      await recordAudit(tx, auditActor(req, res), { action: 'partner.webhook-secret-rotated', target: { kind: 'partner', id: current.id } });
    });
    deps.log.info({ partnerId: current.id, by: p.id }, 'partner webhook secret rotated');
    res.json({ webhookSecret });
  });

  router.post('/:id/tokens', async (req, res) => {
    const p = principalOf(res);
    const { ttl } = parseOr400(MintTokenBody, req.body ?? {});
    const current = await partnerRow(db, String(req.params.id));
    if (!current.active) {
      throw problem(409, `Partner ${current.id} is inactive: reactivate it (PATCH active: true) before minting a token`, { type: 'partner-inactive' });
    }
    // Issued after the partner's latest revocation (a deactivation, a compromise), so that it does not cover this token.
    const notIssuedBefore = await latestCutoff(db, partnerHolder(current.id));
    const minted = await deps.auth.mint({ sub: `partner-${current.id}`, role: 'partner', partner: current.id }, ttl, { notIssuedBefore });
    await recordAudit(db, auditActor(req, res), {
      action: 'token.minted',
      target: { kind: 'token', id: minted.tokenId },
      data: { partnerId: current.id, expiresAt: minted.expiresAt.toISOString() },
    });
    deps.log.info({ partnerId: current.id, ttl, tokenId: minted.tokenId, by: p.id }, 'partner token minted');
    res.json({ token: minted.token, tokenId: minted.tokenId, expiresAt: minted.expiresAt.toISOString(), expiresIn: ttlSeconds(ttl) });
  });

  return router;
}
