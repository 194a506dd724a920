import { and, eq } from 'drizzle-orm';
import { checkOutboundUrl, OutboundRefused, outboundPolicy, OutboundUnresolved, type Resolve } from '../activities/delivery/outbound';
import { loadConfig } from '../config';
import { deliveries } from '../db/schema';
import { caseWithTask, pushedNotice } from './helpers/partners';
import { expectProblem } from './helpers/problems';
import { startReceiver, type Receiver } from './helpers/receiver';
import { api, eventually, useStack } from './helpers/stack';

/**
 * Outbound URLs (README "Outbound URLs"): webhook URLs and the SMS gateway may not reach loopback,
 * link-local, private or other non-public addresses unless OUTBOUND_ALLOW lists them; checked when a
 * partner is registered and again at every delivery, connecting to the address checked.
 */

/** Names this test resolves (no real DNS): a test changes an entry to play a DNS answer that changes. */
const names: Record<string, string[]> = {
  'public.test': ['93.184.216.34'],
  'loopback.test': ['127.0.0.1'],
  'mixed.test': ['93.184.216.34', '10.1.2.3'],
  'metadata.test': ['169.254.169.254'],
  'receiver.test': ['127.0.0.1'],
};
const resolve: Resolve = async (host) => {
  const found = names[host];
  if (!found) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: 'ENOTFOUND' });
  return found;
};

/** Every form of a non-public address a URL can take, and what reaches one by name. */
const refusedUrls = [
  'http://127.0.0.1/hook',
  'http://127.1.2.3:8080/hook',
  'http://localhost:3000/hook',
  'http://api.localhost/hook',
  'http://[::1]/hook',
  'http://[::ffff:127.0.0.1]/hook',
  'http://[::ffff:7f00:1]/hook',
  'http://2130706433/hook',
  'http://0x7f.1/hook',
  'http://017700000001/hook',
  'http://0.0.0.0/hook',
  'http://10.0.0.5/hook',
  'http://172.16.1.1/hook',
  'http://192.168.1.10/hook',
  'http://100.64.0.1/hook',
  'http://169.254.169.254/latest/meta-data/',
  'http://[fe80::1]/hook',
  'http://[fd00::1]/hook',
  'http://[64:ff9b::a00:1]/hook',
  'http://[2002:c0a8:0101::1]/hook',
  'http://224.0.0.1/hook',
  'http://255.255.255.255/hook',
  'http://loopback.test/hook',
  'http://mixed.test/hook',
  'http://metadata.test/hook',
];

