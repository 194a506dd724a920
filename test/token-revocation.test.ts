import fs from 'node:fs';
import path from 'node:path';
import { auditEvents } from '../db/schema';
import { startApiOnly } from './helpers/api-only';
import { openTestDatabase, type TestDatabase } from './helpers/database';
import { expectProblem } from './helpers/problems';
import { api } from './helpers/stack';

/**
 * Revocation (issue 15, item 4) and the audit of non-case actions (item 9), through the real HTTP API: partner
 * tokens revoked one by one, all of a partner's at once, and by deactivating the partner — refused on their very
 * next request; every admin action in audit_events (ids only), read back by admins with filters and a cursor.
 */

let database: TestDatabase;
let server: Awaited<ReturnType<typeof startApiOnly>>;
let admin: string;
let supervisor: string;
const probe = (token: string) => api(server, 'GET', '/api/whistle-urgencies', { token });
const mint = async (partner: string) => {
  const res = await api(server, 'POST', `/api/partners/${partner}/tokens`, { token: admin, body: { ttl: '30d' } });
  expect(res.status).toBe(200);
  return res.body as { token: string; tokenId: string; expiresAt: string };
};
const revoke = (body: object, token = admin) => api(server, 'POST', '/api/tokens/revocations', { token, body });
const audit = async (query: string) => {
  const res = await api(server, 'GET', `/api/audit-events?${query}`, { token: admin });
  expect(res.status).toBe(200);
  return res.body as { items: { action: string; actor: string; actorRole: string; scope: string | null; target: { kind: string; id: string }; requestId: string | null; data: object; at: string }[]; nextCursor?: string };
};

beforeAll(async () => {
  database = await openTestDatabase();
  server = await startApiOnly(database);
  [admin, supervisor] = await Promise.all([
    server.auth.sign({ sub: 'root', role: 'admin' }),
    server.auth.sign({ sub: 'chen', role: 'supervisor', subdistrict: 'xinjiekou' }),
  ]);
});
afterAll(async () => {
  await server.stop();
  await database.drop();
});

