import { and, asc, eq } from 'drizzle-orm';
import { cases, type ContactChannel, deliveries, notifications, partners } from '../../db/schema';
import { acceptUpdate, caseStateQuery, diagnoseUpdate, planUpdate } from '../../workflows/case/messages';
import type { Assignee } from '../../workflows/shared/messages';
import { act, type CaseHandle, inMinutes, openCase } from './cases';
import { eventually, type Stack } from './stack';

/** A home repair: accepted, diagnosed, then planned with one task for `assignee`. */
export const repairCase = {
  serviceCode: 'home-plumbing-repair',
  category: 'life',
  deadlineClass: 'utilities',
  demand: 'Burst pipe under the kitchen sink',
  resident: { name: 'Zhao Min', phone: '13912345678', address: 'Building 3, Unit 2, Qianggen Hutong' },
  catalogue: { name: 'Home plumbing repair', handlingMode: 'needs-documents' as const, requiredDocuments: [], needsHomeVisit: false, issuesCertificate: false },
};

/** A partner in the registry with the given channels (and a webhook secret). */
export async function addPartner(stack: Stack, id: string, channels: ContactChannel[], extra: Partial<typeof partners.$inferInsert> = {}): Promise<void> {
  await stack.database.db
    .insert(partners)
    .values({ id, kind: 'service-agency', name: `Partner ${id}`, nameZh: `合作方${id}`, channels, webhookSecret: `secret-of-${id}`, ...extra });
}

/** Opens a repair case and plans one task for the assignee: the partner is notified (task.assigned). */
export async function caseWithTask(stack: Stack, caseId: string, assignee: Assignee): Promise<CaseHandle> {
  const h = await openCase(stack, caseId, repairCase);
  await act(h, acceptUpdate, { decision: 'accept', documents: [] });
  await act(h, diagnoseUpdate, { findings: 'The trap is cracked' });
  await act(h, planUpdate, { goals: ['Water tight'], tasks: [{ title: 'Replace the sink trap', assignee, dueAt: inMinutes(240) }] });
  return h;
}

/** The case's notice of `kind` pushed to a partner. */
export async function pushedNotice(stack: Stack, caseId: string, kind = 'task.assigned') {
  return eventually(async () => {
    const [n] = await stack.database.db
      .select()
      .from(notifications)
      .where(and(eq(notifications.caseId, caseId), eq(notifications.kind, kind), eq(notifications.recipientKind, 'partner')));
    return n?.deliveryStatus ? n : undefined;
  }, 20_000, `${kind} notice of ${caseId}`);
}

/** Waits until the notice's delivery status is `status`; returns the notice and its delivery log. */
export async function deliveryOf(stack: Stack, notificationId: string, status: string, timeoutMs = 30_000) {
  const { db } = stack.database;
  const notice = await eventually(async () => {
    const [n] = await db.select().from(notifications).where(eq(notifications.notificationId, notificationId));
    return n?.deliveryStatus === status ? n : undefined;
  }, timeoutMs, `notification ${notificationId} to be ${status}`);
  const log = await db.select().from(deliveries).where(eq(deliveries.notificationId, notificationId)).orderBy(asc(deliveries.round), asc(deliveries.id));
  return { notice, log };
}

export async function caseRowOf(stack: Stack, caseId: string) {
  const [row] = await stack.database.db.select().from(cases).where(eq(cases.id, caseId));
  return row!;
}

export const liveState = (h: CaseHandle) => h.query(caseStateQuery);
