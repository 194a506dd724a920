import { z } from 'zod';
import { mobilePattern } from '../../activities/delivery/channels/sms';
import { noticeLocales, partnerKinds } from '../../db/schema';
import { emptyIsAbsent, id as refId, pageQuery } from '../http/schemas';
import { endsInSupportedRange, supportedRange } from '../http/instants';
import { line, phoneNumber } from '../http/text';

/**
 * Request bodies and queries of the partner registry, validated at the edge (400 with JSON pointers). The
 * rules against master data (departments, catalogue items, one entry per department) are lookup.ts's (422).
 */

export const partnerIdPattern = /^[a-z0-9][a-z0-9-]{1,63}$/;
export const PartnerId = z.string().regex(partnerIdPattern, 'must be a slug of lower-case letters, digits and "-" (2–64 characters)');

const WebhookChannel = z
  .strictObject({
    type: z.literal('webhook'),
    url: z.url({ protocol: /^https?$/, error: 'must be an http:// or https:// URL' }).max(2000).meta({
      description: 'Must resolve to public addresses only: loopback, link-local, private and other special ranges are refused unless OUTBOUND_ALLOW lists them (checked again at every delivery; redirects are not followed)',
    }),
  })
  .meta({ id: 'WebhookChannel', description: "Notices are POSTed as JSON to the URL, signed with the partner's webhook secret (HMAC-SHA256)" });
/** zod's addresses with RFC 5321's limit of 64 characters before the @ (JSON Schema's `format: email` checks it too). */
const emailPattern = new RegExp(`^(?=[^@]{1,64}@)${z.regexes.email.source.slice(1)}`);
const EmailChannel = z
  .strictObject({
    type: z.literal('email'),
    // The document says which addresses: zod's, narrower than JSON Schema's `format: email`.
    address: z.email({ pattern: emailPattern, error: 'must be an email address (at most 64 characters before the @)' }).max(254).meta({ pattern: emailPattern.source }),
  })
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
  .meta({
    description: 'Contact channels in preference order: the next is tried when one gives up; at most one of each type',
    // The same rule in the document: each type contained at most once.
    allOf: ContactChannelSchema.options.map((o) => ({ contains: { properties: { type: { const: o.shape.type.value } }, required: ['type'] }, minContains: 0, maxContains: 1 })),
  });

const Services = z
  .array(line(100))
  .max(100)
  .superRefine((codes, ctx) => {
    codes.forEach((code, i) => {
      if (codes.indexOf(code) < i) ctx.addIssue({ code: 'custom', path: [i], message: `repeats service ${code}` });
    });
  })
  .meta({ description: 'Codes of the catalogue items the partner offers (each once)', uniqueItems: true });

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

export const ListPartnersQuery = z.strictObject({
  kind: z.preprocess(emptyIsAbsent, z.enum(partnerKinds).optional()),
  service: z.preprocess(emptyIsAbsent, refId.optional().meta({ description: 'Only partners offering this catalogue item' })),
  active: z.preprocess(emptyIsAbsent, z.enum(['true', 'false']).optional().meta({ description: 'Only active (true) or inactive (false) partners; default: all' })),
  ...pageQuery,
});

const ttlPattern = /^\d+ ?(s|m|h|d)$/;
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

/** A token's lifetime in seconds, e.g. 8h → 28800. */
export const ttlSeconds = (ttl: string) => {
  const [, n = '0', unit = 's'] = /^(\d+)\s?(s|m|h|d)$/.exec(ttl) ?? [];
  return Number(n) * { s: 1, m: 60, h: 3600, d: 86_400 }[unit as 's' | 'm' | 'h' | 'd'];
};