describe('revoking tokens', () => {
  it('a revoked token is refused on its next request; revoking it again answers the first revocation; other tokens stand', async () => {
    const [a, b] = [await mint('anju-repair'), await mint('anju-repair')];
    expect(a.tokenId).not.toBe(b.tokenId);
    expect((await probe(a.token)).status).toBe(200);
    const first = await revoke({ tokenId: a.tokenId, reason: 'Laptop stolen' });
    expect(first.status).toBe(201);
    expect(first.body).toMatchObject({ tokenId: a.tokenId, revokedBy: 'root', revokedByRole: 'admin', reason: 'Laptop stolen' });
    const refused = await probe(a.token);
    expectProblem(refused, 401, { detail: /revoked/, type: 'unauthorized' });
    expect(JSON.stringify(refused.body)).not.toContain(a.token.split('.')[2]);
    expect((await probe(b.token)).status).toBe(200);
    const again = await revoke({ tokenId: a.tokenId, reason: 'Again' });
    expect(again.status).toBe(200);
    expect(again.body.id).toBe(first.body.id);
  });

  it('two admins revoking one token at once make one revocation', async () => {
    const t = await mint('anju-repair');
    const answers = await Promise.all([revoke({ tokenId: t.tokenId, reason: 'one' }), revoke({ tokenId: t.tokenId, reason: 'two' })]);
    expect(answers.map((r) => r.status).sort()).toEqual([200, 201]);
    expect(new Set(answers.map((r) => r.body.id)).size).toBe(1);
  });

  it("revoking a partner's tokens refuses every one issued before, not those minted after (in the same second too)", async () => {
    const old = await Promise.all([mint('anju-repair'), mint('anju-repair')]);
    const res = await revoke({ partnerId: 'anju-repair', reason: 'Compromised' });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ partnerId: 'anju-repair', issuedBefore: expect.any(String) });
    const fresh = await mint('anju-repair');
    for (const t of old) expectProblem(await probe(t.token), 401, { detail: /revoked/ });
    expect((await probe(fresh.token)).status).toBe(200);
    // A staff token of the same second is not the partner's.
    expect((await probe(await server.auth.sign({ sub: 'wang', role: 'staff', station: 'qianggen' }))).status).toBe(200);
  });

  it('deactivating a partner (DELETE, or PATCH active false) revokes its tokens; reactivated, new tokens work', async () => {
    const t = await mint('qianggen-handy-help');
    expect((await probe(t.token)).status).toBe(200);
    expect((await api(server, 'DELETE', '/api/partners/qianggen-handy-help', { token: admin })).status).toBe(200);
    expectProblem(await probe(t.token), 401, { detail: /revoked/ });
    expect((await api(server, 'PATCH', '/api/partners/qianggen-handy-help', { token: admin, body: { active: true } })).status).toBe(200);
    const next = await mint('qianggen-handy-help');
    expect((await probe(next.token)).status).toBe(200);
    expectProblem(await probe(t.token), 401, { detail: /revoked/ });
    expect((await api(server, 'PATCH', '/api/partners/qianggen-handy-help', { token: admin, body: { active: false } })).status).toBe(200);
    expectProblem(await probe(next.token), 401, { detail: /revoked/ });
  });

  it('lists revocations newest first, by partner, cursor-paged; refuses bad bodies and queries with problems', async () => {
    const all = await api(server, 'GET', '/api/tokens/revocations?limit=100', { token: admin });
    expect(all.status).toBe(200);
    const ids = all.body.items.map((r: { id: string }) => Number(r.id));
    expect(ids).toEqual([...ids].sort((x, y) => y - x));
    const quick = await api(server, 'GET', '/api/tokens/revocations?partnerId=qianggen-handy-help&limit=1', { token: admin });
    expect(quick.body.items).toHaveLength(1);
    expect(quick.body.items[0]).toMatchObject({ partnerId: 'qianggen-handy-help', reason: 'partner deactivated', revokedBy: 'root' });
    const second = await api(server, 'GET', `/api/tokens/revocations?partnerId=qianggen-handy-help&limit=1&cursor=${quick.body.nextCursor}`, { token: admin });
    expect(second.body.items[0].id).not.toBe(quick.body.items[0].id);
    expect(second.body.nextCursor).toBeUndefined();
    expectProblem(await api(server, 'GET', '/api/tokens/revocations?cursor=abc', { token: admin }), 400, /cursor/, '#/cursor');
    expectProblem(await revoke({ reason: 'nothing named' }), 400);
    expectProblem(await revoke({ tokenId: 'x1', partnerId: 'anju-repair', reason: 'both' }), 400);
    expectProblem(await revoke({ tokenId: 'x1' }), 400);
    expectProblem(await revoke({ tokenId: 'x1', reason: '   ' }), 400);
    expectProblem(await revoke({ partnerId: 'no-such-partner', reason: 'x' }), 404);
    expectProblem(await revoke({ tokenId: 'x1', reason: 'x' }, supervisor), 403);
    expectProblem(await api(server, 'GET', '/api/tokens/revocations'), 401);
  });
  it('a token minted between two deactivations in the same second is revoked by the second (iat has whole seconds)', async () => {
    // Deactivate, reactivate, mint and deactivate again in quick succession, several times: each round's
    // token is minted after the first cutoff (its iat rounded up to it) and must fall before the second.
    for (let round = 0; round < 5; round++) {
      expect((await api(server, 'DELETE', '/api/partners/qianggen-handy-help', { token: admin })).status).toBe(200);
      expect((await api(server, 'PATCH', '/api/partners/qianggen-handy-help', { token: admin, body: { active: true } })).status).toBe(200);
      const t = await mint('qianggen-handy-help');
      expect((await probe(t.token)).status).toBe(200);
      expect((await api(server, 'PATCH', '/api/partners/qianggen-handy-help', { token: admin, body: { active: false } })).status).toBe(200);
      expectProblem(await probe(t.token), 401, { detail: /revoked/ });
      expect((await api(server, 'PATCH', '/api/partners/qianggen-handy-help', { token: admin, body: { active: true } })).status).toBe(200);
    }
  });
});

