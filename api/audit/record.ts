import type { Request, Response } from 'express';
import type { Db } from '../../db/client';
import { auditEvents } from '../../db/schema';
import { type Principal, principalOf } from '../http/auth';

/**
 * The audit of state-changing requests that are not a case's (a case's actions are on its timeline, with the
 * actor and role of each event): who, in which role and scope, did what to which target, when, under which
 * request. Targets are ids; `data` holds non-personal facts only (field names changed, a lifetime, a count) —
 * never a channel address, a phone, a name or free text. Written in the same transaction as the change where
 * there is one; append-only (no update or delete path here, and a trigger in the database refuses them).
 */

export const auditTargetKinds = ['partner', 'token', 'calendar-year', 'whistle-urgency', 'batch', 'alert'] as const;
export type AuditTargetKind = (typeof auditTargetKinds)[number];

export interface AuditEntry {
  /** `<target kind>.<what happened>`, e.g. partner.deactivated, token.revoked, calendar-year.replaced. */
  action: string;
  target: { kind: AuditTargetKind; id: string };
  data?: Record<string, unknown>;
}

/** Who acts: the request's principal and its request id. */
export interface AuditActor {
  principal: Principal;
  requestId?: string;
}

export const auditActor = (req: Request, res: Response): AuditActor => {
  const id = (req as Request & { id?: unknown }).id;
  return { principal: principalOf(res), requestId: id === undefined || id === null ? undefined : String(id) };
};

/** `station:qianggen`, `department:housing`, `subdistrict:xinjiekou`, `partner:anju-repair`; none for admins. */
export function scopeOf(p: Principal): string | null {
  if (p.stationId) return `station:${p.stationId}`;
  if (p.departmentId) return `department:${p.departmentId}`;
  if (p.subdistrictId) return `subdistrict:${p.subdistrictId}`;
  if (p.partnerId) return `partner:${p.partnerId}`;
  return null;
}

export async function recordAudit(db: Db, actor: AuditActor, ...entries: AuditEntry[]): Promise<void> {
  if (entries.length === 0) return;
  const { principal: p, requestId } = actor;
  await db.insert(auditEvents).values(
    entries.map((e) => ({
      actor: p.id,
      actorRole: p.role,
      scope: scopeOf(p),
      action: e.action,
      targetKind: e.target.kind,
      targetId: e.target.id,
      requestId: requestId ?? null,
      data: e.data ?? {},
    })),
  );
}
