import { eq } from 'drizzle-orm';
import { caseEvents } from '../db/schema';
import { caseWorkflowId, deliveryWorkflowId } from '../temporal/workflow-ids';
import { keepHistory } from './helpers/histories';
import { startMailbox, type Mailbox } from './helpers/mailbox';
import { addPartner, caseRowOf, caseWithTask, deliveryOf, liveState, pushedNotice, repairCase } from './helpers/partners';
import { startReceiver, type Receiver } from './helpers/receiver';
import { api, eventually, useStack } from './helpers/stack';

/**
 * Notices to partners through their channels, against real local servers: an HTTP receiver (webhook
 * endpoint and SMS gateway) that verifies signatures and answers as scripted, and a real SMTP server.
 */
describe('partner notices: webhook, email and SMS with retries, fallback and dead letters', () => {
  let receiver: Receiver;
  let mailbox: Mailbox;
  let staffToken: string;
  let supervisorToken: string;

  beforeAll(async () => {
    [receiver, mailbox] = await Promise.all([startReceiver(), startMailbox()]);
    receiver.expectToken('/sms', 'sms-gateway-token');
  }, 120_000);
  const { stack, tokens } = useStack(
    () => ({
      delivery: {
        timeoutMs: 1_000,
        retryWindowMs: 6_000,
        initialIntervalMs: 200,
        maximumIntervalMs: 1_000,
        smtpUrl: mailbox.url,
        mailDir: undefined,
        smsGatewayUrl: receiver.url('/sms'),
        smsGatewayToken: 'sms-gateway-token',
        publicUrl: 'https://stationflow.example',
      },
    }),
    { timeout: 120_000 },
  );
  beforeAll(() => {
    ({ staff: staffToken, supervisor: supervisorToken } = tokens);
  });
  // After the stack's own afterAll (hooks run in the order they are declared): the stack stops first.
  afterAll(async () => {
    await Promise.all([receiver?.close(), mailbox?.close()]);
  });

  const webhook = (partner: string, answers: Parameters<Receiver['script']>[1] = []) => {
    const path = `/hooks/${partner}`;
    receiver.secret(path, `secret-of-${partner}`);
    receiver.script(path, answers);
    return { type: 'webhook' as const, url: receiver.url(path), path };
  };
  const timelineTypes = async (caseId: string) =>
    (await stack.database.db.select().from(caseEvents).where(eq(caseEvents.caseId, caseId))).sort((a, b) => a.seq - b.seq);

  it('delivers a signed webhook the first time, keyed by the notification id, with what the partner needs and no more', async () => {
    const hook = webhook('hook-first');
    await addPartner(stack, 'hook-first', [hook]);
    const caseId = 'QG-20261123-0501';
    await caseWithTask(stack, caseId, { kind: 'partner', id: 'hook-first' });
    const n = await pushedNotice(stack, caseId);
    const { notice, log } = await deliveryOf(stack, n.notificationId, 'delivered');

    expect(notice.deliveredVia).toBe('webhook');
    expect(log).toMatchObject([{ round: 1, channel: 'webhook', status: 'delivered', attempts: 1 }]);
    const [req] = receiver.forPath(hook.path);
    expect(receiver.forPath(hook.path)).toHaveLength(1);
    expect(req!.status).toBe(200);
    expect(receiver.badSignatures).toBe(0);
    expect(req!.headers['idempotency-key']).toBe(n.notificationId);
    expect(req!.headers['stationflow-event']).toBe('task.assigned');
    expect(req!.body).toMatchObject({
      version: 1,
      id: n.notificationId,
      type: 'task.assigned',
      case: { id: caseId, serviceCode: 'home-plumbing-repair', address: repairCase.resident.address },
      data: { taskId: 'T1', title: 'Replace the sink trap' },
      reply: { url: 'https://stationflow.example/api/partner-replies', caseId, taskId: 'T1' },
    });
    // The partner goes to the home: it gets the address, never the resident's name or phone.
    expect(req!.rawBody).not.toContain(repairCase.resident.phone);
    expect(req!.rawBody).not.toContain(repairCase.resident.name);

    const res = await api(stack, 'GET', `/api/cases/${caseId}/notifications`, { token: staffToken });
    expect(res.status).toBe(200);
    const listed = res.body.items.find((i: { id: string }) => i.id === n.notificationId);
    expect(listed).toMatchObject({
      kind: 'task.assigned',
      recipient: { kind: 'partner', id: 'hook-first' },
      partnerId: 'hook-first',
      delivery: { status: 'delivered', deliveredVia: 'webhook', channels: [{ round: 1, channel: 'webhook', status: 'delivered', attempts: 1, lastError: null }] },
    });
    // Notices to staff stay in the inbox: no delivery.
    expect(res.body.items.filter((i: { recipient: { kind: string } }) => i.recipient.kind === 'staff').every((i: { delivery: unknown }) => i.delivery === null)).toBe(true);
  });

  it('retries 500 and 429 (waiting as Retry-After asks), then delivers: the partner processes it once', async () => {
    const hook = webhook('hook-flaky', [500, { status: 429, headers: { 'Retry-After': '2' } }, 200]);
    await addPartner(stack, 'hook-flaky', [hook]);
    const caseId = 'QG-20261123-0502';
    await caseWithTask(stack, caseId, { kind: 'partner', id: 'hook-flaky' });
    const n = await pushedNotice(stack, caseId);
    const { log } = await deliveryOf(stack, n.notificationId, 'delivered');

    expect(log).toMatchObject([{ channel: 'webhook', status: 'delivered', attempts: 3, lastError: 'the webhook answered HTTP 429' }]);
    const requests = receiver.forPath(hook.path);
    expect(requests.map((r) => r.status)).toEqual([500, 429, 200]);
    expect(new Set(requests.map((r) => r.headers['idempotency-key']))).toEqual(new Set([n.notificationId]));
    expect(requests[2]!.at - requests[1]!.at).toBeGreaterThanOrEqual(1_900);
    expect(receiver.processedFor(hook.path).size).toBe(1);
    await keepHistory(stack, stack.client.workflow.getHandle(deliveryWorkflowId(n.notificationId)), 'delivery-retried');
  });

  it('does not retry a 400: the next channel, email, delivers in the partner’s language', async () => {
    const hook = webhook('hook-refusing', [400]);
    await addPartner(stack, 'hook-refusing', [hook, { type: 'email', address: 'desk@hook-refusing.example' }], { locale: 'en' });
    const caseId = 'QG-20261123-0503';
    await caseWithTask(stack, caseId, { kind: 'partner', id: 'hook-refusing' });
    const n = await pushedNotice(stack, caseId);
    const { notice, log } = await deliveryOf(stack, n.notificationId, 'delivered');

    expect(notice.deliveredVia).toBe('email');
    expect(log).toMatchObject([
      { channel: 'webhook', status: 'gave-up', attempts: 1, lastError: 'the webhook answered HTTP 400' },
      { channel: 'email', status: 'delivered', attempts: 1 },
    ]);
    expect(receiver.forPath(hook.path)).toHaveLength(1);
    const mail = (await mailbox.waitFor(1)).find((m) => m.to.includes('desk@hook-refusing.example'))!;
    expect(mail.messageId).toContain(n.notificationId);
    expect(mail.subject).toMatch(/task/i);
    expect(mail.text).toContain('Replace the sink trap');
    expect(mail.text).toContain(caseId);
    expect(mail.text).not.toContain(repairCase.resident.phone);
  });

  it('retries timeouts for the bounded window, skips a refused address and reaches the partner by SMS', async () => {
    const hook = webhook('hook-silent', Array(50).fill('timeout'));
    mailbox.reject('gone@hook-silent.example', 550);
    await addPartner(stack, 'hook-silent', [hook, { type: 'email', address: 'gone@hook-silent.example' }, { type: 'sms', phone: '+8613800138000' }]);
    const caseId = 'QG-20261123-0504';
    await caseWithTask(stack, caseId, { kind: 'partner', id: 'hook-silent' });
    const n = await pushedNotice(stack, caseId);
    const { notice, log } = await deliveryOf(stack, n.notificationId, 'delivered', 40_000);

    expect(notice.deliveredVia).toBe('sms');
    expect(log.map((l) => [l.channel, l.status])).toEqual([
      ['webhook', 'gave-up'],
      ['email', 'gave-up'],
      ['sms', 'delivered'],
    ]);
    expect(log[0]!.attempts).toBeGreaterThanOrEqual(2);
    expect(log[0]!.lastError).toBe('the webhook did not answer within 1000 ms');
    // The retry window bounds the channel: it gave up within the window (plus one attempt's timeout).
    expect(log[0]!.gaveUpAt!.getTime() - log[0]!.lastAttemptAt!.getTime()).toBeLessThan(6_000);
    expect(log[1]).toMatchObject({ attempts: 1, lastError: 'the mail server refused the message (SMTP 550)' });
    const sms = receiver.forPath('/sms').filter((r) => (r.body as { reference?: string }).reference === n.notificationId);
    expect(sms).toHaveLength(1);
    expect(sms[0]!.body).toMatchObject({ to: '+8613800138000', reference: n.notificationId });
    expect((sms[0]!.body as { text: string }).text).toContain('Replace the sink trap');
  }, 60_000);

  it('turns a notice no channel takes into a dead letter: the case shows the partner unreachable until a supervisor’s retry gets through', async () => {
    const hook = webhook('hook-down', Array(50).fill(503));
    mailbox.reject('closed@hook-down.example', 550);
    await addPartner(stack, 'hook-down', [hook, { type: 'email', address: 'closed@hook-down.example' }]);
    const caseId = 'QG-20261123-0505';
    const h = await caseWithTask(stack, caseId, { kind: 'partner', id: 'hook-down' });
    const n = await pushedNotice(stack, caseId);
    const dead = await deliveryOf(stack, n.notificationId, 'unreachable', 40_000);
    expect(dead.log.map((l) => [l.round, l.channel, l.status])).toEqual([
      [1, 'webhook', 'gave-up'],
      [1, 'email', 'gave-up'],
    ]);

    // The case records it: timeline, read model, search attribute; the task stays open.
    const unreachable = await eventually(async () => (await timelineTypes(caseId)).find((e) => e.type === 'partner.unreachable'), 15_000, 'partner.unreachable');
    expect(unreachable.data).toMatchObject({ notificationId: n.notificationId, recipient: { kind: 'partner', id: 'hook-down' }, channels: ['webhook', 'email'] });
    expect(unreachable.data.lastError).toBe('the mail server refused the message (SMTP 550)');
    expect((await caseRowOf(stack, caseId)).partnerUnreachable).toBe(true);
    const live = await liveState(h);
    expect(live.tasks!.find((t) => t.id === 'T1')!.status).toBe('open');
    expect(live.unreachable).toMatchObject([{ notificationId: n.notificationId }]);
    const found = async (value: boolean) => {
      const ids: string[] = [];
      for await (const w of stack.client.workflow.list({ query: `WorkflowId = '${caseWorkflowId(caseId)}' AND PartnerUnreachable = ${value}` })) ids.push(w.workflowId);
      return ids.length === 1;
    };
    await eventually(() => found(true), 15_000, 'PartnerUnreachable = true in visibility');
    const listed = await api(stack, 'GET', '/api/cases?partnerUnreachable=true', { token: supervisorToken });
    expect(listed.body.items.map((c: { id: string }) => c.id)).toContain(caseId);
    const view = await api(stack, 'GET', `/api/cases/${caseId}`, { token: staffToken });
    expect(view.body).toMatchObject({ partnerUnreachable: true, unreachable: [{ notificationId: n.notificationId, recipient: { kind: 'partner', id: 'hook-down' } }] });

    // Staff cannot retry; a supervisor can, once the partner's endpoint is back.
    const retryPath = `/api/cases/${caseId}/notifications/${n.notificationId}/retry`;
    expect((await api(stack, 'POST', retryPath, { token: staffToken })).status).toBe(403);
    const reason = { reason: 'The partner says its endpoint is back' };
    expect((await api(stack, 'POST', `/api/cases/${caseId}/notifications/00000000-0000-4000-8000-000000000000/retry`, { token: supervisorToken, body: reason })).status).toBe(404);
    // A retry is an intervention: it says why (400 without a reason, or with one that is not text).
    for (const body of [undefined, {}, { reason: '' }, { reason: 'nul\u0000' }, { reason: 'x', extra: true }]) {
      const refused = await api(stack, 'POST', retryPath, { token: supervisorToken, body });
      expect({ body, status: refused.status }).toEqual({ body, status: 400 });
    }
    receiver.unscript(hook.path);
    const retried = await api(stack, 'POST', retryPath, { token: supervisorToken, body: reason });
    expect(retried.status).toBe(202);
    expect(retried.body).toMatchObject({ id: n.notificationId, delivery: { status: 'delivering' } });
    // The timeline keeps who retried it and why, once.
    const recorded = (await timelineTypes(caseId)).filter((e) => e.type === 'delivery.retried');
    expect(recorded).toMatchObject([{ actor: 'chen', actorRole: 'supervisor', data: { notificationId: n.notificationId, round: 2, reason: reason.reason } }]);

    const { notice, log } = await deliveryOf(stack, n.notificationId, 'delivered');
    expect(notice.deliveredVia).toBe('webhook');
    expect(log.filter((l) => l.round === 2)).toMatchObject([{ channel: 'webhook', status: 'delivered', attempts: 1 }]);
    await eventually(async () => (await timelineTypes(caseId)).some((e) => e.type === 'partner.reached'), 15_000, 'partner.reached');
    await eventually(async () => (await caseRowOf(stack, caseId)).partnerUnreachable === false, 15_000, 'read model cleared');
    await eventually(() => found(false), 15_000, 'PartnerUnreachable = false in visibility');
    expect(receiver.processedFor(hook.path).size).toBe(1);

    // Nothing left to retry.
    const again = await api(stack, 'POST', retryPath, { token: supervisorToken, body: reason });
    expect(again.status).toBe(409);
    expect(again.body.type).toMatch(/delivery-conflict/);

    await keepHistory(stack, stack.client.workflow.getHandle(deliveryWorkflowId(n.notificationId)), 'delivery-dead-letter-retried');
    await keepHistory(stack, h, 'case-partner-unreachable');
  }, 90_000);

  it('keeps partner addresses, phones and resident data out of the logs', () => {
    const logs = stack.logLines.join('\n');
    expect(stack.logLines.length).toBeGreaterThan(0);
    for (const secret of [repairCase.resident.phone, repairCase.resident.name, '+8613800138000', 'gone@hook-silent.example', 'closed@hook-down.example', 'secret-of-']) {
      expect(logs).not.toContain(secret);
    }
  });

  it('keeps notices to a department without a registry entry in its inbox, and pushes them once the department registers a channel', async () => {
    const caseId = 'QG-20261123-0506';
    await caseWithTask(stack, caseId, { kind: 'department', id: 'housing' });
    const inbox = await eventually(async () => (await api(stack, 'GET', `/api/cases/${caseId}/notifications`, { token: staffToken })).body.items.find((i: { recipient: { kind: string } }) => i.recipient.kind === 'department'), 15_000, 'department notice');
    expect(inbox).toMatchObject({ recipient: { kind: 'department', id: 'housing' }, partnerId: null, delivery: null });

    const hook = webhook('housing-desk');
    await addPartner(stack, 'housing-desk', [hook], { kind: 'department', departmentId: 'housing' });
    const later = 'QG-20261123-0507';
    await caseWithTask(stack, later, { kind: 'department', id: 'housing' });
    const [n] = await eventually(async () => {
      const res = await api(stack, 'GET', `/api/cases/${later}/notifications`, { token: staffToken });
      const found = res.body.items.filter((i: { recipient: { kind: string }; delivery: { status: string } | null }) => i.recipient.kind === 'department' && i.delivery?.status === 'delivered');
      return found.length ? found : undefined;
    }, 20_000, 'department notice delivered');
    expect(n).toMatchObject({ partnerId: 'housing-desk', delivery: { deliveredVia: 'webhook' } });
    expect(receiver.forPath(hook.path)[0]!.body).toMatchObject({ recipient: { kind: 'department', id: 'housing' }, case: { id: later } });
  });
});
