import { inArray } from 'drizzle-orm';
import { z } from 'zod';
import type { Db } from '../../db/client';
import { noticeLocales, partnerKinds, partnerServices, partners } from '../../db/schema';
import { ContactChannelSchema, PartnerId } from './commands';

/**
 * The partner registry as the API shows it: the response schemas, and a row (with its catalogue items) as
 * JSON. Never the webhook secret, except once where it is generated (CreatedPartner, PartnerWebhookSecret).
 */

export const Partner = z
  .object({
    id: PartnerId,
    kind: z.enum(partnerKinds),
    name: z.string(),
    nameZh: z.string(),
    active: z.boolean(),
    departmentId: z.string().nullable(),
    services: z.array(z.string()),
    channels: z.array(ContactChannelSchema),
    locale: z.enum(noticeLocales),
    createdAt: z.iso.datetime({ offset: true }),
    updatedAt: z.iso.datetime({ offset: true }),
  })
  .meta({ id: 'Partner', description: 'A registry entry. Its webhook secret is never shown again after creation or rotation' });
export type Partner = z.infer<typeof Partner>;

export const WebhookSecret = z.string().meta({ description: 'The HMAC-SHA256 key webhooks are signed with: shown this once, store it now' });
export const CreatedPartner = Partner.extend({ webhookSecret: WebhookSecret }).meta({ id: 'CreatedPartner' });
export const PartnerList = z.object({ items: z.array(Partner), nextCursor: z.string().optional() }).meta({ id: 'PartnerList' });
export const PartnerToken = z
  .object({
    token: z.string().meta({ description: 'A bearer token of role partner for POST /api/partner-replies; shown this once' }),
    tokenId: z.string().meta({ description: "The token's id (its jti): what POST /api/tokens/revocations revokes" }),
    expiresAt: z.iso.datetime({ offset: true }).meta({ description: 'When it expires' }),
    expiresIn: z.int().meta({ description: 'Seconds until it expires' }),
  })
  .meta({ id: 'PartnerToken' });

export type PartnerRow = typeof partners.$inferSelect;

/** The registry entry as the API shows it: an allowlist, so the webhook secret (or a column added later) never leaks. */
export function partnerView(row: PartnerRow, services: string[]): Partner {
  return {
    id: row.id,
    kind: row.kind,
    name: row.name,
    nameZh: row.nameZh,
    active: row.active,
    departmentId: row.departmentId,
    services,
    channels: row.channels,
    locale: row.locale,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  };
}

export async function servicesOf(db: Db, ids: string[]): Promise<Map<string, string[]>> {
  const rows = ids.length ? await db.select().from(partnerServices).where(inArray(partnerServices.partnerId, ids)) : [];
  const map = new Map<string, string[]>(ids.map((id) => [id, []]));
  for (const r of rows) map.get(r.partnerId)?.push(r.serviceCode);
  // Sorted here, not by the database's collation: the same order on every database.
  for (const codes of map.values()) codes.sort();
  return map;
}

export async function readPartner(db: Db, row: PartnerRow): Promise<Partner> {
  return partnerView(row, (await servicesOf(db, [row.id])).get(row.id) ?? []);
}
