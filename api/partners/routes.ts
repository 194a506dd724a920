import crypto from 'node:crypto';
import { and, asc, eq, gt, inArray, ne, type SQL } from 'drizzle-orm';
import { Router } from 'express';
import { z } from 'zod';
import { mobilePattern } from '../../activities/delivery/channels/sms';
import type { Db } from '../../db/client';
import { noticeLocales, type PartnerKind, partnerKinds, partnerServices, partners } from '../../db/schema';
import { principalOf, requireRole } from '../http/auth';
import { id as refId } from '../cases/commands';
import { line, phoneNumber } from '../http/text';
import { emptyIsAbsent, pageQuery } from '../cases/routes';
import type { AppDeps } from '../http/deps';
import { departmentErrors, serviceCodeErrors, unknownReferences } from '../http/master-data';
import { problemResponses, registry } from '../http/openapi';
import { problem, type ProblemExtras } from '../http/problems';
import { cursorCodec, cursorPart } from '../http/cursor';
import { endsInSupportedRange, supportedRange } from '../http/instants';
import { parseOr400 } from '../http/validation';

/**
 * The partner registry: service agencies, handy-help outlets, institutions, volunteer organisations and
 * departments that take notices pushed to them, with the catalogue items they offer and their contact
 * channels in preference order. Admins keep it; staff and supervisors read it. Partners are referenced by
 * cases and the delivery log, so a partner is deactivated, never removed. The webhook secret is shown once,
 * when it is generated (creation, rotation); channel addresses and phones never reach the logs.
 */

/* ---------- schemas: validation at the edge, and the OpenAPI document ---------- */

export const partnerIdPattern = /^[a-z0-9][a-z0-9-]{1,63}$/;
const PartnerId = z.string().regex(partnerIdPattern, 'must be a slug of lower-case letters, digits and "-" (2–64 characters)');


const WebhookChannel = z
  .strictObject({
    type: z.literal('webhook'),
    url: z.url({ protocol: /^https?$/, error: 'must be an http:// or https:// URL' }).max(2000),
  })
  .meta({ id: 'WebhookChannel', description: "Notices are POSTed as JSON to the URL, signed with the partner's webhook secret (HMAC-SHA256)" });
const EmailChannel = z
  .strictObject({ type: z.literal('email'), address: z.email({ error: 'must be an email address' }).max(254) })
  .meta({ id: 'EmailChannel', description: 'Notices are mailed in the partner’s locale' });
const SmsChannel = z
  .strictObject({
    type: z.literal('sms'),
    phone: phoneNumber(mobilePattern, 'must be a mobile number: E.164 (+8613800138000) or an 11-digit Chinese mobile number (13800138000)').meta({
      description: 'Full-width digits are taken as ASCII digits (NFKC)',
    }),
  })
  .meta({ id: 'SmsChannel', description: 'Notices are texted in the partner’s locale' });
export const ContactChannelSchema = z
  .discriminatedUnion('type', [WebhookChannel, EmailChannel, SmsChannel], { error: 'must be a channel of type webhook, email or sms' })
  .meta({ id: 'ContactChannel' });

const Channels = z
  .array(ContactChannelSchema)
  .max(3, 'must list at most 3 channels, one of each type')
  .superRefine((channels, ctx) => {
    channels.forEach((c, i) => {
      if (channels.findIndex((other) => other.type === c.type) < i) {
        ctx.addIssue({ code: 'custom', path: [i, 'type'], message: `repeats channel type ${c.type}: a partner has at most one channel of each type` });
      }
    });
  })
  .meta({ description: 'Contact channels in preference order: the next is tried when one gives up; at most one of each type' });

const Services = z
  .array(line(100))
  .max(100)
  .superRefine((codes, ctx) => {
    codes.forEach((code, i) => {
      if (codes.indexOf(code) < i) ctx.addIssue({ code: 'custom', path: [i], message: `repeats service ${code}` });
    });
  })
  .meta({ description: 'Codes of the catalogue items the partner offers' });

const DepartmentId = refId.meta({ description: 'Kind department only (and then required): the department this registry entry speaks for' });

const fields = {
  kind: z.enum(partnerKinds),
  name: line(200),
  nameZh: line(200),
  services: Services,
  channels: Channels,
  locale: z.enum(noticeLocales).meta({ description: 'The language of email and SMS notices' }),
  active: z.boolean().meta({ description: 'Inactive partners cannot be assigned tasks and get no tokens; they stay in the registry' }),
};

