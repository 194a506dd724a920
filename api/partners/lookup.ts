import { and, eq, ne } from 'drizzle-orm';
import type { Db } from '../../db/client';
import { type PartnerKind, partners } from '../../db/schema';
import { departmentErrors, serviceCodeErrors, unknownReferences } from '../http/master-data';
import { problem, type ProblemExtras } from '../http/problems';
import { partnerIdPattern } from './commands';
import type { PartnerRow } from './view';
import { checkOutboundUrl, OutboundRefused, outboundPolicy, type OutboundPolicy } from '../../activities/delivery/outbound';
import type { ContactChannel } from '../../db/schema';

const developmentOutbound = outboundPolicy(undefined, 'development');

/**
 * A webhook URL must not reach the service's own network (README "Outbound URLs"): 422 outbound-url-refused
 * with a pointer to each refused URL. A name that does not resolve now passes: delivery checks it again.
 */
export async function assertOutboundChannels(policy: OutboundPolicy | undefined, channels: ContactChannel[] | undefined): Promise<void> {
  const errors: FieldError[] = [];
  await Promise.all(
    (channels ?? []).map(async (c, i) => {
      if (c.type !== 'webhook') return;
      await checkOutboundUrl(c.url, policy ?? developmentOutbound).catch((err: unknown) => {
        if (err instanceof OutboundRefused) errors.push({ pointer: `#/channels/${i}/url`, detail: err.message });
      });
    }),
  );
  if (errors.length) {
    errors.sort((a, b) => a.pointer.localeCompare(b.pointer));
    throw problem(422, 'A webhook URL may not reach loopback, link-local, private or other non-public addresses unless OUTBOUND_ALLOW lists them', {
      type: 'outbound-url-refused',
      errors,
    });
  }
}

/** Finding a registry entry, and the rules a partner as it would be stored must keep. */

export const partnerNotFound = (id: string) => problem(404, `Partner ${id} not found`, { type: 'partner-not-found' });

export async function partnerRow(db: Db, id: string): Promise<PartnerRow> {
  const [row] = partnerIdPattern.test(id) ? await db.select().from(partners).where(eq(partners.id, id)) : [];
  if (!row) throw partnerNotFound(id);
  return row;
}

type FieldError = NonNullable<ProblemExtras['errors']>[number];

/**
 * The rules a partner as it would be stored must keep: kind department names a department, other kinds none
 * (422 partner-invalid); its services are catalogue items and its department exists (422 unknown-reference);
 * no other registry entry speaks for the department (422 department-already-linked).
 */
export async function assertPartnerRules(
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

export function departmentLinked(departmentId: string, partnerId?: string) {
  const to = partnerId ? ` to partner ${partnerId}` : '';
  return problem(422, `Department ${departmentId} is already linked${to}: one registry entry per department`, {
    type: 'department-already-linked',
    errors: [{ pointer: '#/departmentId', detail: `is already linked${to} (${departmentId})` }],
  });
}

export function partnerExists(id: string) {
  return problem(409, `Partner ${id} already exists: change it with PATCH /api/partners/${id}`, { type: 'partner-exists' });
}
