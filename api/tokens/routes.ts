import { and, eq } from 'drizzle-orm';
import { Router } from 'express';
import { z } from 'zod';
import type { Db } from '../../db/client';
import { tokenRevocations } from '../../db/schema';
import { auditActor, recordAudit } from '../audit/record';
import { cursorCodec, cursorPart } from '../http/cursor';
import type { AppDeps } from '../http/deps';
import { problemResponses, registry } from '../http/openapi';
import { emptyIsAbsent, id as refId, pageQuery } from '../http/schemas';
import { BodyInstant } from '../http/instants';
import { text } from '../http/text';
import { parseOr400 } from '../http/validation';
import { PartnerId } from '../partners/commands';
import { partnerRow } from '../partners/lookup';
import { listRevocations, partnerHolder, type RevocationRow, revokePartnerTokens } from './revocations';

/**
 * Revoking tokens (admins): one token by its id (`tokenId`, the `jti` that POST /api/partners/{id}/tokens
 * answers with), or every token of a partner issued before an instant (a compromised partner). A revoked token
 * is refused (401) on its next request, in every process (api/tokens/revocations.ts). Deactivating a partner
 * revokes its tokens too (api/partners/routes.ts). Each revocation is in the audit (token.revoked).
 */

const Reason = text(500).meta({ description: 'Why (kept with the revocation, shown to admins; not in the audit)' });
const RevokeToken = z
  .strictObject({ tokenId: refId.meta({ description: "The token's id (its jti)" }), reason: Reason })
  .meta({ id: 'TokenRevocationOfOne', description: 'Revokes one token' });
const RevokePartnerTokens = z
  .strictObject({
    partnerId: PartnerId,
    issuedBefore: BodyInstant.optional()
      .meta({ description: 'Tokens of the partner issued before this instant are revoked; default and at most: now (a later instant is taken as now)' }),
    reason: Reason,
  })
  .meta({ id: 'TokenRevocationOfPartner', description: "Revokes every token of a partner issued before an instant (default now): tokens minted later are not affected" });
export const RevocationBody = z.union([RevokeToken, RevokePartnerTokens]).meta({ id: 'TokenRevocationRequest' });

const Revocation = z
  .object({
    id: z.string().meta({ description: "The revocation's id" }),
    credential: z.literal('token'),
    tokenId: z.string().optional(),
    partnerId: z.string().optional(),
    issuedBefore: z.iso.datetime({ offset: true }).optional(),
    revokedAt: z.iso.datetime({ offset: true }),
    revokedBy: z.string(),
    revokedByRole: z.string(),
    reason: z.string(),
  })
  .meta({ id: 'TokenRevocation' });
const RevocationList = z.object({ items: z.array(Revocation), nextCursor: z.string().optional() }).meta({ id: 'TokenRevocationList' });

const ListQuery = z.strictObject({
  partnerId: z.preprocess(emptyIsAbsent, PartnerId.optional().meta({ description: "Only the partner's revocations (of all its tokens before an instant)" })),
  ...pageQuery,
});

const json = <S extends z.ZodType>(description: string, schema: S) => ({ description, content: { 'application/json': { schema } } });
registry.registerPath({
  method: 'post',
  path: '/api/tokens/revocations',
  operationId: 'revokeTokens',
  summary: 'Revoke a token, or every token of a partner (admin)',
  description:
    '`{tokenId, reason}` revokes one token; `{partnerId, issuedBefore?, reason}` every token of the partner issued before the instant. ' +
    'A revoked token is refused (401) from its next request on. Revoking a token again answers 200 with the first revocation.',
  request: { body: { required: true, content: { 'application/json': { schema: RevocationBody } } } },
  responses: {
    201: json('Revoked', Revocation),
    200: json('The token was revoked already: the first revocation', Revocation),
    ...problemResponses(400, 401, 403, 404, 413, 415),
  },
});
registry.registerPath({
  method: 'get',
  path: '/api/tokens/revocations',
  operationId: 'listTokenRevocations',
  summary: 'Revoked tokens, newest first (admin)',
  description: 'Revocations of one token and of all tokens of a partner; `partnerId` keeps the latter for one partner.',
  request: { query: ListQuery },
  responses: { 200: json('A page of revocations', RevocationList), ...problemResponses(400, 401, 403) },
});

const revocationCursor = cursorCodec<{ id: string }>({ id: cursorPart.id(/^[1-9]\d{0,15}$/) });

function revocationView(r: RevocationRow): z.infer<typeof Revocation> {
  return {
    id: String(r.id),
    credential: r.credential,
    tokenId: r.credentialId ?? undefined,
    partnerId: r.holder?.startsWith('partner:') ? r.holder.slice('partner:'.length) : undefined,
    issuedBefore: r.issuedBefore?.toISOString(),
    revokedAt: r.revokedAt.toISOString(),
    revokedBy: r.revokedBy,
    revokedByRole: r.revokedByRole,
    reason: r.reason,
  };
}

export function tokensRouter(deps: AppDeps): Router {
  const router = Router();
  const { db } = deps.database;

  router.post('/revocations', async (req, res) => {
    const body = parseOr400(RevocationBody, req.body);
    const actor = auditActor(req, res);
    if ('partnerId' in body) {
      const partner = await partnerRow(db, body.partnerId);
      const at = body.issuedBefore && new Date(body.issuedBefore) < new Date() ? new Date(body.issuedBefore) : 'all-issued';
      const row = await db.transaction((tx) => revokePartnerTokens(tx, actor, partner.id, at, body.reason));
      deps.log.info({ partnerId: partner.id, by: actor.principal.id }, "partner's tokens revoked");
      return res.status(201).json(revocationView(row));
    }
    // One revocation per token, also when two admins revoke it at once.
    const { row, created } = await deps.database.withLock(`token-revocation:${body.tokenId}`, async () => {
      const [existing] = await db
        .select()
        .from(tokenRevocations)
        .where(and(eq(tokenRevocations.credential, 'token'), eq(tokenRevocations.credentialId, body.tokenId)))
        .limit(1);
      if (existing) return { row: existing, created: false };
      const inserted = await db.transaction(async (tx) => {
        const [r] = await tx
          .insert(tokenRevocations)
          .values({ credentialId: body.tokenId, revokedBy: actor.principal.id, revokedByRole: actor.principal.role, reason: body.reason })
          .returning();
        await recordAudit(tx, actor, { action: 'token.revoked', target: { kind: 'token', id: body.tokenId } });
        return r!;
      });
      return { row: inserted, created: true };
    });
    if (created) deps.log.info({ by: actor.principal.id }, 'token revoked');
    res.status(created ? 201 : 200).json(revocationView(row));
  });

  router.get('/revocations', async (req, res) => {
    const q = parseOr400(ListQuery, req.query, 'query');
    const rows = await listRevocations(db, {
      holder: q.partnerId ? partnerHolder(q.partnerId) : undefined,
      beforeId: q.cursor ? Number(revocationCursor.decode(q.cursor).id) : undefined,
      limit: q.limit,
    });
    const page = rows.slice(0, q.limit);
    const last = page.at(-1);
    res.json({ items: page.map(revocationView), nextCursor: rows.length > q.limit && last ? revocationCursor.encode({ id: String(last.id) }) : undefined });
  });

  return router;
}