export const CreatePartnerBody = z
  .strictObject({
    id: PartnerId,
    kind: fields.kind,
    name: fields.name,
    nameZh: fields.nameZh,
    departmentId: DepartmentId.optional(),
    services: fields.services.default([]),
    channels: fields.channels,
    locale: fields.locale.default('zh-CN'),
    active: fields.active.default(true),
  })
  .meta({ id: 'PartnerInput' });

export const PatchPartnerBody = z
  .strictObject({
    kind: fields.kind.optional(),
    name: fields.name.optional(),
    nameZh: fields.nameZh.optional(),
    departmentId: DepartmentId.nullable().optional().meta({ description: 'null unlinks the department (when the kind changes)' }),
    services: fields.services.optional().meta({ description: 'Replaces the whole set' }),
    channels: fields.channels.optional().meta({ description: 'Replaces the whole list' }),
    locale: fields.locale.optional(),
    active: fields.active.optional(),
  })
  .meta({ id: 'PartnerPatch', description: 'The fields to change; the others keep their values' });

const Partner = z
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
type Partner = z.infer<typeof Partner>;

const WebhookSecret = z.string().meta({ description: 'The HMAC-SHA256 key webhooks are signed with: shown this once, store it now' });
const CreatedPartner = Partner.extend({ webhookSecret: WebhookSecret }).meta({ id: 'CreatedPartner' });

export const ListPartnersQuery = z.strictObject({
  kind: z.preprocess(emptyIsAbsent, z.enum(partnerKinds).optional()),
  service: z.preprocess(emptyIsAbsent, refId.optional().meta({ description: 'Only partners offering this catalogue item' })),
  active: z.preprocess(emptyIsAbsent, z.enum(['true', 'false']).optional().meta({ description: 'Only active (true) or inactive (false) partners; default: all' })),
  ...pageQuery,
});
const PartnerList = z.object({ items: z.array(Partner), nextCursor: z.string().optional() }).meta({ id: 'PartnerList' });

const ttlPattern = /^\d+\s?(s|m|h|d)$/;
export const MintTokenBody = z
  .strictObject({
    ttl: z
      .string()
      .regex(ttlPattern, 'must look like 30m, 8h, 7d or 365d')
      .refine((t) => endsInSupportedRange(ttlSeconds(t)), { message: `must end ${supportedRange.description}` })
      .default('365d')
      .meta({ description: "The token's lifetime" }),
  })
  .meta({ id: 'PartnerTokenRequest' });
const PartnerToken = z
  .object({
    token: z.string().meta({ description: 'A bearer token of role partner for POST /api/partner-replies; shown this once' }),
    expiresIn: z.int().meta({ description: 'Seconds until it expires' }),
  })
  .meta({ id: 'PartnerToken' });

/* ---------- OpenAPI ---------- */

const params = z.object({ id: PartnerId });
const readers = 'Roles: staff, supervisor, admin.';
const json = <S extends z.ZodType>(description: string, schema: S) => ({ description, content: { 'application/json': { schema } } });

registry.registerPath({
  method: 'get',
  path: '/api/partners',
  summary: 'The partner registry, by id',
  description: `${readers} Filters: kind, a catalogue item offered (service), active. Never the webhook secret.`,
  request: { query: ListPartnersQuery },
  responses: { 200: json('A page of partners', PartnerList), ...problemResponses(400, 401, 403) },
});
registry.registerPath({
  method: 'get',
  path: '/api/partners/{id}',
  summary: 'A partner',
  description: `${readers} Never the webhook secret.`,
  request: { params },
  responses: { 200: json('The partner', Partner), ...problemResponses(401, 403, 404) },
});
registry.registerPath({
  method: 'post',
  path: '/api/partners',
  summary: 'Register a partner (admin)',
  description:
    'Roles: admin. Kind department names its department (departmentId, one registry entry per department); other kinds name none. ' +
    'A webhook secret is generated and returned once, in this response.',
  request: { body: { content: { 'application/json': { schema: CreatePartnerBody } } } },
  responses: {
    201: json('The partner is registered; Location names it', CreatedPartner),
    ...problemResponses(400, 401, 403, 409, 413, 415, 422),
  },
});
registry.registerPath({
  method: 'patch',
  path: '/api/partners/{id}',
  summary: 'Change a partner (admin)',
  description: 'Roles: admin. services and channels replace the whole set and list.',
  request: { params, body: { content: { 'application/json': { schema: PatchPartnerBody } } } },
  responses: { 200: json('The partner as stored', Partner), ...problemResponses(400, 401, 403, 404, 413, 415, 422) },
});
registry.registerPath({
  method: 'delete',
  path: '/api/partners/{id}',
  summary: 'Deactivate a partner (admin)',
  description: 'Roles: admin. Cases and the delivery log reference partners, so the entry stays, inactive; again → 200 with the same partner.',
  request: { params },
  responses: { 200: json('The partner, inactive', Partner), ...problemResponses(401, 403, 404) },
});
registry.registerPath({
  method: 'post',
  path: '/api/partners/{id}/webhook-secret',
  summary: "Rotate a partner's webhook secret (admin)",
  description: 'Roles: admin. The old secret stops signing at once; the new one is returned once, in this response.',
  request: { params },
  responses: {
    200: json('The new secret', z.object({ webhookSecret: WebhookSecret }).meta({ id: 'PartnerWebhookSecret' })),
    ...problemResponses(401, 403, 404),
  },
});
registry.registerPath({
  method: 'post',
  path: '/api/partners/{id}/tokens',
  summary: "Mint a partner's own API token (admin)",
  description: 'Roles: admin. A token of role partner for the partner to answer its tasks (POST /api/partner-replies); an inactive partner gets none (409).',
  request: { params, body: { content: { 'application/json': { schema: MintTokenBody } } } },
  responses: { 200: json('The token, shown once', PartnerToken), ...problemResponses(400, 401, 403, 404, 409, 413, 415) },
});

