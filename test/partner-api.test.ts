import { eq } from 'drizzle-orm';
import { partnerServices, partners } from '../db/schema';
import { api, useStack } from './helpers/stack';
import { expectProblem } from './helpers/problems';

type Res = { status: number; headers: Headers; body: any };

// Contact details that must never reach a log line.
const hook = 'https://hooks.plumbers.example/stationflow';
const mail = 'dispatch@plumbers.example';
const phone = '+8613800138000';

const partnerBody = (id: string, extra: Record<string, unknown> = {}) => ({
  id,
  kind: 'service-agency',
  name: `Partner ${id}`,
  nameZh: `合作方 ${id}`,
  services: ['home-plumbing-repair'],
  channels: [{ type: 'email', address: `desk@${id}.example` }],
  ...extra,
});

describe('the partner registry over HTTP', () => {
  const { stack, tokens: demo } = useStack({}, { timeout: 120_000 });
  const tokens: Record<string, string> = demo;

  const create = (body: unknown, token = tokens.admin!) => api(stack, 'POST', '/api/partners', { token, body });
  const patch = (id: string, body: unknown, token = tokens.admin!) => api(stack, 'PATCH', `/api/partners/${id}`, { token, body });
  const get = (id: string, token = tokens.staff!) => api(stack, 'GET', `/api/partners/${id}`, { token });
  const list = (query: string, token = tokens.staff!) => api(stack, 'GET', `/api/partners${query}`, { token });
  const ids = (res: Res) => res.body.items.map((p: { id: string }) => p.id);
  const row = async (id: string) => (await stack.database.db.select().from(partners).where(eq(partners.id, id)))[0];
  const serviceRows = async (id: string) =>
    (await stack.database.db.select().from(partnerServices).where(eq(partnerServices.partnerId, id))).map((r) => r.serviceCode).sort();

  /** Registers a partner and expects it registered: the 201 body. */
  async function created(body: Record<string, unknown>) {
    const res = await create(body);
    expect({ status: res.status, body: res.body }).toMatchObject({ status: 201 });
    return res.body;
  }


  it('an admin registers a partner: 201 with Location and the webhook secret, once; reads never show the secret', async () => {
    const channels = [
      { type: 'webhook', url: hook },
      { type: 'email', address: mail },
      { type: 'sms', phone },
    ];
    const names = { name: 'Dongcheng Plumbers', nameZh: '东城水管工' };
    const res = await create({
      id: 'dongcheng-plumbers',
      kind: 'service-agency',
      ...names,
      services: ['home-plumbing-repair', 'blocked-manhole'],
      channels,
      locale: 'en',
    });
    expect(res.status).toBe(201);
    expect(res.headers.get('location')).toBe('/api/partners/dongcheng-plumbers');
    const { webhookSecret, ...partner } = res.body;
    expect(webhookSecret).toMatch(/^[A-Za-z0-9_-]{43}$/); // 32 random bytes, base64url
    expect(partner).toEqual({
      id: 'dongcheng-plumbers',
      kind: 'service-agency',
      ...names,
      active: true,
      departmentId: null,
      services: ['blocked-manhole', 'home-plumbing-repair'], // sorted
      channels, // in the preference order given
      locale: 'en',
      createdAt: expect.any(String),
      updatedAt: partner.createdAt,
    });
    // Stored as returned: the secret, the services in one go.
    expect((await row('dongcheng-plumbers'))?.webhookSecret).toBe(webhookSecret);
    expect(await serviceRows('dongcheng-plumbers')).toEqual(['blocked-manhole', 'home-plumbing-repair']);

    const read = await get('dongcheng-plumbers');
    expect(read.status).toBe(200);
    expect(read.body).toEqual(partner);
    const listed = await list('?limit=100');
    expect(listed.body.items.find((p: { id: string }) => p.id === 'dongcheng-plumbers')).toEqual(partner);
    for (const body of [read.body, listed.body]) {
      expect(JSON.stringify(body)).not.toContain(webhookSecret);
      expect(JSON.stringify(body)).not.toContain('webhookSecret');
    }
    // Logs name the partner, never its addresses, phone or secret.
    const logs = stack.logLines.join('');
    expect(logs).toContain('dongcheng-plumbers');
    for (const secret of [hook, mail, phone, webhookSecret]) expect(logs).not.toContain(secret);
  });

  it('defaults: no services, locale zh-CN, active; an 11-digit Chinese mobile and an http URL are channels too', async () => {
    const body = await created({
      id: 'min-outlet',
      kind: 'handy-help-outlet',
      name: 'Minimal',
      nameZh: '最小',
      channels: [
        { type: 'sms', phone: '13912345678' },
        { type: 'webhook', url: 'http://127.0.0.1:9/hook' },
      ],
    });
    expect(body).toMatchObject({ services: [], locale: 'zh-CN', active: true, departmentId: null, channels: [{ type: 'sms' }, { type: 'webhook' }] });
    expect(body.webhookSecret).toEqual(expect.any(String));
    expect(await serviceRows('min-outlet')).toEqual([]);
  });

  it('staff, supervisors and admins read; departments and partners may not; no token is 401; only admins write', async () => {
    for (const who of ['staff', 'supervisor', 'admin']) {
      expect((await list('', tokens[who])).status).toBe(200);
      expect((await get('anju-repair', tokens[who])).body).toMatchObject({ id: 'anju-repair', kind: 'service-agency', services: ['home-plumbing-repair'] });
    }
    for (const who of ['housing', 'partner']) {
      expectProblem(await list('', tokens[who]), 403, /role staff or supervisor or admin/, undefined, 'forbidden-role');
      expectProblem(await get('anju-repair', tokens[who]), 403, /role staff or supervisor or admin/, undefined, 'forbidden-role');
    }
    expectProblem(await api(stack, 'GET', '/api/partners'), 401, /no Authorization header/, undefined, 'unauthorized');
    expectProblem(await api(stack, 'GET', '/api/partners/anju-repair', { token: 'not.a.jwt' }), 401);
    for (const who of ['staff', 'supervisor', 'housing', 'partner']) {
      const token = tokens[who]!;
      expectProblem(await create(partnerBody('not-by-you'), token), 403, /role admin/, undefined, 'forbidden-role');
      expectProblem(await patch('anju-repair', { name: 'Mine' }, token), 403, /role admin/);
      expectProblem(await api(stack, 'DELETE', '/api/partners/anju-repair', { token }), 403, /role admin/);
      expectProblem(await api(stack, 'POST', '/api/partners/anju-repair/webhook-secret', { token }), 403, /role admin/);
      expectProblem(await api(stack, 'POST', '/api/partners/anju-repair/tokens', { token, body: {} }), 403, /role admin/);
    }
    expect(await row('not-by-you')).toBeUndefined();
    expect((await get('anju-repair')).body.name).toBe('Anju Home Repair Co.');
  });

  it('404 problem for an unknown or malformed partner id, on every route', async () => {
    for (const id of ['no-such-partner', 'Not_A_Slug']) {
      expectProblem(await get(id), 404, new RegExp(`Partner ${id} not found`), undefined, 'partner-not-found');
      expectProblem(await patch(id, { name: 'X' }), 404, /not found/, undefined, 'partner-not-found');
      expectProblem(await api(stack, 'DELETE', `/api/partners/${id}`, { token: tokens.admin }), 404, /not found/, undefined, 'partner-not-found');
      expectProblem(await api(stack, 'POST', `/api/partners/${id}/webhook-secret`, { token: tokens.admin }), 404, /not found/, undefined, 'partner-not-found');
      expectProblem(await api(stack, 'POST', `/api/partners/${id}/tokens`, { token: tokens.admin, body: {} }), 404, /not found/, undefined, 'partner-not-found');
    }
  });

  describe('validation', () => {
    const channel = (...channels: unknown[]) => ({ channels });

    it.each([
      ['#/id', { id: 'Dongcheng' }, /slug of lower-case letters/],
      ['#/id', { id: 'x' }, /2–64/],
      ['#/id', { id: 'a'.repeat(65) }, /2–64/],
      ['#/id', { id: undefined }, /is required/],
      ['#/kind', { kind: 'shop' }, /kind/],
      ['#/name', { name: '  ' }, /must not be empty/],
      ['#/nameZh', { nameZh: 'x'.repeat(201) }, /200/],
      ['#/channels', { channels: undefined }, /is required/],
      ['#/channels', channel({ type: 'email', address: 'a@b.example' }, { type: 'sms', phone }, { type: 'webhook', url: hook }, { type: 'sms', phone }), /at most 3 channels/],
      ['#/channels/1/type', channel({ type: 'email', address: 'a@b.example' }, { type: 'email', address: 'c@d.example' }), /repeats channel type email/],
      ['#/channels/0/type', channel({ type: 'fax', number: '010' }), /type webhook, email or sms/],
      ['#/channels/0/address', channel({ type: 'email', address: 'not-an-address' }), /must be an email address/],
      ['#/channels/0/address', channel({ type: 'email', address: `${'x'.repeat(65)}@b.example` }), /at most 64 characters before the @/],
      ['#/channels/0/address', channel({ type: 'email' }), /is required/],
      ['#/channels/0/phone', channel({ type: 'sms', phone: '12345' }), /must be a mobile number/],
      ['#/channels/0/phone', channel({ type: 'sms', phone: '010-12345678' }), /must be a mobile number/],
      ['#/channels/0/url', channel({ type: 'webhook', url: 'ftp://files.example/in' }), /http:\/\/ or https:\/\/ URL/],
      ['#/channels/0/url', channel({ type: 'webhook', url: 'not a url' }), /http:\/\/ or https:\/\/ URL/],
      ['#/channels/0/address', channel({ type: 'webhook', address: 'a@b.example' }), /unknown field "address"/],
      ['#/services/1', { services: ['home-plumbing-repair', 'home-plumbing-repair'] }, /repeats service home-plumbing-repair/],
      ['#/services/0', { services: [''] }, /must not be empty/],
      ['#/locale', { locale: 'fr' }, /locale/],
      ['#/active', { active: 'yes' }, /boolean/],
      ['#/webhookSecret', { webhookSecret: 'mine' }, /unknown field "webhookSecret"/],
    ])('400 %s', async (pointer, extra, detail) => {
      const res = await create(partnerBody('bad-partner', extra));
      expectProblem(res, 400, detail, pointer, 'validation-failed');
      expect(await row('bad-partner')).toBeUndefined();
    });

    it('400 for malformed JSON, 415 for a body that is not JSON, 400 for bad PATCH, token and list fields', async () => {
      const raw = (method: string, path: string, rawBody: string, type: string) =>
        api(stack, method, path, { token: tokens.admin, rawBody, headers: { 'content-type': type } });
      expectProblem(await raw('POST', '/api/partners', '{"id": ', 'application/json'), 400, /not valid JSON/, undefined, 'malformed-json');
      expectProblem(await raw('PATCH', '/api/partners/anju-repair', '{"name"', 'application/json'), 400, /not valid JSON/, undefined, 'malformed-json');
      expectProblem(await raw('POST', '/api/partners', 'id=x', 'application/x-www-form-urlencoded'), 415, /application\/json/, undefined, 'unsupported-media-type');
      expectProblem(await raw('PATCH', '/api/partners/anju-repair', 'name', 'text/plain'), 415, /application\/json/);
      expectProblem(await raw('POST', '/api/partners/anju-repair/tokens', 'ttl', 'text/plain'), 415, /application\/json/);

      expectProblem(await patch('anju-repair', { id: 'renamed' }), 400, /unknown field "id"/, '#/id', 'validation-failed');
      expectProblem(await patch('anju-repair', { channels: [{ type: 'sms', phone: '999' }] }), 400, /mobile number/, '#/channels/0/phone');
      expectProblem(await patch('anju-repair', { name: '' }), 400, /must not be empty/, '#/name');
      expectProblem(await api(stack, 'POST', '/api/partners/anju-repair/tokens', { token: tokens.admin, body: { ttl: '1y' } }), 400, /30m, 8h, 7d/, '#/ttl');
      expect((await get('anju-repair')).body).toMatchObject({ name: 'Anju Home Repair Co.', channels: [{ type: 'email', address: 'dispatch@anju-repair.example' }] });

      expectProblem(await list('?kind=shop'), 400, /kind/, '#/kind', 'validation-failed');
      expectProblem(await list('?active=yes'), 400, /active/, '#/active');
      expectProblem(await list('?limit=0'), 400, /limit/, '#/limit');
      expectProblem(await list('?limit=1000'), 400, /limit/, '#/limit');
      expectProblem(await list('?colour=red'), 400, /unknown field "colour"/, '#/colour');
      expectProblem(await list('?cursor=not-a-cursor!'), 400, /cursor/, undefined, 'validation-failed');
    });

    it('422 with a pointer each for unknown service codes and an unknown department', async () => {
      let res = await create(partnerBody('ghost-services', { services: ['home-plumbing-repair', 'space-travel', 'time-travel'] }));
      expectProblem(res, 422, /Unknown references/, '#/services/1', 'unknown-reference');
      expect(res.body.errors).toEqual([
        { pointer: '#/services/1', detail: 'is not in the service catalogue (space-travel)' },
        { pointer: '#/services/2', detail: 'is not in the service catalogue (time-travel)' },
      ]);
      res = await create(partnerBody('ghost-department', { kind: 'department', departmentId: 'nowhere' }));
      expectProblem(res, 422, /Unknown references/, '#/departmentId', 'unknown-reference');
      expect(res.body.errors).toEqual([{ pointer: '#/departmentId', detail: 'is not a department (nowhere)' }]);
      expectProblem(await patch('anju-repair', { services: ['space-travel'] }), 422, /space-travel/, '#/services/0', 'unknown-reference');
      expect(await row('ghost-services')).toBeUndefined();
      expect(await row('ghost-department')).toBeUndefined();
      expect(await serviceRows('anju-repair')).toEqual(['home-plumbing-repair']);
    });

    it('422: kind department names its department, other kinds none, one registry entry per department', async () => {
      expectProblem(await create(partnerBody('housing-desk', { kind: 'department' })), 422, /names its department/, '#/departmentId', 'partner-invalid');
      expectProblem(
        await create(partnerBody('anju-two', { departmentId: 'housing' })),
        422,
        /Only a partner of kind department/,
        '#/departmentId',
        'partner-invalid',
      );
      const desk = await created(partnerBody('housing-desk', { kind: 'department', departmentId: 'housing', services: [] }));
      expect(desk).toMatchObject({ kind: 'department', departmentId: 'housing' });
      const res = await create(partnerBody('housing-desk-two', { kind: 'department', departmentId: 'housing' }));
      expectProblem(res, 422, /Department housing is already linked to partner housing-desk/, '#/departmentId', 'department-already-linked');
      expect(await row('housing-desk-two')).toBeUndefined();

      // The same rules on the partner as a PATCH would leave it.
      await created(partnerBody('water-desk', { kind: 'department', departmentId: 'water', services: [] }));
      expectProblem(await patch('water-desk', { departmentId: 'housing' }), 422, /already linked to partner housing-desk/, '#/departmentId', 'department-already-linked');
      expectProblem(await patch('water-desk', { departmentId: null }), 422, /names its department/, '#/departmentId', 'partner-invalid');
      expectProblem(await patch('water-desk', { kind: 'institution' }), 422, /kind institution/, '#/departmentId', 'partner-invalid');
      expectProblem(await patch('anju-repair', { kind: 'department' }), 422, /names its department/, '#/departmentId', 'partner-invalid');
      expectProblem(await patch('anju-repair', { departmentId: 'civil-affairs' }), 422, /Only a partner of kind department/, '#/departmentId');
      expect(await row('water-desk')).toMatchObject({ kind: 'department', departmentId: 'water' });
      // Unlinking while changing the kind frees the department for another entry.
      expect((await patch('water-desk', { kind: 'institution', departmentId: null })).body).toMatchObject({ kind: 'institution', departmentId: null });
      expect((await patch('anju-repair', { kind: 'department', departmentId: 'water' })).body).toMatchObject({ kind: 'department', departmentId: 'water' });
      expect((await patch('anju-repair', { kind: 'service-agency', departmentId: null })).body).toMatchObject({ kind: 'service-agency', departmentId: null });
      // Keeping its own department is no conflict.
      expect((await patch('housing-desk', { departmentId: 'housing', name: 'Housing desk' })).status).toBe(200);
    });

    it('409 when the id is taken, the seeded partners included', async () => {
      expectProblem(await create(partnerBody('anju-repair')), 409, /Partner anju-repair already exists/, undefined, 'partner-exists');
      expectProblem(await create(partnerBody('dongcheng-plumbers')), 409, /already exists/, undefined, 'partner-exists');
      expect((await get('anju-repair')).body.name).toBe('Anju Home Repair Co.');
    });
  });

  describe('listing', () => {
    beforeAll(async () => {
      await created(partnerBody('legal-clinic', { kind: 'institution', services: ['legal-consultation', 'residence-certificate'] }));
      await created(partnerBody('retired-volunteers', { kind: 'volunteer-organisation', services: ['volunteer-registration'], active: false }));
    });

    it('filters by kind, by a service offered and by active; default all', async () => {
      const all = await list('?limit=100');
      expect(all.status).toBe(200);
      expect(all.body.nextCursor).toBeUndefined();
      const every = all.body.items as { id: string; kind: string; active: boolean; services: string[] }[];
      expect(every.map((p) => p.id)).toEqual(expect.arrayContaining(['anju-repair', 'qianggen-handy-help', 'xicheng-legal-aid', 'red-armband-volunteers', 'legal-clinic', 'retired-volunteers']));
      expect(every.some((p) => !p.active)).toBe(true);
      for (const p of every) expect(p).not.toHaveProperty('webhookSecret');

      const institutions = await list('?kind=institution&limit=100');
      expect(ids(institutions).sort()).toEqual(['legal-clinic', 'water-desk', 'xicheng-legal-aid']); // water-desk became one above
      expect(ids(institutions)).toEqual(every.filter((p) => p.kind === 'institution').map((p) => p.id));

      const legal = await list('?service=legal-consultation&limit=100');
      expect(ids(legal).sort()).toEqual(['legal-clinic', 'xicheng-legal-aid']);
      // The filter picks partners; each still lists all it offers.
      expect(legal.body.items.find((p: { id: string }) => p.id === 'legal-clinic').services).toEqual(['legal-consultation', 'residence-certificate']);
      const plumbing = await list('?service=home-plumbing-repair&limit=100');
      expect(ids(plumbing)).toEqual(every.filter((p) => p.services.includes('home-plumbing-repair')).map((p) => p.id));
      expect(ids(plumbing)).toEqual(expect.arrayContaining(['anju-repair', 'qianggen-handy-help', 'dongcheng-plumbers']));
      expect(ids(await list('?service=space-travel'))).toEqual([]);

      expect(ids(await list('?active=false&limit=100'))).toEqual(every.filter((p) => !p.active).map((p) => p.id));
      expect(ids(await list('?active=true&limit=100'))).toEqual(every.filter((p) => p.active).map((p) => p.id));
      expect(ids(await list('?active=false&kind=volunteer-organisation&service=volunteer-registration'))).toEqual(['retired-volunteers']);
      // Empty parameters are absent ones.
      expect(ids(await list('?kind=&active=&service=&limit=100'))).toEqual(every.map((p) => p.id));
    });

    it('pages by id: every partner once, in the order of the full list', async () => {
      const every = ids(await list('?limit=100'));
      expect(every.length).toBeGreaterThan(5);
      const seen: string[] = [];
      let cursor: string | undefined;
      let pages = 0;
      do {
        const page = await list(`?limit=2${cursor ? `&cursor=${cursor}` : ''}`, tokens.supervisor);
        expect(page.status).toBe(200);
        expect(page.body.items.length).toBeLessThanOrEqual(2);
        seen.push(...ids(page));
        cursor = page.body.nextCursor;
        pages += 1;
      } while (cursor && pages < 50);
      expect(seen).toEqual(every);
      expect(pages).toBe(Math.ceil(every.length / 2)); // a full last page has no cursor after it
      // A filter pages too.
      const first = await list('?service=home-plumbing-repair&limit=1');
      const second = await list(`?service=home-plumbing-repair&limit=1&cursor=${first.body.nextCursor}`);
      expect([...ids(first), ...ids(second)]).toEqual(ids(await list('?service=home-plumbing-repair&limit=2')));
    });
  });

  it('PATCH changes the fields given, replaces services and channels, bumps updatedAt', async () => {
    const before = (await get('dongcheng-plumbers')).body;
    const { webhookSecret } = (await row('dongcheng-plumbers'))!;
    await new Promise((r) => setTimeout(r, 5));
    const res = await patch('dongcheng-plumbers', {
      services: ['garbage-sorting-complaint'],
      channels: [{ type: 'sms', phone: '13800138000' }, { type: 'email', address: 'night@plumbers.example' }],
      nameZh: '东城管道',
    });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      ...before,
      nameZh: '东城管道',
      services: ['garbage-sorting-complaint'],
      channels: [
        { type: 'sms', phone: '13800138000' },
        { type: 'email', address: 'night@plumbers.example' },
      ],
      updatedAt: expect.any(String),
    });
    expect(Date.parse(res.body.updatedAt)).toBeGreaterThan(Date.parse(before.updatedAt));
    expect(res.body).not.toHaveProperty('webhookSecret');
    expect(await serviceRows('dongcheng-plumbers')).toEqual(['garbage-sorting-complaint']);
    expect((await get('dongcheng-plumbers')).body).toEqual(res.body);
    // The secret stays; fields not given stay.
    expect((await row('dongcheng-plumbers'))?.webhookSecret).toBe(webhookSecret);
    const emptied = await patch('dongcheng-plumbers', { services: [], channels: [], locale: 'zh-CN' });
    expect(emptied.body).toMatchObject({ services: [], channels: [], locale: 'zh-CN', nameZh: '东城管道', kind: 'service-agency', active: true });
    expect(await serviceRows('dongcheng-plumbers')).toEqual([]);
    const renamed = await patch('dongcheng-plumbers', { name: 'Dongcheng Pipes' });
    expect(renamed.body).toMatchObject({ name: 'Dongcheng Pipes', services: [], channels: [] });
  });

  it('DELETE deactivates, idempotently: the row stays, 200 with the same partner again; PATCH reactivates', async () => {
    await created(partnerBody('short-lived', { services: ['blocked-manhole'] }));
    const first = await api(stack, 'DELETE', '/api/partners/short-lived', { token: tokens.admin });
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({ id: 'short-lived', active: false, services: ['blocked-manhole'] });
    const again = await api(stack, 'DELETE', '/api/partners/short-lived', { token: tokens.admin });
    expect(again.status).toBe(200);
    expect(again.body).toEqual(first.body);
    expect(await row('short-lived')).toMatchObject({ active: false });
    expect(await serviceRows('short-lived')).toEqual(['blocked-manhole']);
    expect((await get('short-lived')).body).toEqual(first.body);
    expect(ids(await list('?active=false&limit=100'))).toContain('short-lived');
    expect(ids(await list('?active=true&limit=100'))).not.toContain('short-lived');
    expect((await patch('short-lived', { active: true })).body).toMatchObject({ active: true });
  });

  it('rotating the webhook secret changes it in the database and returns the new one once', async () => {
    const before = (await row('dongcheng-plumbers'))!.webhookSecret;
    const res = await api(stack, 'POST', '/api/partners/dongcheng-plumbers/webhook-secret', { token: tokens.admin });
    expect(res.status).toBe(200);
    expect(Object.keys(res.body)).toEqual(['webhookSecret']);
    expect(res.body.webhookSecret).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(res.body.webhookSecret).not.toBe(before);
    expect((await row('dongcheng-plumbers'))!.webhookSecret).toBe(res.body.webhookSecret);
    expect(JSON.stringify((await get('dongcheng-plumbers', tokens.admin)).body)).not.toContain(res.body.webhookSecret);
    expect(stack.logLines.join('')).not.toContain(res.body.webhookSecret);
    // Seeded partners had none: rotation gives them one.
    const seeded = await api(stack, 'POST', '/api/partners/xicheng-legal-aid/webhook-secret', { token: tokens.admin });
    expect((await row('xicheng-legal-aid'))!.webhookSecret).toBe(seeded.body.webhookSecret);
  });

  it("mints a partner's own token: it verifies as role partner for that partner; an inactive partner gets none (409)", async () => {
    const res = await api(stack, 'POST', '/api/partners/legal-clinic/tokens', { token: tokens.admin, body: {} });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ token: expect.any(String), tokenId: expect.any(String), expiresIn: 365 * 86_400, expiresAt: expect.any(String) });
    expect(Date.parse(res.body.expiresAt) - Date.now()).toBeGreaterThan(364 * 86_400_000);
    const principal = await stack.auth.verify(res.body.token);
    expect(principal).toMatchObject({ id: 'partner-legal-clinic', role: 'partner', partnerId: 'legal-clinic' });
    // The API accepts it (not 401) and knows the role: partners do not read the registry.
    expectProblem(await list('', res.body.token), 403, /your token has the role partner/, undefined, 'forbidden-role');

    const short = await api(stack, 'POST', '/api/partners/legal-clinic/tokens', { token: tokens.admin, body: { ttl: '2h' } });
    expect(short.body.expiresIn).toBe(7200);
    const noBody = await api(stack, 'POST', '/api/partners/legal-clinic/tokens', { token: tokens.admin });
    expect(noBody.body.expiresIn).toBe(365 * 86_400);

    expectProblem(
      await api(stack, 'POST', '/api/partners/retired-volunteers/tokens', { token: tokens.admin, body: {} }),
      409,
      /Partner retired-volunteers is inactive/,
      undefined,
      'partner-inactive',
    );
    expect(stack.logLines.join('')).not.toContain(res.body.token);
  });

  it('OpenAPI documents every partner route with its roles', async () => {
    const doc = (await api(stack, 'GET', '/openapi.json')).body;
    const ops = [
      ['/api/partners', 'get'],
      ['/api/partners', 'post'],
      ['/api/partners/{id}', 'get'],
      ['/api/partners/{id}', 'patch'],
      ['/api/partners/{id}', 'delete'],
      ['/api/partners/{id}/webhook-secret', 'post'],
      ['/api/partners/{id}/tokens', 'post'],
    ] as const;
    for (const [path, method] of ops) expect(doc.paths[path]?.[method]?.description).toMatch(/^Roles: /);
    expect(Object.keys(doc.paths['/api/partners'].post.responses)).toEqual(expect.arrayContaining(['201', '400', '401', '403', '409', '415', '422']));
    expect(doc.components.schemas.CreatedPartner.properties).toHaveProperty('webhookSecret');
    expect(doc.components.schemas.Partner.properties).not.toHaveProperty('webhookSecret');
    expect(doc.components.schemas).toHaveProperty('ContactChannel');
  });

  it('no request of this file failed with a 500', () => {
    expect(stack.logLines.filter((l) => l.includes('"request failed"'))).toEqual([]);
  });
});