describe('the audit of non-case actions', () => {
  it('records each admin action with actor, role, target ids and request id — and no personal data', async () => {
    const created = await api(server, 'POST', '/api/partners', {
      token: admin,
      body: { id: 'audit-probe', kind: 'service-agency', name: 'Audit Probe', nameZh: '审计', channels: [{ type: 'email', address: 'zhang.san@example.org' }, { type: 'sms', phone: '13800138000' }] },
    });
    expect(created.status).toBe(201);
    await api(server, 'PATCH', '/api/partners/audit-probe', { token: admin, body: { channels: [{ type: 'sms', phone: '13900139000' }] } });
    await api(server, 'POST', '/api/partners/audit-probe/webhook-secret', { token: admin });
    const t = await mint('audit-probe');
    await api(server, 'PUT', '/api/whistle-urgencies/normal', { token: admin, body: { name: 'Normal', nameZh: '一般', checkInGoal: 1, checkInUnit: 'working-days', reportGoal: 5, reportUnit: 'working-days' } });

    const partner = await audit('targetKind=partner&targetId=audit-probe&limit=100');
    expect(partner.items.map((e) => e.action)).toEqual(['partner.webhook-secret-rotated', 'partner.changed', 'partner.registered']);
    expect(partner.items[1]!.data).toEqual({ fields: ['channels'] });
    for (const e of partner.items) {
      expect(e).toMatchObject({ actor: 'root', actorRole: 'admin', scope: null, requestId: expect.any(String) });
      expect(Date.now() - Date.parse(e.at)).toBeLessThan(10 * 60_000);
    }
    const minted = await audit(`action=token.minted&targetId=${t.tokenId}`);
    expect(minted.items).toEqual([expect.objectContaining({ target: { kind: 'token', id: t.tokenId }, data: { partnerId: 'audit-probe', expiresAt: t.expiresAt } })]);

    // No channel address, phone, token or secret anywhere in the audit.
    const rows = JSON.stringify(await database.db.select().from(auditEvents));
    for (const secret of ['zhang.san', '13800138000', '13900139000', t.token.split('.')[2]!, created.body.webhookSecret]) expect(rows).not.toContain(secret);
  });

  it('filters by actor, action, target and time, pages with a cursor, and refuses bad filters as problems', async () => {
    const revocations = await audit('action=token.revoked&limit=100');
    expect(revocations.items.length).toBeGreaterThanOrEqual(4);
    expect(revocations.items.every((e) => e.action === 'token.revoked')).toBe(true);
    expect((await audit('actor=nobody')).items).toEqual([]);
    expect((await audit('to=2001-01-01')).items).toEqual([]);
    expect((await audit(`from=${encodeURIComponent(new Date(Date.now() + 3_600_000).toISOString())}`)).items).toEqual([]);
    // Later than to: an empty range, not an error.
    expect((await audit('from=2030-01-01&to=2020-01-01')).items).toEqual([]);

    const seen: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const page = await audit(`limit=3${cursor ? `&cursor=${cursor}` : ''}`);
      seen.push(...page.items.map((e) => JSON.stringify(e)));
      cursor = page.nextCursor;
      pages++;
    } while (cursor && pages < 100);
    expect(seen.length).toBe((await audit('limit=100')).items.length);
    expect(new Set(seen).size).toBe(seen.length);

    for (const q of ['from=yesterday', 'to=1999-01-01', 'targetKind=case', 'limit=0', 'cursor=!!', 'colour=red', 'actor=%00x']) {
      expectProblem(await api(server, 'GET', `/api/audit-events?${q}`, { token: admin }), 400);
    }
    expectProblem(await api(server, 'GET', '/api/audit-events', { token: supervisor }), 403);
    expectProblem(await api(server, 'GET', '/api/audit-events'), 401);
  });

  it('has no update or delete path in the code for the audit or the revocation list', () => {
    const roots = ['api', 'activities', 'workflows', 'db', 'temporal', 'scripts'];
    const files = roots.flatMap((r) => (fs.readdirSync(r, { recursive: true }) as string[]).filter((f) => f.endsWith('.ts')).map((f) => path.join(r, f)));
    const offending = files.filter((f) => /\.(update|delete)\(\s*(auditEvents|tokenRevocations)\b|(update|delete\s+from)\s+"?(audit_events|token_revocations)\b/i.test(fs.readFileSync(f, 'utf8')));
    expect(offending).toEqual([]);
  });
});
