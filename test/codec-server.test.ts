import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { temporal as proto } from '@temporalio/proto';
import { SignJWT } from 'jose';
import { type BrowserContext, chromium, type Response as BrowserResponse } from 'playwright-core';
import { freePort } from './helpers/ports';
import { api, testSecret, useStack } from './helpers/stack';
import { expectProblem } from './helpers/problems';
import { temporalExecutable } from '../temporal/dev-server';

/**
 * The codec server (api/codec/routes.ts): the Temporal UI's and CLI's way to read a case's encrypted payloads,
 * decoded only for staff, supervisors and admins. Through the real HTTP API, against payloads the real worker
 * wrote to a real dev server, and with the real Temporal CLI.
 */

const name = 'Zhang Xiuying';
const phone = '13812345678';
const idNumber = '110101199003071234';
const uiOrigin = 'http://localhost:8233';

const b64 = (s: string) => Buffer.from(s, 'utf8').toString('base64');
const text = (payloads: { metadata?: Record<string, string>; data?: string }[]) =>
  payloads.map((p) => Object.values(p.metadata ?? {}).concat(p.data ?? '').map((v) => Buffer.from(v, 'base64').toString('utf8')).join(' ')).join('\n');

/** Every Payload in a workflow's raw history, as protobuf JSON (what the UI sends to /codec/decode). */
function payloadsOf(history: proto.api.history.v1.IHistory): { metadata: Record<string, string>; data: string }[] {
  const found: { metadata: Record<string, string>; data: string }[] = [];
  const walk = (node: unknown): void => {
    if (!node || typeof node !== 'object' || node instanceof Uint8Array) return;
    if (Array.isArray(node)) return node.forEach(walk);
    const o = node as Record<string, unknown>;
    if (o.metadata && typeof o.metadata === 'object' && o.data instanceof Uint8Array) {
      found.push({
        metadata: Object.fromEntries(Object.entries(o.metadata as Record<string, Uint8Array>).map(([k, v]) => [k, Buffer.from(v).toString('base64')])),
        data: Buffer.from(o.data).toString('base64'),
      });
      return;
    }
    Object.values(o).forEach(walk);
  };
  walk(history.events);
  return found;
}

