import { and, desc, eq, gt, lt, max, or, type SQL } from 'drizzle-orm';
import type { RequestHandler } from 'express';
import type { Db } from '../../db/client';
import { tokenRevocations } from '../../db/schema';
import { type AuditActor, recordAudit } from '../audit/record';
import { type Principal, principalOf } from '../http/auth';
import { problem } from '../http/problems';

/**
 * Revoked credentials (token_revocations): one token by its `jti`, or every token of a holder issued before
 * an instant (a compromised or deactivated partner: holder `partner:<id>`). Checked on every request by one
 * indexed query — no cache, so a revocation bites on the next request in every process of the API at once.
 * A future Open311 API key is another credential kind in the same table (`credential`), checked the same way.
 */

export const partnerHolder = (partnerId: string) => `partner:${partnerId}`;

/** The holder whose credentials a principal's token is one of, if any. */
const holderOf = (p: Principal): string | undefined => (p.role === 'partner' && p.partnerId ? partnerHolder(p.partnerId) : undefined);

/** Is the principal's token revoked: its jti, or its holder's tokens issued before its iat? */
export async function isRevoked(db: Db, p: Principal): Promise<boolean> {
  const holder = holderOf(p);
  const conditions: SQL[] = [];
  if (p.tokenId) conditions.push(eq(tokenRevocations.credentialId, p.tokenId));
  // A token without iat cannot show it was issued after the cutoff: any cutoff revokes it.
  if (holder) conditions.push(and(eq(tokenRevocations.holder, holder), gt(tokenRevocations.issuedBefore, p.issuedAt ?? new Date(0)))!);
  if (conditions.length === 0) return false;
  const [row] = await db
    .select({ id: tokenRevocations.id })
    .from(tokenRevocations)
    .where(and(eq(tokenRevocations.credential, 'token'), or(...conditions)))
    .limit(1);
  return row !== undefined;
}

/** After `authenticate`: 401 for a revoked token. */
export function refuseRevoked(db: Db): RequestHandler {
  return async (_req, res, next) => {
    try {
      if (await isRevoked(db, principalOf(res))) {
        return next(
          problem(401, 'Authentication required: the token has been revoked', {
            type: 'unauthorized',
            headers: { 'WWW-Authenticate': 'Bearer realm="stationflow", error="invalid_token", error_description="revoked"' },
          }),
        );
      }
      next();
    } catch (err) {
      next(err);
    }
  };
}

/** The latest cutoff of a holder's tokens: a token minted for it now must be issued after it. */
export async function latestCutoff(db: Db, holder: string): Promise<Date | undefined> {
  const [row] = await db.select({ at: max(tokenRevocations.issuedBefore) }).from(tokenRevocations).where(eq(tokenRevocations.holder, holder));
  return row?.at ?? undefined;
}

export type RevocationRow = typeof tokenRevocations.$inferSelect;

/** A page of revocations, newest first, optionally of one holder. */
export async function listRevocations(db: Db, q: { holder?: string; beforeId?: number; limit: number }): Promise<RevocationRow[]> {
  const where: (SQL | undefined)[] = [];
  if (q.holder) where.push(eq(tokenRevocations.holder, q.holder));
  if (q.beforeId !== undefined) where.push(lt(tokenRevocations.id, q.beforeId));
  return db
    .select()
    .from(tokenRevocations)
    .where(and(...where))
    .orderBy(desc(tokenRevocations.id))
    .limit(q.limit + 1);
}

/**
 * A cutoff past every token of the holder minted so far. `iat` has whole seconds, and a token minted after
 * a cutoff gets an `iat` at or after it (rounded up: possibly a second ahead of the clock), so "now" is not
 * enough: the cutoff is the next whole second after both the clock and the holder's latest cutoff.
 */
async function cutoffAfterAllIssued(tx: Db, holder: string): Promise<Date> {
  const latest = await latestCutoff(tx, holder);
  const seconds = Math.max(Math.floor(Date.now() / 1000), latest ? Math.ceil(latest.getTime() / 1000) : 0) + 1;
  return new Date(seconds * 1000);
}

/**
 * Revokes every token of a partner issued before `before` (`all-issued`: every token minted so far), with its audit row: in the caller's transaction (a
 * partner's deactivation revokes its tokens together with the change).
 */
export async function revokePartnerTokens(tx: Db, actor: AuditActor, partnerId: string, before: Date | 'all-issued', reason: string): Promise<RevocationRow> {
  const at = before === 'all-issued' ? await cutoffAfterAllIssued(tx, partnerHolder(partnerId)) : before;
  const [row] = await tx
    .insert(tokenRevocations)
    .values({ holder: partnerHolder(partnerId), issuedBefore: at, revokedBy: actor.principal.id, revokedByRole: actor.principal.role, reason })
    .returning();
  await recordAudit(tx, actor, { action: 'token.revoked', target: { kind: 'partner', id: partnerId }, data: { issuedBefore: at.toISOString() } });
  return row!;
}