/* ---------- reading ---------- */

type PartnerRow = typeof partners.$inferSelect;

/** The registry entry as the API shows it: an allowlist, so the webhook secret (or a column added later) never leaks. */
function partnerView(row: PartnerRow, services: string[]): Partner {
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

async function servicesOf(db: Db, ids: string[]): Promise<Map<string, string[]>> {
  const rows = ids.length ? await db.select().from(partnerServices).where(inArray(partnerServices.partnerId, ids)) : [];
  const map = new Map<string, string[]>(ids.map((id) => [id, []]));
  for (const r of rows) map.get(r.partnerId)?.push(r.serviceCode);
  // Sorted here, not by the database's collation: the same order on every database.
  for (const codes of map.values()) codes.sort();
  return map;
}

const partnerNotFound = (id: string) => problem(404, `Partner ${id} not found`, { type: 'partner-not-found' });

async function partnerRow(db: Db, id: string): Promise<PartnerRow> {
  const [row] = partnerIdPattern.test(id) ? await db.select().from(partners).where(eq(partners.id, id)) : [];
  if (!row) throw partnerNotFound(id);
  return row;
}

async function readPartner(db: Db, row: PartnerRow): Promise<Partner> {
  return partnerView(row, (await servicesOf(db, [row.id])).get(row.id) ?? []);
}

/** Keyset pagination on the partner id. */
const partnerCursor = cursorCodec<{ id: string }>({ id: cursorPart.id(partnerIdPattern) });

/* ---------- checking a partner against master data ---------- */

type FieldError = NonNullable<ProblemExtras['errors']>[number];

/**
 * The rules a partner as it would be stored must keep: kind department names a department, other kinds none
 * (422 partner-invalid); its services are catalogue items and its department exists (422 unknown-reference);
 * no other registry entry speaks for the department (422 department-already-linked).
 */
async function assertPartnerRules(
  db: Db,
  self: string,
  partner: { kind: PartnerKind; departmentId: string | null },
  changed: { departmentId?: string | null; services?: string[] },
): Promise<void> {
  const { kind, departmentId } = partner;
  if (kind === 'department' && !departmentId) {
    throw problem(422, 'A partner of kind department names its department (departmentId)', {
      type: 'partner-invalid',
      errors: [{ pointer: '#/departmentId', detail: 'is required for a partner of kind department' }],
    });
  }
  if (kind !== 'department' && departmentId) {
    throw problem(422, `Only a partner of kind department names a department; this one is of kind ${kind}`, {
      type: 'partner-invalid',
      errors: [{ pointer: '#/departmentId', detail: `is only for partners of kind department (not ${kind})` }],
    });
  }
  const errors: FieldError[] = [
    ...(changed.services ? await serviceCodeErrors(db, changed.services.map((code, i) => ({ pointer: `#/services/${i}`, code }))) : []),
    ...(changed.departmentId ? await departmentErrors(db, undefined, [{ pointer: '#/departmentId', id: changed.departmentId }]) : []),
  ];
  if (errors.length) throw unknownReferences(errors);
  if (changed.departmentId) {
    const [other] = await db
      .select({ id: partners.id })
      .from(partners)
      .where(and(eq(partners.departmentId, changed.departmentId), ne(partners.id, self)));
    if (other) throw departmentLinked(changed.departmentId, other.id);
  }
}

function departmentLinked(departmentId: string, partnerId?: string) {
  const to = partnerId ? ` to partner ${partnerId}` : '';
  return problem(422, `Department ${departmentId} is already linked${to}: one registry entry per department`, {
    type: 'department-already-linked',
    errors: [{ pointer: '#/departmentId', detail: `is already linked${to} (${departmentId})` }],
  });
}

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
const ttlSeconds = (ttl: string) => {
  const [, n = '0', unit = 's'] = /^(\d+)\s?(s|m|h|d)$/.exec(ttl) ?? [];
  return Number(n) * { s: 1, m: 60, h: 3600, d: 86_400 }[unit as 's' | 'm' | 'h' | 'd'];
};

/* ---------- routes ---------- */

export function partnersRouter(deps: AppDeps): Router {
  const router = Router();
  const { db } = deps.database;
  const read = requireRole('staff', 'supervisor', 'admin');
  const admin = requireRole('admin');

  router.get('/', read, async (req, res) => {
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

  router.get('/:id', read, async (req, res) => {
    res.json(await readPartner(db, await partnerRow(db, String(req.params.id))));
  });

  router.post('/', admin, async (req, res) => {
    const p = principalOf(res);
    const body = parseOr400(CreatePartnerBody, req.body ?? {});
    const { services, ...values } = body;
    const departmentId = values.departmentId ?? null;
    const [existing] = await db.select({ id: partners.id }).from(partners).where(eq(partners.id, body.id));
    if (existing) throw partnerExists(body.id);
    await assertPartnerRules(db, body.id, { kind: body.kind, departmentId }, { departmentId, services });
    const webhookSecret = newSecret();
    const row = await db.transaction(async (tx) => {
      const [inserted] = await tx
        .insert(partners)
        .values({ ...values, departmentId, webhookSecret })
        .onConflictDoNothing()
        .returning();
      if (inserted) await replaceServices(tx, inserted.id, services);
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

  router.patch('/:id', admin, async (req, res) => {
    const p = principalOf(res);
    const body = parseOr400(PatchPartnerBody, req.body ?? {});
    const current = await partnerRow(db, String(req.params.id));
    const { services, ...changes } = body;
    const kind = changes.kind ?? current.kind;
    const departmentId = changes.departmentId !== undefined ? changes.departmentId : current.departmentId;
    const newDepartment = departmentId !== current.departmentId ? departmentId : undefined;
    await assertPartnerRules(db, current.id, { kind, departmentId }, { departmentId: newDepartment, services });
    let row: PartnerRow | undefined;
    try {
      row = await db.transaction(async (tx) => {
        const [updated] = await tx
          .update(partners)
          .set({ ...changes, updatedAt: new Date() })
          .where(eq(partners.id, current.id))
          .returning();
        if (updated && services) await replaceServices(tx, updated.id, services);
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

  router.delete('/:id', admin, async (req, res) => {
    const p = principalOf(res);
    const current = await partnerRow(db, String(req.params.id));
    let row = current;
    if (current.active) {
      [row = current] = await db.update(partners).set({ active: false, updatedAt: new Date() }).where(eq(partners.id, current.id)).returning();
      deps.log.info({ partnerId: row.id, by: p.id }, 'partner deactivated');
    }
    res.json(await readPartner(db, row));
  });

  router.post('/:id/webhook-secret', admin, async (req, res) => {
    const p = principalOf(res);
    const current = await partnerRow(db, String(req.params.id));
    const webhookSecret = newSecret();
    await db.update(partners).set({ webhookSecret, updatedAt: new Date() }).where(eq(partners.id, current.id));
    deps.log.info({ partnerId: current.id, by: p.id }, 'partner webhook secret rotated');
    res.json({ webhookSecret });
  });

  router.post('/:id/tokens', admin, async (req, res) => {
    const p = principalOf(res);
    const { ttl } = parseOr400(MintTokenBody, req.body ?? {});
    const current = await partnerRow(db, String(req.params.id));
    if (!current.active) {
      throw problem(409, `Partner ${current.id} is inactive: reactivate it (PATCH active: true) before minting a token`, { type: 'partner-inactive' });
    }
    const token = await deps.auth.sign({ sub: `partner-${current.id}`, role: 'partner', partner: current.id }, ttl);
    deps.log.info({ partnerId: current.id, ttl, by: p.id }, 'partner token minted');
    res.json({ token, expiresIn: ttlSeconds(ttl) });
  });

  return router;
}

function partnerExists(id: string) {
  return problem(409, `Partner ${id} already exists: change it with PATCH /api/partners/${id}`, { type: 'partner-exists' });
}