describe('codec server', () => {
  const { stack, tokens } = useStack();
  let caseId: string;
  let sent: { payloads: { metadata: Record<string, string>; data: string }[] };

  beforeAll(async () => {
    const opened = await api(stack, 'POST', '/api/cases', {
      token: tokens.staff,
      headers: { 'idempotency-key': 'codec-server-case' },
      body: { serviceCode: 'home-plumbing-repair', demand: `Kitchen pipe leaking; ID card ${idNumber} shown`, resident: { name, phone, address: 'Building 7, Xinjiekou' } },
    });
    expect(opened.status).toBe(201);
    caseId = opened.body.id;
    const { history } = await stack.client.workflowService.getWorkflowExecutionHistory({
      namespace: stack.temporal.namespace,
      execution: { workflowId: `case-${caseId}` },
    });
    sent = { payloads: payloadsOf(history!) };
    expect(sent.payloads.length).toBeGreaterThan(0);
  });

  const decode = (body: unknown, opts: { token?: string; headers?: Record<string, string> } = {}) =>
    api(stack, 'POST', '/codec/decode', { body, ...opts });

  describe('decode', () => {
    it('the raw history carries the resident only encrypted', () => {
      const raw = text(sent.payloads);
      for (const secret of [name, phone, idNumber]) expect(raw).not.toContain(secret);
      expect(raw).toContain('binary/encrypted');
    });

    it.each(['staff', 'supervisor', 'admin'] as const)('decodes for %s', async (role) => {
      const res = await decode(sent, { token: tokens[role], headers: { 'x-namespace': stack.temporal.namespace } });
      expect(res.status).toBe(200);
      expect(res.headers.get('cache-control')).toBe('no-store');
      expect(res.headers.get('x-codec-decoded')).toBe('true');
      expect(res.body.payloads).toHaveLength(sent.payloads.length);
      const plain = text(res.body.payloads);
      for (const secret of [name, phone, idNumber]) expect(plain).toContain(secret);
      expect(plain).not.toContain('binary/encrypted');
    });

    it.each(['housing', 'partner'] as const)('gives %s the payloads back still encrypted', async (who) => {
      const res = await decode(sent, { token: tokens[who] });
      expect(res.status).toBe(200);
      expect(res.headers.get('x-codec-decoded')).toBe('false');
      expect(res.body).toEqual(sent);
      for (const secret of [name, phone, idNumber]) expect(text(res.body.payloads)).not.toContain(secret);
    });

    it('refuses without a token, with a bad or expired one, and for another namespace', async () => {
      expectProblem(await decode(sent), 401, undefined, undefined, 'unauthorized');
      expectProblem(await decode(sent, { headers: { authorization: 'Basic c3VwZXI6dmlzb3I=' } }), 401);
      expectProblem(await decode(sent, { token: `${tokens.supervisor.slice(0, -4)}AAAA` }), 401);
      const now = Math.floor(Date.now() / 1000);
      const expired = await new SignJWT({ role: 'supervisor', subdistrict: 'xinjiekou' })
        .setProtectedHeader({ alg: 'HS256' })
        .setSubject('chen')
        .setIssuer('stationflow')
        .setIssuedAt(now - 7200)
        .setExpirationTime(now - 3600)
        .sign(new TextEncoder().encode(testSecret));
      expectProblem(await decode(sent, { token: expired }), 401);
      expectProblem(await decode(sent, { headers: { cookie: `stationflow_codec=${expired}` } }), 401);
      const stale = await decode(sent, { headers: { cookie: `stationflow_codec=not-a-token` } });
      expectProblem(stale, 401);
      expect(JSON.stringify(stale.body)).not.toContain(name);
      expectProblem(await decode(sent, { token: tokens.supervisor, headers: { 'x-namespace': 'someone-else' } }), 403, undefined, undefined, 'codec-namespace');
    });

    it('refuses a revoked token, by bearer and by cookie alike', async () => {
      const revoked = await stack.token({ role: 'supervisor', subdistrict: 'xinjiekou', sub: 'revoked-supervisor' });
      const cookie = (await api(stack, 'POST', '/codec/sign-in', { token: revoked })).headers.get('set-cookie')!.split(';')[0]!;
      expect((await decode(sent, { headers: { cookie } })).status).toBe(200);
      const jti = JSON.parse(Buffer.from(revoked.split('.')[1]!, 'base64url').toString()).jti as string;
      const revocation = await api(stack, 'POST', '/api/tokens/revocations', { token: tokens.admin, body: { tokenId: jti, reason: 'Laptop lost' } });
      expect(revocation.status).toBe(201);
      expectProblem(await decode(sent, { token: revoked }), 401, /revoked/);
      const byCookie = await decode(sent, { headers: { cookie } });
      expectProblem(byCookie, 401, /revoked/);
      expect(JSON.stringify(byCookie.body)).not.toContain(name);
    });

    it('refuses a payload altered or under an unknown key (400), never passing it off as decoded', async () => {
      const [first] = sent.payloads;
      const data = Buffer.from(first!.data, 'base64');
      data[data.length - 1]! ^= 1;
      const altered = { payloads: [{ ...first!, data: data.toString('base64') }] };
      expectProblem(await decode(altered, { token: tokens.supervisor }), 400, /failed authentication/, undefined, 'undecodable-payload');
      const unknownKey = { payloads: [{ ...first!, metadata: { ...first!.metadata, 'encryption-key-id': b64('retired-key') } }] };
      expectProblem(await decode(unknownKey, { token: tokens.supervisor }), 400, /retired-key/, undefined, 'undecodable-payload');
    });
  });

  describe('encode', () => {
    const original = { payloads: [{ metadata: { encoding: b64('json/plain') }, data: b64(JSON.stringify({ name })) }] };

    it('round-trips: encrypted under the newest key, decoded back to the original', async () => {
      const encoded = await api(stack, 'POST', '/codec/encode', { token: tokens.supervisor, body: original });
      expect(encoded.status).toBe(200);
      const [payload] = encoded.body.payloads;
      expect(Buffer.from(payload.metadata.encoding, 'base64').toString()).toBe('binary/encrypted');
      expect(Buffer.from(payload.metadata['encryption-key-id'], 'base64').toString()).toBe(stack.temporal.payloadKeys[0]!.id);
      expect(text(encoded.body.payloads)).not.toContain(name);
      const decoded = await decode(encoded.body, { token: tokens.staff });
      expect(decoded.body).toEqual(original);
    });

    it('is for the roles that see resident data only', async () => {
      expectProblem(await api(stack, 'POST', '/codec/encode', { token: tokens.housing, body: original }), 403, undefined, undefined, 'forbidden-role');
      expectProblem(await api(stack, 'POST', '/codec/encode', { body: original }), 401);
    });
  });

  describe('hostile bodies', () => {
    it.each([
      ['not JSON', '{"payloads": [', 400],
      ['payloads not a list', '{"payloads": "x"}', 400],
      ['data not base64', '{"payloads": [{"data": "%%%not base64"}]}', 400],
      ['metadata value not base64', '{"payloads": [{"metadata": {"encoding": "a b"}}]}', 400],
      ['bad padding', '{"payloads": [{"data": "YWJ=c"}]}', 400],
      ['a number for data', '{"payloads": [{"data": 12}]}', 400],
      ['JSON null', 'null', 400],
      ['a list', '[]', 400],
    ])('%s → 400 problem+json', async (_what, rawBody, status) => {
      const res = await api(stack, 'POST', '/codec/decode', { token: tokens.supervisor, rawBody, headers: { 'content-type': 'application/json' } });
      expectProblem(res, status);
    });

    it('takes {} as no payloads, as protobuf JSON writes an empty list', async () => {
      const res = await api(stack, 'POST', '/codec/decode', { token: tokens.supervisor, rawBody: '{}', headers: { 'content-type': 'application/json' } });
      expect(res).toMatchObject({ status: 200, body: { payloads: [] } });
      expectProblem(await api(stack, 'POST', '/codec/decode', { token: tokens.supervisor }), 400, undefined, undefined, 'invalid-payloads');
    });

    it('takes __proto__ and constructor keys as plain metadata names', async () => {
      const rawBody = `{"payloads": [{"metadata": {"__proto__": "${b64('x')}", "constructor": "${b64('y')}"}, "data": "${b64('"z"')}"}]}`;
      const res = await api(stack, 'POST', '/codec/decode', { token: tokens.supervisor, rawBody, headers: { 'content-type': 'application/json' } });
      expect(res.status).toBeLessThan(500);
      expect(res.headers.get('content-type')).toMatch(res.status === 200 ? /^application\/json/ : /^application\/problem\+json/);
      expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    });

    it('refuses a body over the limit (413) and a body that is not JSON (415)', async () => {
      const huge = JSON.stringify({ payloads: [{ data: 'A'.repeat(5 * 1024 * 1024) }] });
      expectProblem(await api(stack, 'POST', '/codec/decode', { token: tokens.supervisor, rawBody: huge, headers: { 'content-type': 'application/json' } }), 413);
      expectProblem(await api(stack, 'POST', '/codec/decode', { token: tokens.supervisor, rawBody: 'payloads', headers: { 'content-type': 'text/plain' } }), 415);
    });

    it('answers many decodes at once, each with its own caller', async () => {
      const who = ['supervisor', 'housing', 'staff', 'partner', 'admin', 'housing'] as const;
      const results = await Promise.all(who.map((w) => decode(sent, { token: tokens[w] })));
      results.forEach((res, i) => {
        expect(res.status).toBe(200);
        expect(text(res.body.payloads).includes(name)).toBe(['supervisor', 'staff', 'admin'].includes(who[i]!));
      });
    });
  });

  describe('CORS and the browser sign-in', () => {
    it("answers the UI's preflight for its origin only", async () => {
      const preflight = (origin: string) =>
        fetch(`${stack.url}/codec/decode`, {
          method: 'OPTIONS',
          headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization,content-type,x-namespace' },
        });
      const ok = await preflight(uiOrigin);
      expect(ok.status).toBe(204);
      expect(ok.headers.get('access-control-allow-origin')).toBe(uiOrigin);
      expect(ok.headers.get('access-control-allow-credentials')).toBe('true');
      expect(ok.headers.get('access-control-allow-headers')?.toLowerCase().split(',')).toEqual(expect.arrayContaining(['authorization', 'content-type', 'x-namespace']));
      const evil = await preflight('http://evil.example');
      expect(evil.headers.get('access-control-allow-origin')).toBeNull();
      const answer = await decode(sent, { token: tokens.supervisor, headers: { origin: uiOrigin } });
      expect(answer.headers.get('access-control-allow-origin')).toBe(uiOrigin);
    });

    it('signs a browser in with an HttpOnly cookie that decodes for its role, and out again', async () => {
      const signIn = await api(stack, 'POST', '/codec/sign-in', { token: tokens.supervisor });
      expect(signIn.status).toBe(204);
      const setCookie = signIn.headers.get('set-cookie')!;
      expect(setCookie).toMatch(/^stationflow_codec=[^;]+; Max-Age=\d+; Path=\/codec; HttpOnly; SameSite=Strict$/);
      const cookie = setCookie.split(';')[0]!;
      const decoded = await decode(sent, { headers: { cookie, origin: uiOrigin } });
      expect(text(decoded.body.payloads)).toContain(name);

      const page = await api(stack, 'GET', '/codec/sign-in', { headers: { cookie } });
      expect(page.headers.get('content-type')).toMatch(/^text\/html/);
      expect(page.body).toContain('Signed in as <b>chen</b> (supervisor xinjiekou)');
      expect(page.body).not.toContain(cookie.split('=')[1]);

      const department = (await api(stack, 'POST', '/codec/sign-in', { token: tokens.housing })).headers.get('set-cookie')!.split(';')[0]!;
      expect(text((await decode(sent, { headers: { cookie: department } })).body.payloads)).not.toContain(name);

      const out = await fetch(`${stack.url}/codec/sign-out`, { method: 'POST', redirect: 'manual', headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' } });
      expect(out.status).toBe(303);
      expect(out.headers.get('set-cookie')).toMatch(/^stationflow_codec=; Max-Age=0; Path=\/codec/);
      // A script's sign-out (no form): 204, the cookie cleared all the same.
      const scripted = await fetch(`${stack.url}/codec/sign-out`, { method: 'POST', redirect: 'manual', headers: { cookie } });
      expect(scripted.status).toBe(204);
      expect(scripted.headers.get('set-cookie')).toMatch(/^stationflow_codec=; Max-Age=0; Path=\/codec/);
    });

    it('signs in from its own form, never from another site, never with a bad token', async () => {
      const form = (token: string, origin?: string) =>
        fetch(`${stack.url}/codec/sign-in`, {
          method: 'POST',
          redirect: 'manual',
          headers: { 'content-type': 'application/x-www-form-urlencoded', ...(origin ? { origin } : {}) },
          body: new URLSearchParams({ token }).toString(),
        });
      const own = await form(tokens.admin, stack.url);
      expect(own.status).toBe(303);
      expect(own.headers.get('set-cookie')).toMatch(/HttpOnly/);
      const crossSite = await form(tokens.admin, 'http://evil.example');
      expect(crossSite.status).toBe(403);
      expect(crossSite.headers.get('set-cookie')).toBeNull();
      const bad = await form('eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4Iiwicm9sZSI6ImFkbWluIn0.');
      expect(bad.status).toBe(401);
      expect(bad.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      expect(bad.headers.get('set-cookie')).toBeNull();
      expectProblem(await api(stack, 'POST', '/codec/sign-in', {}), 400, undefined, undefined, 'token-required');
    });

    it('is in the OpenAPI document', async () => {
      const doc = (await api(stack, 'GET', '/openapi.json')).body;
      expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/codec/decode', '/codec/encode', '/codec/sign-in', '/codec/sign-out']));
      expect(doc.paths['/codec/decode'].post.requestBody.required).toBe(true);
    });
  });

  describe('the real Temporal CLI', () => {
    const show = async (...codec: string[]) => {
      const cli = temporalExecutable();
      if (cli.type !== 'existing-path') throw new Error('needs the Temporal CLI (npm run temporal:install)');
      const args = ['workflow', 'show', '--address', stack.temporal.address, '--namespace', stack.temporal.namespace, '--workflow-id', `case-${caseId}`, '--detailed', '--color', 'never', ...codec];
      try {
        const { stdout, stderr } = await promisify(execFile)(cli.path, args, { env: { ...process.env, TEMPORAL_VERSION_CHECK_DISABLED: '1' }, maxBuffer: 32 * 1024 * 1024 });
        return { ok: true, out: stdout + stderr };
      } catch (err) {
        const e = err as { stdout?: string; stderr?: string };
        return { ok: false, out: `${e.stdout ?? ''}${e.stderr ?? ''}` };
      }
    };

    it('shows the resident decoded for a supervisor, and for nobody else', async () => {
      const endpoint = `${stack.url}/codec`;
      const supervisor = await show('--codec-endpoint', endpoint, '--codec-auth', `Bearer ${tokens.supervisor}`);
      expect({ ok: supervisor.ok, out: supervisor.ok ? '' : supervisor.out }).toEqual({ ok: true, out: '' });
      for (const secret of [name, phone, idNumber]) expect(supervisor.out).toContain(secret);

      const department = await show('--codec-endpoint', endpoint, '--codec-auth', `Bearer ${tokens.housing}`);
      expect(department.ok).toBe(true);
      expect(department.out).toContain(`input.payloads[0].metadata.encoding: ${b64('binary/encrypted')}`);
      const anonymous = await show('--codec-endpoint', endpoint);
      expect(anonymous.ok).toBe(false); // 401: the CLI gives up rather than show what it cannot decode
      const plain = await show();
      expect(plain.ok).toBe(true);
      for (const out of [department.out, anonymous.out, plain.out]) for (const secret of [name, phone, idNumber]) expect(out).not.toContain(secret);
    });
  });
});

describe("the dev server's Temporal UI in Chromium", () => {
  const ports = { api: 0, ui: 0 };
  const { stack, tokens } = useStack(async () => {
    [ports.api, ports.ui] = [await freePort(), await freePort()];
    // As npm start runs it: the UI on localhost decodes through the API's /codec (scripts/start.ts).
    return { port: ports.api, ui: { port: ports.ui, codecEndpoint: `http://localhost:${ports.api}/codec` } };
  });
  let link: string;
  let browser: Awaited<ReturnType<typeof chromium.launch>>;

  beforeAll(async () => {
    const opened = await api(stack, 'POST', '/api/cases', {
      token: tokens.staff,
      headers: { 'idempotency-key': 'codec-ui-case' },
      body: { serviceCode: 'home-plumbing-repair', demand: 'Kitchen pipe leaking', resident: { name, phone } },
    });
    expect(opened.status).toBe(201);
    link = opened.body.links.temporalUi;
    expect(link).toBe(`http://localhost:${ports.ui}/namespaces/default/workflows/case-${opened.body.id}`);
    browser = await chromium.launch({ executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium', args: ['--no-sandbox'] });
  }, 60_000);
  afterAll(() => browser?.close());

  /**
   * A browser whose UI sends credentials to the codec server: what ticking "Include cross-origin credentials"
   * in the UI's codec server settings stores (the dev server cannot configure it).
   */
  async function browserContext(): Promise<BrowserContext> {
    const context = await browser.newContext();
    const settings = { overrideRemoteCodecConfiguration: 'true', endpoint: JSON.stringify(`http://localhost:${ports.api}/codec`), includeCredentials: 'true' };
    await context.addInitScript(`for (const [k, v] of Object.entries(${JSON.stringify(settings)})) localStorage.setItem(k, v);`);
    return context;
  }

  async function signIn(context: BrowserContext, token: string): Promise<void> {
    const page = await context.newPage();
    await page.goto(`http://localhost:${ports.api}/codec/sign-in`);
    await page.fill('textarea[name=token]', token);
    await Promise.all([page.waitForURL(/\/codec\/sign-in$/), page.click('button:text("Sign in")')]);
    await page.getByText('Signed in as').waitFor();
    await page.close();
  }

  /**
   * Opens the case's UI link and waits until the input's payload was sent to the codec and the input shown (a
   * running workflow's page keeps polling: no network idle to wait for). The codec's answers are the proof: what
   * it did not decode the page cannot show.
   */
  async function openCase(context: BrowserContext): Promise<{ text: string; decodes: BrowserResponse[] }> {
    const page = await context.newPage();
    const decodes: BrowserResponse[] = [];
    page.on('response', (r) => void (r.url().endsWith('/codec/decode') && decodes.push(r)));
    const firstDecode = page.waitForResponse((r) => r.url().endsWith('/codec/decode'), { timeout: 60_000 });
    await page.goto(link);
    await firstDecode;
    await page.getByText('Input', { exact: true }).filter({ visible: true }).first().waitFor({ timeout: 60_000 });
    return { text: await page.innerText('body'), decodes };
  }

  it('shows the resident to a signed-in supervisor', async () => {
    const context = await browserContext();
    await signIn(context, tokens.supervisor);
    const page = await context.newPage();
    await page.goto(link);
    await page.getByText(name).first().waitFor({ timeout: 60_000 });
    expect(await page.innerText('body')).toContain(phone);
    await context.close();
  }, 120_000);

  it('shows it to nobody without a sign-in, and not to a department', async () => {
    const anonymous = await browserContext();
    const seen = await openCase(anonymous);
    expect(seen.decodes.map((r) => r.status())).not.toContain(200);
    expect(seen.decodes.map((r) => r.status())).toContain(401);
    expect(seen.text).not.toContain(name);
    await anonymous.close();

    const department = await browserContext();
    await signIn(department, tokens.housing);
    const shown = await openCase(department);
    expect(await Promise.all(shown.decodes.map((r) => r.headerValue('x-codec-decoded')))).not.toContain('true');
    expect(shown.text).not.toContain(name);
    expect(shown.text).not.toContain(phone);
    await department.close();
  }, 120_000);
});