describe('outbound URL policy', () => {
  const production = outboundPolicy(undefined, 'production', resolve);

  it.each(refusedUrls)('refuses %s in production', async (url) => {
    await expect(checkOutboundUrl(url, production)).rejects.toBeInstanceOf(OutboundRefused);
  });

  it('lets public addresses through, refuses other schemes and credentials, and tells an unresolvable name apart', async () => {
    await expect(checkOutboundUrl('https://public.test/hook', production)).resolves.toEqual(['93.184.216.34']);
    await expect(checkOutboundUrl('http://93.184.216.34:8443/hook', production)).resolves.toEqual(['93.184.216.34']);
    await expect(checkOutboundUrl('ftp://public.test/hook', production)).rejects.toThrow('is not an http(s) URL');
    await expect(checkOutboundUrl('http://user:pw@public.test/hook', production)).rejects.toThrow(/user name or password/);
    await expect(checkOutboundUrl('http://nowhere.test/hook', production)).rejects.toBeInstanceOf(OutboundUnresolved);
  });

  it('allows what OUTBOUND_ALLOW lists: ranges, addresses and host names; development allows loopback only', async () => {
    const allowed = outboundPolicy('10.0.0.0/8, fd00::/8, 169.254.169.254, loopback.test', 'production', resolve);
    await expect(checkOutboundUrl('http://10.0.0.5/hook', allowed)).resolves.toEqual(['10.0.0.5']);
    await expect(checkOutboundUrl('http://[::ffff:10.0.0.5]/hook', allowed)).resolves.toEqual(['::ffff:a00:5']);
    await expect(checkOutboundUrl('http://[fd00::1]/hook', allowed)).resolves.toEqual(['fd00::1']);
    await expect(checkOutboundUrl('http://metadata.test/', allowed)).resolves.toEqual(['169.254.169.254']);
    await expect(checkOutboundUrl('http://loopback.test/hook', allowed)).resolves.toEqual(['127.0.0.1']);
    await expect(checkOutboundUrl('http://127.0.0.1/hook', allowed)).rejects.toThrow(/loopback/);
    await expect(checkOutboundUrl('http://192.168.1.1/hook', allowed)).rejects.toThrow(/private/);

    const development = outboundPolicy(undefined, 'development', resolve);
    await expect(checkOutboundUrl('http://127.0.0.1:4000/hook', development)).resolves.toEqual(['127.0.0.1']);
    await expect(checkOutboundUrl('http://localhost:4000/hook', development)).resolves.toEqual(['127.0.0.1', '::1']);
    await expect(checkOutboundUrl('http://10.0.0.5/hook', development)).rejects.toThrow(/private/);
    await expect(checkOutboundUrl('http://127.0.0.1/hook', outboundPolicy('none', 'development'))).rejects.toThrow(/loopback/);
  });

  it('is configured by OUTBOUND_ALLOW; a bad entry or an SMS gateway on a refused literal address in production stops the boot', () => {
    expect(() => loadConfig({ OUTBOUND_ALLOW: '10.0.0.0/33' })).toThrow(/OUTBOUND_ALLOW must list host names, IP addresses or CIDR ranges/);
    expect(() => loadConfig({ OUTBOUND_ALLOW: 'ok.example, not a host' })).toThrow(/"not a host"/);
    expect(loadConfig({ OUTBOUND_ALLOW: '10.0.0.0/8,sms.internal' }).OUTBOUND_ALLOW).toBe('10.0.0.0/8,sms.internal');
    const production = { NODE_ENV: 'production' } as const;
    expect(() => loadConfig({ ...production, SMS_GATEWAY_URL: 'http://127.0.0.1:9000/sms' })).toThrow(/SMS_GATEWAY_URL reaches a loopback address/);
    expect(() => loadConfig({ ...production, SMS_GATEWAY_URL: 'http://localhost:9000/sms' })).toThrow(/SMS_GATEWAY_URL reaches localhost/);
    expect(loadConfig({ ...production, SMS_GATEWAY_URL: 'http://10.1.1.1/sms', OUTBOUND_ALLOW: '10.1.1.1' }).SMS_GATEWAY_URL).toBe('http://10.1.1.1/sms');
    expect(loadConfig({ SMS_GATEWAY_URL: 'http://127.0.0.1:9000/sms' }).SMS_GATEWAY_URL).toBe('http://127.0.0.1:9000/sms');
  });
});

