import crypto from 'node:crypto';
import { eq, inArray } from 'drizzle-orm';
import { deadlineClasses, notifications, stations, subdistricts } from '../db/schema';
import { expectProblem } from './helpers/problems';
import { api, eventually, useStack } from './helpers/stack';

/**
 * The supervisor inbox (GET /api/supervision/alerts, acknowledgement of one or many): the notices the
 * workflows address to a subdistrict's supervisors, seen by that subdistrict's supervisors only (admins
 * see every subdistrict's), newest first and paged, acknowledged once. Real notices come from real case
 * workflows whose deadlines breach within seconds; paging and scope use rows written into the outbox.
 */

interface Alert {
  id: string;
  kind: string;
  caseId: string;
  stationId: string;
  stage: string;
  subdistrictId: string;
  createdAt: string;
  data: Record<string, unknown>;
  acknowledgedAt: string | null;
  acknowledgedBy: string | null;
  links: { case: string };
}

const supervisorKinds = ['commitment.breached', 'escalation.proposed', 'partner.unreachable', 'whistle.check-in-missed', 'whistle.report-overdue', 'whistle.disputed'];

describe('the supervisor inbox', () => {
  const { stack, tokens } = useStack({}, { timeout: 120_000 });
  /** Supervisors: chen (xinjiekou, the demo token), li (xinjiekou), zhou (other-sd). */
  let li: string;
  let zhou: string;
  /** Staff of the other subdistrict's station. */
  let elsewhereStaff: string;
  /** Real cases: A at qianggen and B at elsewhere breach at once; C at qianggen does not (rows are written for it). */
  let caseA: string;
  let caseB: string;
  let caseC: string;
  /** The rows written for case C, addressed to supervisor:xinjiekou, newest first as the inbox orders them. */
  let written: { id: string; createdAt: Date; kind: string }[];
  /** Rows on case C that are not xinjiekou's alerts: one to another subdistrict's supervisors, one to staff. */
  let otherSubdistrictAlert: string;
  let staffNotice: string;

  const list = (query: string, token = tokens.supervisor) => api(stack, 'GET', `/api/supervision/alerts${query}`, { token });
  const acknowledge = (id: string, token = tokens.supervisor, body?: unknown) =>
    api(stack, 'POST', `/api/supervision/alerts/${id}/acknowledgement`, { token, body });
  const acknowledgeMany = (body: unknown, token = tokens.supervisor) => api(stack, 'POST', '/api/supervision/alerts/acknowledgement', { token, body });
  const rowOf = async (id: string) => (await stack.database.db.select().from(notifications).where(eq(notifications.notificationId, id)))[0]!;

  /** Every page of a listing, following nextCursor; the pages' items and unread counts. */
  async function allPages(query: string, limit: number, token = tokens.supervisor) {
    const pages: { items: Alert[]; unread: number }[] = [];
    let cursor: string | undefined;
    do {
      const res = await list(`?${query}&limit=${limit}${cursor ? `&cursor=${cursor}` : ''}`, token);
      expect(res.status).toBe(200);
      pages.push({ items: res.body.items, unread: res.body.unread });
      cursor = res.body.nextCursor;
      if (pages.length > 100) throw new Error('the listing does not end');
    } while (cursor);
    return pages;
  }

  let residents = 0;
  async function open(token: string, body: Record<string, unknown>): Promise<string> {
    residents += 1;
    const res = await api(stack, 'POST', '/api/cases', {
      token,
      body: { serviceCode: 'legal-consultation', demand: 'Lease question', resident: { name: `Inbox Resident ${residents}`, phone: `1370001${String(residents).padStart(4, '0')}` }, ...body },
    });
    expect({ status: res.status, body: res.body }).toMatchObject({ status: 201 });
    return res.body.id;
  }

  /** The case's alerts as chen (or `token`) lists them, once there are `n`. */
  const alertsOf = (caseId: string, n: number, token = tokens.supervisor) =>
    eventually(
      async () => {
        const res = await list(`?state=all&caseId=${caseId}`, token);
        return res.status === 200 && res.body.items.length >= n && (res.body as { items: Alert[]; unread: number });
      },
      40_000,
      `${n} alerts of ${caseId}`,
    );

  beforeAll(async () => {
    const { db } = stack.database;
    [li, zhou] = await Promise.all([
      stack.token({ role: 'supervisor', subdistrict: 'xinjiekou', sub: 'li' }),
      stack.token({ role: 'supervisor', subdistrict: 'other-sd', sub: 'zhou' }),
    ]);
    await db.insert(subdistricts).values({ id: 'other-sd', name: 'Other', nameZh: '其他' });
    await db.insert(stations).values({ id: 'elsewhere', subdistrictId: 'other-sd', name: 'Elsewhere', nameZh: '别处', casePrefix: 'EW' });
    elsewhereStaff = await stack.token({ role: 'staff', station: 'elsewhere', sub: 'zhao' });
    // Response due 3 s and resolution 6 s after opening, escalated on breach: three supervisor notices.
    await db.insert(deadlineClasses).values({
      code: 'test-breaching',
      name: 'Test: breaches at once',
      nameZh: '测试',
      responseGoal: 0.05,
      responseUnit: 'minutes',
      resolutionGoal: 0.1,
      resolutionUnit: 'minutes',
      escalateOnBreach: true,
    });
    caseA = await open(tokens.staff, { deadlineClass: 'test-breaching' });
    caseB = await open(elsewhereStaff, { deadlineClass: 'test-breaching' });
    caseC = await open(tokens.staff, {});
    const accepted = await api(stack, 'POST', `/api/cases/${caseC}/acceptance`, { token: tokens.staff, body: { decision: 'accept', documents: [] } });
    expect(accepted.status).toBe(200);

    // 45 alerts on case C, four to a second (ties: the notification id decides), every supervisor kind.
    const base = Date.parse('2026-06-01T00:00:00.000Z');
    const rows = Array.from({ length: 45 }, (_, i) => ({
      key: `inbox-test-${i}`,
      caseId: caseC,
      recipientKind: 'supervisor' as const,
      recipientId: 'xinjiekou',
      kind: supervisorKinds[i % supervisorKinds.length]!,
      data: { n: i },
      createdAt: new Date(base + Math.floor(i / 4) * 1000),
    }));
    const inserted = await db.insert(notifications).values(rows).returning();
    written = inserted
      .map((r) => ({ id: r.notificationId, createdAt: r.createdAt, kind: r.kind }))
      .sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime() || (a.id < b.id ? 1 : -1));
    const [other, toStaff] = await db
      .insert(notifications)
      .values([
        { key: 'inbox-test-other', caseId: caseC, recipientKind: 'supervisor', recipientId: 'other-sd', kind: 'commitment.breached', createdAt: new Date(base) },
        { key: 'inbox-test-staff', caseId: caseC, recipientKind: 'staff', recipientId: 'wang', kind: 'commitment.breached', createdAt: new Date(base) },
      ])
      .returning();
    otherSubdistrictAlert = other!.notificationId;
    staffNotice = toStaff!.notificationId;
  }, 120_000);

  describe('listing', () => {
    it("real breaches reach the case's subdistrict's supervisors, with the case's station and stage", async () => {
      const a = await alertsOf(caseA, 3);
      expect(a.items.map((i) => i.kind).sort()).toEqual(['commitment.breached', 'commitment.breached', 'escalation.proposed']);
      expect(a.items.filter((i) => i.kind === 'commitment.breached').map((i) => i.data.clock).sort()).toEqual(['resolution', 'response']);
      for (const item of a.items) {
        expect(item).toEqual({
          id: expect.stringMatching(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/),
          kind: item.kind,
          caseId: caseA,
          stationId: 'qianggen',
          stage: 'accept',
          subdistrictId: 'xinjiekou',
          createdAt: expect.any(String),
          data: expect.any(Object),
          acknowledgedAt: null,
          acknowledgedBy: null,
          links: { case: `/api/cases/${caseA}` },
        });
      }
      const times = a.items.map((i) => i.createdAt);
      expect(times).toEqual([...times].sort().reverse());
      expect(a.unread).toBe(3);
      // The same alerts are the outbox's rows to supervisor:xinjiekou.
      const rows = await stack.database.db.select().from(notifications).where(eq(notifications.caseId, caseA));
      expect(rows.filter((r) => r.recipientKind === 'supervisor').map((r) => `${r.recipientId}:${r.notificationId}`).sort()).toEqual(
        a.items.map((i) => `xinjiekou:${i.id}`).sort(),
      );

      // Case C's stage comes from the read model's case row.
      const c = await list(`?state=all&caseId=${caseC}&limit=1`);
      expect(c.body.items[0]).toMatchObject({ caseId: caseC, stationId: 'qianggen', stage: 'diagnose' });
    });

    it("another subdistrict's supervisor sees none of them, and only its own", async () => {
      const b = await alertsOf(caseB, 3, zhou);
      expect(b.items.every((i) => i.subdistrictId === 'other-sd' && i.stationId === 'elsewhere')).toBe(true);

      const ofA = await list(`?state=all&caseId=${caseA}`, zhou);
      expect({ status: ofA.status, items: ofA.body.items, unread: ofA.body.unread }).toEqual({ status: 200, items: [], unread: 0 });
      const zhouAll = (await allPages('state=all', 100, zhou)).flatMap((p) => p.items);
      // Its own: case B's three and the one row on case C addressed to other-sd.
      expect(zhouAll.map((i) => i.id).sort()).toEqual([...b.items.map((i) => i.id), otherSubdistrictAlert].sort());

      const chenAll = (await allPages('state=all', 100)).flatMap((p) => p.items);
      expect(chenAll.length).toBe(3 + 45);
      expect(chenAll.filter((i) => i.caseId === caseB || i.subdistrictId !== 'xinjiekou')).toEqual([]);
      expect(chenAll.map((i) => i.id)).not.toContain(otherSubdistrictAlert);
      expect(chenAll.map((i) => i.id)).not.toContain(staffNotice);

      // Another station's filter gives a supervisor nothing, whoever's station it is.
      const elsewhere = await list(`?state=all&stationId=elsewhere`);
      expect({ status: elsewhere.status, items: elsewhere.body.items, unread: elsewhere.body.unread }).toEqual({ status: 200, items: [], unread: 0 });
    });

    it('admins see every subdistrict, or the one they name; a supervisor names only its own', async () => {
      await alertsOf(caseB, 3, zhou);
      const all = (await allPages('state=all', 100, tokens.admin)).flatMap((p) => p.items);
      expect(new Set(all.map((i) => i.subdistrictId))).toEqual(new Set(['xinjiekou', 'other-sd']));
      expect(all.length).toBe(3 + 3 + 45 + 1);

      const other = (await allPages('state=all&subdistrictId=other-sd', 100, tokens.admin)).flatMap((p) => p.items);
      expect(other.length).toBe(4);
      expect(other.every((i) => i.subdistrictId === 'other-sd')).toBe(true);

      const own = await list('?state=all&subdistrictId=xinjiekou&limit=100');
      expect(own.status).toBe(200);
      expect(own.body.items.length).toBe(48);
      expectProblem(await list('?subdistrictId=other-sd'), 403, /subdistrict other-sd/, undefined, 'forbidden-scope');
    });

    it('pages through every alert once, newest first (ties by id), with the unread count on each page', async () => {
      const pages = await allPages(`state=all&caseId=${caseC}`, 7);
      expect(pages.map((p) => p.items.length)).toEqual([7, 7, 7, 7, 7, 7, 3]);
      expect(pages.map((p) => p.unread)).toEqual(pages.map(() => 45));
      const ids = pages.flatMap((p) => p.items.map((i) => i.id));
      expect(ids).toEqual(written.map((w) => w.id));
      expect(new Set(ids).size).toBe(45);

      // With a filter: the same order, only that kind.
      const disputed = (await allPages(`state=all&caseId=${caseC}&kind=whistle.disputed`, 2)).flatMap((p) => p.items);
      expect(disputed.map((i) => i.id)).toEqual(written.filter((w) => w.kind === 'whistle.disputed').map((w) => w.id));

      // The default state is unread; a station filter selects by the case's station.
      const unreadAtStation = (await allPages(`caseId=${caseC}&stationId=qianggen`, 20)).flatMap((p) => p.items);
      expect(unreadAtStation.length).toBe(45);
      const elsewhere = await list(`?state=all&caseId=${caseC}&stationId=elsewhere`);
      expect(elsewhere.body).toEqual({ items: [], unread: 0 });
    });
  });

  describe('acknowledging', () => {
    it('acknowledges an alert once: a second acknowledgement keeps the first', async () => {
      const target = written[0]!.id;
      const first = await acknowledge(target);
      expect(first.status).toBe(200);
      expect(first.body).toMatchObject({ id: target, caseId: caseC, acknowledgedBy: 'chen', links: { case: `/api/cases/${caseC}` } });
      expect(Date.parse(first.body.acknowledgedAt)).not.toBeNaN();

      const again = await acknowledge(target, li, {});
      expect(again.status).toBe(200);
      expect(again.body).toEqual(first.body);
      const row = await rowOf(target);
      expect({ at: row.acknowledgedAt?.toISOString(), by: row.acknowledgedBy }).toEqual({ at: first.body.acknowledgedAt, by: 'chen' });

      // It has left the unread list and is in the acknowledged one.
      const unread = (await allPages(`caseId=${caseC}`, 100)).flatMap((p) => p.items);
      expect(unread.map((i) => i.id)).not.toContain(target);
      expect(unread.length).toBe(44);
      const acknowledged = await list(`?state=acknowledged&caseId=${caseC}`);
      expect(acknowledged.body.items.map((i: Alert) => i.id)).toEqual([target]);
      expect(acknowledged.body.unread).toBe(44);
    });

    it('a real alert is acknowledged and the unread count drops', async () => {
      const a = await alertsOf(caseA, 3);
      const breach = a.items.find((i) => i.kind === 'commitment.breached')!;
      const res = await acknowledge(breach.id, li);
      expect(res.body).toMatchObject({ id: breach.id, kind: 'commitment.breached', caseId: caseA, acknowledgedBy: 'li' });
      const after = await list(`?caseId=${caseA}`);
      expect(after.body.unread).toBe(2);
      expect(after.body.items.map((i: Alert) => i.id)).not.toContain(breach.id);
    });

    it('two acknowledgements at once make one, the same for both', async () => {
      const targets = written.slice(1, 6).map((w) => w.id);
      const answers = await Promise.all(targets.flatMap((id) => [acknowledge(id), acknowledge(id, li)]));
      expect(answers.map((r) => r.status)).toEqual(answers.map(() => 200));
      for (const [i, id] of targets.entries()) {
        const [one, two] = [answers[2 * i]!.body, answers[2 * i + 1]!.body];
        expect(one).toEqual(two);
        expect(['chen', 'li']).toContain(one.acknowledgedBy);
        const row = await rowOf(id);
        expect({ at: row.acknowledgedAt?.toISOString(), by: row.acknowledgedBy }).toEqual({ at: one.acknowledgedAt, by: one.acknowledgedBy });
      }
    });

    it("another subdistrict's alert is not found, exactly like an unknown id, and stays unread", async () => {
      const a = await alertsOf(caseA, 3);
      const target = a.items.find((i) => i.acknowledgedAt === null)!.id;
      const outside = await acknowledge(target, zhou);
      expectProblem(outside, 404, new RegExp(`Alert ${target} not found`), undefined, 'alert-not-found');
      const unknown = crypto.randomUUID();
      const missing = await acknowledge(unknown, zhou);
      expectProblem(missing, 404, undefined, undefined, 'alert-not-found');
      expect(missing.body.detail.replace(unknown, '<id>')).toBe(outside.body.detail.replace(target, '<id>'));
      expect((await rowOf(target)).acknowledgedAt).toBeNull();
      // Neither is a notice to staff an alert.
      expectProblem(await acknowledge(staffNotice), 404, undefined, undefined, 'alert-not-found');
      expect((await rowOf(staffNotice)).acknowledgedAt).toBeNull();
    });

    it("admins acknowledge any subdistrict's alert; an upper-case id is the same alert", async () => {
      const b = await alertsOf(caseB, 3, zhou);
      const res = await acknowledge(b.items[0]!.id.toUpperCase(), tokens.admin);
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ id: b.items[0]!.id, subdistrictId: 'other-sd', acknowledgedBy: 'root' });
      expect((await list(`?caseId=${caseB}`, zhou)).body.unread).toBe(2);
    });

    it('acknowledges many in one request: acknowledged, acknowledged before, not found', async () => {
      const fresh = written.slice(10, 13).map((w) => w.id);
      const before = written[0]!.id; // acknowledged by chen above
      const unknown = crypto.randomUUID();
      const res = await acknowledgeMany(
        { ids: [...fresh, before, otherSubdistrictAlert, staffNotice, unknown, fresh[0]!.toUpperCase()] },
        li,
      );
      expect({ status: res.status, body: res.body }).toEqual({
        status: 200,
        body: { acknowledged: 3, alreadyAcknowledged: 1, notFound: [otherSubdistrictAlert, staffNotice, unknown] },
      });
      const rows = await stack.database.db.select().from(notifications).where(inArray(notifications.notificationId, [...fresh, before, otherSubdistrictAlert, staffNotice]));
      const by = Object.fromEntries(rows.map((r) => [r.notificationId, r.acknowledgedBy]));
      expect(by).toEqual({
        ...Object.fromEntries(fresh.map((id) => [id, 'li'])),
        [before]: 'chen',
        [otherSubdistrictAlert]: null,
        [staffNotice]: null,
      });
      expect(new Set(rows.filter((r) => fresh.includes(r.notificationId)).map((r) => r.acknowledgedAt?.toISOString())).size).toBe(1);

      // Nothing of xinjiekou's is acknowledged by other-sd's supervisor.
      const outside = await acknowledgeMany({ ids: written.slice(13, 15).map((w) => w.id) }, zhou);
      expect(outside.body).toEqual({ acknowledged: 0, alreadyAcknowledged: 0, notFound: written.slice(13, 15).map((w) => w.id) });
      expect((await rowOf(written[13]!.id)).acknowledgedAt).toBeNull();
    });

    it('two overlapping batches at once acknowledge each alert once', async () => {
      const one = written.slice(15, 30).map((w) => w.id);
      const two = written.slice(22, 40).map((w) => w.id);
      const [a, b] = await Promise.all([acknowledgeMany({ ids: one }), acknowledgeMany({ ids: two }, li)]);
      expect([a.status, b.status]).toEqual([200, 200]);
      expect(a.body.acknowledged + b.body.acknowledged).toBe(25);
      expect(a.body.alreadyAcknowledged + b.body.alreadyAcknowledged).toBe(8);
      expect([...a.body.notFound, ...b.body.notFound]).toEqual([]);
      const rows = await stack.database.db.select().from(notifications).where(inArray(notifications.notificationId, [...one, ...two]));
      const chen = rows.filter((r) => r.acknowledgedBy === 'chen').length;
      const liCount = rows.filter((r) => r.acknowledgedBy === 'li').length;
      expect({ chen, li: liCount, rows: rows.length }).toEqual({ chen: a.body.acknowledged, li: b.body.acknowledged, rows: 25 });

      // 45 written: 1 + 5 + 3 + 25 acknowledged.
      expect((await list(`?caseId=${caseC}`)).body.unread).toBe(45 - 34);
    });
  });

  describe('refusals', () => {
    it('staff, department and partner tokens are refused (403); no token is 401', async () => {
      const id = written[44]!.id;
      for (const token of [tokens.staff, tokens.housing, tokens.partner, elsewhereStaff]) {
        expectProblem(await list('', token), 403, /supervisor or admin/, undefined, 'forbidden-role');
        expectProblem(await acknowledge(id, token), 403, /supervisor or admin/, undefined, 'forbidden-role');
        expectProblem(await acknowledgeMany({ ids: [id] }, token), 403, /supervisor or admin/, undefined, 'forbidden-role');
      }
      expect((await rowOf(id)).acknowledgedAt).toBeNull();
      expectProblem(await api(stack, 'GET', '/api/supervision/alerts'), 401);
    });

    const hostile: [string, string][] = [
      ['NUL', '\u0000'],
      ['BEL', '\u0007'],
      ['C1', '\u0085'],
      ['line feed', 'a\nb'],
      ['huge', 'x'.repeat(5000)],
      ['SQL-ish', "' OR 1=1; drop table notifications; --"],
      ['full-width digits', '１２３４'],
      ['emoji', '🚨👮🏻‍♀️'],
    ];
    const params = ['state', 'kind', 'caseId', 'stationId', 'subdistrictId', 'cursor', 'limit'];

    it.each(params)('hostile text in the query parameter %s → 400 naming it', async (param) => {
      for (const [what, value] of hostile) {
        const res = await list(`?${param}=${encodeURIComponent(value)}`, tokens.admin);
        expect({ what, status: res.status }).toEqual({ what, status: 400 });
        expectProblem(res, 400, undefined, `#/${param}`, 'validation-failed');
      }
    });

    it('unknown, repeated and out-of-range query parameters, and cursors this list did not return → 400', async () => {
      expectProblem(await list('?note=x'), 400, /unknown field "note"/, '#/note', 'validation-failed');
      expectProblem(await list('?state=unread&state=all'), 400, undefined, '#/state');
      expectProblem(await list('?kind=task.assigned'), 400, undefined, '#/kind');
      for (const limit of ['0', '101', '1.5', '-1', '1e9']) expectProblem(await list(`?limit=${limit}`), 400, undefined, '#/limit');
      expectProblem(await list('?cursor[]=x'), 400, undefined, '#/cursor[]');
      const casesPage = await api(stack, 'GET', '/api/cases?limit=1', { token: tokens.admin });
      expect(casesPage.body.nextCursor).toEqual(expect.any(String));
      expectProblem(await list(`?cursor=${casesPage.body.nextCursor}`), 400, /cursor/, '#/cursor', 'validation-failed');
      const forged = Buffer.from("2026-06-01T00:00:00.000Z|' OR 1=1 --").toString('base64url');
      expectProblem(await list(`?cursor=${forged}`), 400, /cursor/, '#/cursor', 'validation-failed');
      // A real cursor still works after all that.
      const page = await list(`?state=all&caseId=${caseC}&limit=2`);
      expect((await list(`?state=all&caseId=${caseC}&limit=2&cursor=${page.body.nextCursor}`)).status).toBe(200);
    });

    it('an alert id that is not a UUID is not found (404), whatever it holds', async () => {
      const values = [
        'not-a-uuid',
        "' OR 1=1 --",
        '🚨',
        '\u0000',
        '１２３４',
        'x'.repeat(5000),
        `${written[44]!.id}\u0000`,
        `${written[44]!.id}'`,
        '00000000-0000-0000-0000-00000000000g',
      ];
      for (const value of values) {
        const res = await acknowledge(encodeURIComponent(value));
        expect({ value: value.slice(0, 50), status: res.status }).toEqual({ value: value.slice(0, 50), status: 404 });
        expectProblem(res, 404, /not an alert id/, undefined, 'alert-not-found');
      }
      expectProblem(await acknowledge('%E0%A4%A'), 400, undefined, undefined, 'malformed-path');
      expect((await rowOf(written[44]!.id)).acknowledgedAt).toBeNull();
    });

    it('bodies: a note (not kept), unknown fields, hostile ids, wrong shapes → 400; not JSON → 400/415', async () => {
      const id = written[44]!.id;
      expectProblem(await acknowledge(id, tokens.supervisor, { note: 'Called the station' }), 400, /unknown field "note"/, '#/note', 'validation-failed');
      expectProblem(await acknowledge(id, tokens.supervisor, { note: 'a\u0000b' }), 400, undefined, '#/note', 'validation-failed');
      expectProblem(await acknowledge(id, tokens.supervisor, []), 400, undefined, undefined, 'validation-failed');
      const malformed = await api(stack, 'POST', `/api/supervision/alerts/${id}/acknowledgement`, {
        token: tokens.supervisor,
        rawBody: '{"note":',
        headers: { 'content-type': 'application/json' },
      });
      expectProblem(malformed, 400, undefined, undefined, 'malformed-json');
      const text = await api(stack, 'POST', '/api/supervision/alerts/acknowledgement', { token: tokens.supervisor, rawBody: 'ids=1', headers: { 'content-type': 'text/plain' } });
      expectProblem(text, 415, undefined, undefined, 'unsupported-media-type');

      for (const [what, value] of hostile) {
        const res = await acknowledgeMany({ ids: [id, value] });
        expect({ what, status: res.status }).toEqual({ what, status: 400 });
        expectProblem(res, 400, undefined, '#/ids/1', 'validation-failed');
      }
      expectProblem(await acknowledgeMany({}), 400, /is required/, '#/ids');
      expectProblem(await acknowledgeMany({ ids: [] }), 400, /at least one/, '#/ids');
      expectProblem(await acknowledgeMany({ ids: Array.from({ length: 201 }, () => crypto.randomUUID()) }), 400, /at most 200/, '#/ids');
      expectProblem(await acknowledgeMany({ ids: id }), 400, undefined, '#/ids');
      expectProblem(await acknowledgeMany({ ids: [42] }), 400, undefined, '#/ids/0');
      expectProblem(await acknowledgeMany({ ids: [id], note: 'x' }), 400, /unknown field "note"/, '#/note');
      expectProblem(await acknowledgeMany({ ids: [id], ['\u0000']: 1 }), 400, undefined, undefined, 'validation-failed');
      expectProblem(await acknowledgeMany({ ids: ['x'.repeat(200_000)] }), 413, undefined, undefined, 'body-too-large');
      // None of it acknowledged anything.
      expect((await rowOf(id)).acknowledgedAt).toBeNull();
      // 200 distinct ids are accepted.
      const max = await acknowledgeMany({ ids: [id, ...Array.from({ length: 199 }, () => crypto.randomUUID())] });
      expect({ status: max.status, acknowledged: max.body.acknowledged, notFound: max.body.notFound?.length }).toEqual({ status: 200, acknowledged: 1, notFound: 199 });
    });
  });

  it('the routes are in the OpenAPI document, with their problems and the supervisor kinds', async () => {
    const doc = (await api(stack, 'GET', '/openapi.json')).body;
    const list = doc.paths['/api/supervision/alerts'].get;
    expect(Object.keys(list.responses)).toEqual(expect.arrayContaining(['200', '400', '401', '403']));
    for (const kind of supervisorKinds) expect(list.description).toContain(kind);
    expect(Object.keys(doc.paths['/api/supervision/alerts/{notificationId}/acknowledgement'].post.responses)).toEqual(
      expect.arrayContaining(['200', '400', '403', '404']),
    );
    expect(Object.keys(doc.paths['/api/supervision/alerts/acknowledgement'].post.responses)).toEqual(expect.arrayContaining(['200', '400', '403']));
    expect(list.parameters.map((p: { name: string }) => p.name).sort()).toEqual(['caseId', 'cursor', 'kind', 'limit', 'state', 'stationId', 'subdistrictId']);
  });
});
