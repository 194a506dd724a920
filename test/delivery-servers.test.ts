import { randomUUID } from 'node:crypto';
import nodemailer from 'nodemailer';
import { type Mailbox, startMailbox } from './helpers/mailbox';
import { type Receiver, signWebhook, startReceiver } from './helpers/receiver';

/** The webhook as the product sends it: signed raw body, Idempotency-Key, Stationflow-Event. */
async function postWebhook(
  url: string,
  secret: string,
  payload: unknown,
  opts: { key?: string; t?: number; signature?: string; signal?: AbortSignal } = {},
): Promise<Response> {
  const rawBody = JSON.stringify(payload);
  return fetch(url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'idempotency-key': opts.key ?? randomUUID(),
      'stationflow-event': 'task.assigned',
      'stationflow-signature': opts.signature ?? signWebhook(secret, rawBody, opts.t),
    },
    body: rawBody,
    signal: opts.signal,
  });
}

describe('the webhook and SMS-gateway receiver', () => {
  let receiver: Receiver;
  const secret = 'whsec_test_3f9c0b6e8a';
  const path = '/hooks/anju';
  const payload = { notificationId: 'n-1', kind: 'task.assigned', caseId: 'QG-20261123-0001', data: { taskId: 'T1', title: '修水管' } };

  beforeAll(async () => {
    receiver = await startReceiver();
  });
  beforeEach(() => {
    receiver.reset();
    receiver.secret(path, secret);
  });
  afterAll(() => receiver.close());

  it('listens on 127.0.0.1 on a free port', () => {
    expect(receiver.url(path)).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/hooks\/anju$/);
    expect(receiver.port).toBeGreaterThan(0);
  });

  it('answers a correctly signed POST 200 and processes its key once, even when it comes twice', async () => {
    const key = randomUUID();
    const first = await postWebhook(receiver.url(path), secret, payload, { key });
    const second = await postWebhook(receiver.url(path), secret, payload, { key });
    expect([first.status, second.status]).toEqual([200, 200]);
    expect(receiver.processed.size).toBe(1);
    expect(receiver.processed.get(key)).toEqual(payload);
    expect(receiver.duplicates).toBe(1);
    const [a, b] = receiver.forPath(path);
    expect(a).toMatchObject({ path, body: payload, rawBody: JSON.stringify(payload), status: 200, key, duplicate: false });
    expect(a!.headers['stationflow-event']).toBe('task.assigned');
    expect(b).toMatchObject({ status: 200, key, duplicate: true });
  });

  it('answers 401 to a wrong, a missing, a malformed and a stale signature, and processes none', async () => {
    expect((await postWebhook(receiver.url(path), 'not-the-secret', payload)).status).toBe(401);
    const rawBody = JSON.stringify(payload);
    const missing = await fetch(receiver.url(path), { method: 'POST', headers: { 'idempotency-key': 'k' }, body: rawBody });
    expect(missing.status).toBe(401);
    expect((await postWebhook(receiver.url(path), secret, payload, { signature: 't=abc,v1=zz' })).status).toBe(401);
    const sixMinutesAgo = Math.floor(Date.now() / 1000) - 360;
    expect((await postWebhook(receiver.url(path), secret, payload, { t: sixMinutesAgo })).status).toBe(401);
    // The body signed is the body sent: a changed body fails too.
    const tampered = signWebhook(secret, JSON.stringify({ ...payload, caseId: 'QG-20261123-0002' }));
    expect((await postWebhook(receiver.url(path), secret, payload, { signature: tampered })).status).toBe(401);
    expect(receiver.badSignatures).toBe(5);
    expect(receiver.processed.size).toBe(0);
    // Four minutes old is still within the tolerance.
    expect((await postWebhook(receiver.url(path), secret, payload, { t: Math.floor(Date.now() / 1000) - 240 })).status).toBe(200);
  });

  it('answers as scripted: a 500 processes nothing, the retry that gets 200 processes the key', async () => {
    receiver.script(path, [500, { status: 429, headers: { 'Retry-After': '1' } }]);
    const key = randomUUID();
    const first = await postWebhook(receiver.url(path), secret, payload, { key });
    expect(first.status).toBe(500);
    expect(receiver.processed.has(key)).toBe(false);
    const second = await postWebhook(receiver.url(path), secret, payload, { key });
    expect(second.status).toBe(429);
    expect(second.headers.get('retry-after')).toBe('1');
    const third = await postWebhook(receiver.url(path), secret, payload, { key });
    expect(third.status).toBe(200);
    expect(receiver.processed.has(key)).toBe(true);
    expect(receiver.duplicates).toBe(0);
    expect(receiver.forPath(path).map((r) => r.status)).toEqual([500, 429, 200]);
  });

  it("holds a 'timeout' answer open until the client gives up", async () => {
    receiver.script(path, ['timeout']);
    const key = randomUUID();
    const started = Date.now();
    await expect(postWebhook(receiver.url(path), secret, payload, { key, signal: AbortSignal.timeout(300) })).rejects.toThrow(/timeout|aborted/i);
    expect(Date.now() - started).toBeGreaterThanOrEqual(250);
    expect(receiver.forPath(path)).toMatchObject([{ key, status: null }]);
    expect(receiver.processed.has(key)).toBe(false);
    // The script has run out: the retry is answered and processed.
    expect((await postWebhook(receiver.url(path), secret, payload, { key })).status).toBe(200);
    expect(receiver.processed.has(key)).toBe(true);
  });

  it('processes a delayed 2xx when it answers, even when the client has gone away meanwhile', async () => {
    receiver.script(path, [{ delayMs: 400, status: 200 }]);
    const key = randomUUID();
    await expect(postWebhook(receiver.url(path), secret, payload, { key, signal: AbortSignal.timeout(100) })).rejects.toThrow();
    expect(receiver.processed.has(key)).toBe(false);
    await receiver.waitFor((r) => r.processed.has(key), 2_000);
    // The sender retries: the partner has it already, and says so with a 200.
    expect((await postWebhook(receiver.url(path), secret, payload, { key })).status).toBe(200);
    expect(receiver.duplicates).toBe(1);
    expect(receiver.processed.size).toBe(1);
  });

  it('plays the SMS gateway: a bearer token, { to, text, reference }, scripted answers', async () => {
    const sms = '/sms';
    receiver.expectToken(sms, 'gw-token');
    receiver.script(sms, [503]);
    const message = { to: '+8613800000000', text: '新任务：修水管', reference: randomUUID() };
    const send = (token: string, body: unknown = message) =>
      fetch(receiver.url(sms), { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
    expect((await send('wrong')).status).toBe(401);
    expect(receiver.badTokens).toBe(1);
    expect((await send('gw-token', { reference: 'x' })).status).toBe(400);
    expect((await send('gw-token')).status).toBe(503);
    expect((await send('gw-token')).status).toBe(200);
    expect((await send('gw-token')).status).toBe(200);
    expect(receiver.processedFor(sms).get(message.reference)).toEqual(message);
    expect(receiver.duplicates).toBe(1);
    expect(receiver.forPath(sms).map((r) => r.status)).toEqual([401, 400, 503, 200, 200]);
  });
});

describe('the SMTP mailbox', () => {
  let mailbox: Mailbox;
  beforeAll(async () => {
    mailbox = await startMailbox();
  });
  beforeEach(() => mailbox.reset());
  afterAll(() => mailbox.close());

  const transport = () => nodemailer.createTransport(mailbox.url);
  const mail = (to: string) => ({
    from: 'stationflow <noreply@stationflow.local>',
    to,
    subject: '新任务：修水管（案件 QG-20261123-0001）',
    text: '安居家庭维修公司：\n\n社区服务站向贵单位派发了一项任务。',
    html: '<p>安居家庭维修公司：</p>',
  });

  it('records a message sent with nodemailer: subject, text, html, To', async () => {
    const info = await transport().sendMail(mail('dispatch@anju-repair.example'));
    expect(info.accepted).toEqual(['dispatch@anju-repair.example']);
    const [m] = await mailbox.waitFor(1, 5_000);
    expect(mailbox.url).toMatch(/^smtp:\/\/127\.0\.0\.1:\d+$/);
    expect(m).toMatchObject({
      from: 'stationflow <noreply@stationflow.local>',
      to: ['dispatch@anju-repair.example'],
      subject: '新任务：修水管（案件 QG-20261123-0001）',
      html: '<p>安居家庭维修公司：</p>',
    });
    expect(m!.text.trim()).toBe('安居家庭维修公司：\n\n社区服务站向贵单位派发了一项任务。');
    expect(m!.messageId).toBe(info.messageId);
    expect(m!.headers.get('subject')).toBe(m!.subject);
    expect(m!.raw).toContain('Subject:');
  });

  it('rejects a recipient permanently (550) or temporarily (451)', async () => {
    mailbox.reject('gone@anju-repair.example');
    mailbox.reject('Busy@Anju-Repair.example', 451);
    await expect(transport().sendMail(mail('gone@anju-repair.example'))).rejects.toMatchObject({ responseCode: 550 });
    await expect(transport().sendMail(mail('busy@anju-repair.example'))).rejects.toMatchObject({ responseCode: 451 });
    expect(mailbox.messages).toHaveLength(0);
  });

  it('fails the next n DATA commands with 451 (or the code given), then accepts', async () => {
    mailbox.failNext(2);
    await expect(transport().sendMail(mail('dispatch@anju-repair.example'))).rejects.toMatchObject({ responseCode: 451 });
    await expect(transport().sendMail(mail('dispatch@anju-repair.example'))).rejects.toMatchObject({ responseCode: 451 });
    mailbox.failNext(1, 554);
    await expect(transport().sendMail(mail('dispatch@anju-repair.example'))).rejects.toMatchObject({ responseCode: 554 });
    expect(mailbox.messages).toHaveLength(0);
    await transport().sendMail(mail('dispatch@anju-repair.example'));
    expect(mailbox.messages).toHaveLength(1);
  });
});