describe('outbound URLs over HTTP and at delivery', () => {
  let receiver: Receiver;
  /** The policy the API and the worker share; tests change its ranges as an operator changes OUTBOUND_ALLOW. */
  const policy = outboundPolicy('127.0.0.0/8', 'production', resolve);
  const loopbackOnly = [...policy.ranges];

  beforeAll(async () => {
    receiver = await startReceiver();
    receiver.expectToken('/sms', 'sms-token');
  });
  const { stack, tokens } = useStack(
    () => ({
      delivery: {
        timeoutMs: 1_000,
        retryWindowMs: 6_000,
        initialIntervalMs: 200,
        maximumIntervalMs: 1_000,
        smsGatewayUrl: receiver.url('/sms'),
        smsGatewayToken: 'sms-token',
        outbound: policy,
      },
    }),
    { timeout: 120_000 },
  );
  afterEach(() => {
    policy.ranges = [...loopbackOnly];
  });
  afterAll(async () => {
    await receiver?.close();
  });

  let partners = 0;
  const register = (channels: unknown[]) =>
    api(stack, 'POST', '/api/partners', { token: tokens.admin, body: { id: `out-${++partners}`, kind: 'service-agency', name: 'Outbound', nameZh: '外呼', channels } });
  /** A partner registered through the API whose webhook the receiver checks with its secret. */
  const registered = async (url: string, path: string, extra: unknown[] = []) => {
    const res = await register([{ type: 'webhook', url }, ...extra]);
    expect(res.status).toBe(201);
    receiver.secret(path, res.body.webhookSecret);
    return res.body.id as string;
  };
  /** The delivery log of the case's task notice once every channel tried has given up or delivered. */
  const deliveryLog = async (caseId: string, channels: number) => {
    const n = await pushedNotice(stack, caseId);
    return eventually(async () => {
      const rows = await stack.database.db.select().from(deliveries).where(and(eq(deliveries.notificationId, n.notificationId), eq(deliveries.round, 1)));
      return rows.length === channels && rows.every((r) => r.status !== 'trying') ? rows.sort((a, b) => a.id - b.id) : undefined;
    }, 30_000, `the delivery of ${n.notificationId}`);
  };

  it('refuses a webhook URL that reaches a non-public address on registration and change (422 with the pointer), at once for all', async () => {
    policy.ranges = [];
    const answers = await Promise.all(refusedUrls.map((url) => register([{ type: 'webhook', url }])));
    answers.forEach((res, i) => {
      expect({ url: refusedUrls[i], status: res.status }).toEqual({ url: refusedUrls[i], status: 422 });
      expectProblem(res, 422, /OUTBOUND_ALLOW/, '#/channels/0/url', 'outbound-url-refused');
    });
    // A public address passes; so does a name that does not resolve yet (delivery checks it again).
    const ok = await register([{ type: 'webhook', url: 'https://public.test/hook' }]);
    expect(ok.status).toBe(201);
    expect((await register([{ type: 'webhook', url: 'https://not-yet.test/hook' }])).status).toBe(201);
    const patched = await api(stack, 'PATCH', `/api/partners/${ok.body.id}`, {
      token: tokens.admin,
      body: { channels: [{ type: 'email', address: 'desk@out.example' }, { type: 'webhook', url: 'http://[::1]:8080/hook' }] },
    });
    expectProblem(patched, 422, /OUTBOUND_ALLOW/, '#/channels/1/url', 'outbound-url-refused');
    expect((await api(stack, 'GET', `/api/partners/${ok.body.id}`, { token: tokens.admin })).body.channels).toEqual([{ type: 'webhook', url: 'https://public.test/hook' }]);
  });

  it('connects to the address it checked: a name only this resolver knows reaches the receiver', async () => {
    const path = '/hooks/pinned';
    const id = await registered(`http://receiver.test:${receiver.port}${path}`, path);
    await caseWithTask(stack, 'QG-20261124-0601', { kind: 'partner', id });
    const [row] = await deliveryLog('QG-20261124-0601', 1);
    expect(row).toMatchObject({ channel: 'webhook', status: 'delivered', attempts: 1 });
    expect(receiver.forPath(path)).toHaveLength(1);
    expect(receiver.forPath(path)[0]!.headers.host).toBe(`receiver.test:${receiver.port}`);
  });

  it('refuses at delivery once OUTBOUND_ALLOW no longer lists the address: the webhook and the SMS gateway, never retried', async () => {
    const path = '/hooks/allow-changed';
    const id = await registered(receiver.url(path), path, [{ type: 'sms', phone: '13800000001' }]);
    policy.ranges = [];
    await caseWithTask(stack, 'QG-20261124-0602', { kind: 'partner', id });
    const log = await deliveryLog('QG-20261124-0602', 2);
    expect(log).toMatchObject([
      { channel: 'webhook', status: 'gave-up', attempts: 1, lastError: "the webhook's URL reaches a loopback address, which OUTBOUND_ALLOW does not allow" },
      { channel: 'sms', status: 'gave-up', attempts: 1, lastError: "the SMS gateway's URL reaches a loopback address, which OUTBOUND_ALLOW does not allow" },
    ]);
    expect(receiver.forPath(path)).toHaveLength(0);
    expect(receiver.forPath('/sms')).toHaveLength(0);
  });

  it('refuses at delivery when the name now resolves to a private address (DNS rebinding)', async () => {
    names['rebind.test'] = ['93.184.216.34'];
    const id = await registered(`http://rebind.test:${receiver.port}/hooks/rebind`, '/hooks/rebind');
    names['rebind.test'] = ['10.0.0.7'];
    await caseWithTask(stack, 'QG-20261124-0603', { kind: 'partner', id });
    const [row] = await deliveryLog('QG-20261124-0603', 1);
    expect(row).toMatchObject({ channel: 'webhook', status: 'gave-up', attempts: 1, lastError: "the webhook's URL reaches a private address, which OUTBOUND_ALLOW does not allow" });
  });

  it('does not follow a redirect from an allowed receiver: the target gets nothing, the channel fails at once', async () => {
    const path = '/hooks/redirecting';
    receiver.script(path, [{ status: 302, headers: { location: receiver.url('/hooks/redirect-target') } }]);
    const id = await registered(receiver.url(path), path);
    await caseWithTask(stack, 'QG-20261124-0604', { kind: 'partner', id });
    const [row] = await deliveryLog('QG-20261124-0604', 1);
    expect(row).toMatchObject({ channel: 'webhook', status: 'gave-up', attempts: 1, lastError: 'the webhook answered HTTP 302' });
    expect(receiver.forPath(path)).toHaveLength(1);
    expect(receiver.forPath('/hooks/redirect-target')).toHaveLength(0);
  });
});
