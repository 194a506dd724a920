import type { Claims } from '../api/http/auth';
import { demo } from '../db/seed';
import { departments, serviceItems, stations, subdistricts } from '../db/schema';
import { startApiOnly } from './helpers/api-only';
import { openTestDatabase, type TestDatabase } from './helpers/database';
import { expectProblem } from './helpers/problems';
import { api } from './helpers/stack';

/**
 * Issue 16, item 7: the master data a client needs to fill in a request — GET /api/services (the catalogue, by
 * category, searchable), GET /api/stations, GET /api/departments — through the real HTTP API on a real database,
 * with every role in and out of its scope, and hostile search text.
 *
 * Fixtures beside the demo data: a second station in the demo subdistrict (xinjie-north), a second subdistrict
 * (other-sd) with its station and department, and a withdrawn catalogue item.
 */

let database: TestDatabase;
let server: Awaited<ReturnType<typeof startApiOnly>>;
const tokens = {} as Record<
  'staff' | 'staffElsewhere' | 'staffGhost' | 'housing' | 'otherDept' | 'supervisor' | 'otherSupervisor' | 'admin' | 'partner',
  string
>;

const retired = { code: 'coal-heating-subsidy', category: 'government' as const, name: 'Coal-to-electric heating subsidy', nameZh: '煤改电取暖补贴', handlingMode: 'needs-documents' as const, deadlineClass: 'general', active: false };
const allCodes = [...demo.serviceItems.map((i) => i.code), retired.code];
const categoryOrder = ['party-masses', 'government', 'life', 'public'];

interface Item {
  code: string;
  category: string;
  name: string;
  nameZh: string;
  active: boolean;
  deadlineClass: { code: string; resolutionGoal: number; resolutionUnit: string; responseGoal: number | null };
}
const services = async (query = '', token = tokens.staff) => {
  const res = await api(server, 'GET', `/api/services${query}`, { token });
  expect({ query, status: res.status }).toEqual({ query, status: 200 });
  return res.body as { items: Item[]; categories: { code: string; name: string; nameZh: string; count: number }[] };
};
const codes = async (query: string) => (await services(query)).items.map((i) => i.code).sort();
const ids = async (path: string, token: string) => {
  const res = await api(server, 'GET', path, { token });
  expect({ path, status: res.status }).toEqual({ path, status: 200 });
  return (res.body.items as { id: string }[]).map((i) => i.id);
};

beforeAll(async () => {
  database = await openTestDatabase();
  const { db } = database;
  await db.insert(subdistricts).values({ id: 'other-sd', name: 'Other Subdistrict', nameZh: '其他街道' });
  await db.insert(stations).values([
    { id: 'xinjie-north', subdistrictId: 'xinjiekou', name: 'Xinjie North Station', nameZh: '新街北社区服务站', casePrefix: 'XN' },
    { id: 'elsewhere', subdistrictId: 'other-sd', name: 'Elsewhere Station', nameZh: '别处服务站', casePrefix: 'EW' },
  ]);
  await db.insert(departments).values({ id: 'other-dept', subdistrictId: 'other-sd', name: 'Other Department', nameZh: '其他部门' });
  await db.insert(serviceItems).values(retired);
  server = await startApiOnly(database);
  const sign = (sub: string, claims: Partial<Claims> & Pick<Claims, 'role'>) => server.auth.sign({ sub, ...claims });
  Object.assign(tokens, {
    staff: await sign('wang', { role: 'staff', station: 'qianggen' }),
    staffElsewhere: await sign('zhao', { role: 'staff', station: 'elsewhere' }),
    staffGhost: await sign('ghost', { role: 'staff', station: 'no-such-station' }),
    housing: await sign('housing-duty', { role: 'department', department: 'housing' }),
    otherDept: await sign('other-duty', { role: 'department', department: 'other-dept' }),
    supervisor: await sign('chen', { role: 'supervisor', subdistrict: 'xinjiekou' }),
    otherSupervisor: await sign('sun', { role: 'supervisor', subdistrict: 'other-sd' }),
    admin: await sign('root', { role: 'admin' }),
    partner: await sign('partner-anju', { role: 'partner', partner: 'anju-repair' }),
  });
});
afterAll(async () => {
  await server?.stop();
  await database?.drop();
});

describe('GET /api/services: the catalogue', () => {
  it('lists every item, by category in display order, each with its deadline class and its commitments', async () => {
    const { items, categories } = await services();
    expect(items.map((i) => i.code).sort()).toEqual([...allCodes].sort());
    // Grouped: the categories in order, codes ascending inside each.
    const sorted = [...items].sort((a, b) => categoryOrder.indexOf(a.category) - categoryOrder.indexOf(b.category) || a.code.localeCompare(b.code));
    expect(items.map((i) => i.code)).toEqual(sorted.map((i) => i.code));
    expect(categories.map((c) => [c.code, c.count])).toEqual(categoryOrder.map((c) => [c, items.filter((i) => i.category === c).length]));
    expect(categories.find((c) => c.code === 'government')).toMatchObject({ nameZh: '政务服务', count: 4 });

    const plumbing = items.find((i) => i.code === 'home-plumbing-repair');
    expect(plumbing).toEqual({
      code: 'home-plumbing-repair',
      category: 'life',
      name: 'Home plumbing repair',
      nameZh: '家庭水管维修',
      handlingMode: 'needs-documents',
      requiredDocuments: [],
      needsHomeVisit: false,
      issuesCertificate: false,
      active: true,
      deadlineClass: { code: 'utilities', name: 'Water, power, gas, heating; extreme weather', nameZh: '水电气热、极端天气', responseGoal: 2, responseUnit: 'hours', resolutionGoal: 24, resolutionUnit: 'hours' },
    });
    expect(items.find((i) => i.code === 'elderly-care-subsidy')).toMatchObject({ requiredDocuments: ['ID card', 'household register', 'bank card'], deadlineClass: { code: 'complex', resolutionGoal: 15, resolutionUnit: 'working-days' } });
    expect(items.find((i) => i.code === retired.code)).toMatchObject({ active: false });
  });

  it('filters by category and by whether a case may be opened for the item', async () => {
    for (const category of categoryOrder) {
      const { items, categories } = await services(`?category=${category}`);
      expect(items.length).toBeGreaterThan(0);
      expect(items.every((i) => i.category === category)).toBe(true);
      // The four categories are always named; only the asked one has items.
      expect(categories.map((c) => c.count)).toEqual(categoryOrder.map((c) => (c === category ? items.length : 0)));
    }
    expect(await codes('?category=party-masses')).toEqual(['party-membership-transfer']);
    expect(await codes('?active=true')).toEqual(demo.serviceItems.map((i) => i.code).sort());
    expect(await codes('?active=false')).toEqual([retired.code]);
    expect(await codes('?active=&category=')).toEqual([...allCodes].sort());
    expectProblem(await api(server, 'GET', '/api/services?category=housing', { token: tokens.staff }), 400, { pointers: ['#/category'], type: 'validation-failed' });
    expectProblem(await api(server, 'GET', '/api/services?active=yes', { token: tokens.staff }), 400, { pointers: ['#/active'] });
    expectProblem(await api(server, 'GET', '/api/services?serviceCode=x', { token: tokens.staff }), 400, { detail: /unknown field "serviceCode"/ });
  });

  it('searches code, English and Chinese names, case-insensitively, full-width typed as ASCII', async () => {
    const q = (text: string, more = '') => codes(`?q=${encodeURIComponent(text)}${more}`);
    expect(await q('水管')).toEqual(['home-plumbing-repair']);
    expect(await q('下水道')).toEqual(['blocked-manhole']);
    expect(await q('补贴')).toEqual(['coal-heating-subsidy', 'elderly-care-subsidy']);
    expect(await q('补贴', '&active=true')).toEqual(['elderly-care-subsidy']);
    expect(await q('PLUMBING')).toEqual(['home-plumbing-repair']);
    expect(await q('dibao')).toEqual(['minimum-living-allowance']);
    expect(await q('garbage-sorting')).toEqual(['garbage-sorting-complaint']);
    expect(await q('legal')).toEqual(['legal-consultation']);
    expect(await q('ＰＬＵＭＢＩＮＧ')).toEqual(['home-plumbing-repair']);
    expect(await q('  水管  ')).toEqual(['home-plumbing-repair']);
    // With a category: 水 is in the plumbing and the manhole items (life) and in no public one.
    expect(await q('水', '&category=life')).toEqual(['blocked-manhole', 'home-plumbing-repair']);
    expect(await q('水', '&category=public')).toEqual([]);
    expect(await q('   ')).toEqual([...allCodes].sort());
    expect(await q('no such service anywhere')).toEqual([]);
  });

  it('hostile search text: control characters and overlong text are 400 naming q; the rest is text that matches nothing', async () => {
    const refused = ['\u0000', 'water\u0000', '\u0007', 'a\tb', 'line\nbreak', '\u007f', '\u0085', 'x'.repeat(10_000), 'x'.repeat(101)];
    const harmless = [`' OR '1'='1`, `'; DROP TABLE service_items; --`, '%', '_', '\\', '%%__', '🚰', '💧🔧', 'ｘｙｚ１２３', '\u202eriaper', '<script>alert(1)</script>', '${process.env}'];
    const ask = (text: string) => api(server, 'GET', `/api/services?q=${encodeURIComponent(text)}`, { token: tokens.staff });
    const [bad, good] = await Promise.all([Promise.all(refused.map(ask)), Promise.all(harmless.map(ask))]);
    bad.forEach((res, i) => {
      expectProblem(res, 400, { pointers: ['#/q'], type: 'validation-failed' });
      // The problem names the character or the limit, never echoes the text.
      expect({ i, echoed: refused[i]!.length > 3 && JSON.stringify(res.body).includes(refused[i]!) }).toEqual({ i, echoed: false });
    });
    expect(bad[7]!.body.detail).toMatch(/at most 100 characters/);
    expect(bad[0]!.body.detail).toMatch(/U\+0000/);
    good.forEach((res, i) => expect({ text: harmless[i], status: res.status, items: res.body.items }).toEqual({ text: harmless[i], status: 200, items: [] }));
    // Two values of q are not one search.
    expectProblem(await api(server, 'GET', '/api/services?q=a&q=b', { token: tokens.staff }), 400, { pointers: ['#/q'] });
    // Nothing was changed by any of it.
    expect((await codes('')).length).toBe(allCodes.length);
  });

  it('every role reads it; no token is 401', async () => {
    for (const token of [tokens.staff, tokens.housing, tokens.supervisor, tokens.admin, tokens.partner, tokens.staffElsewhere]) {
      expect((await services('', token)).items.length).toBe(allCodes.length);
    }
    expectProblem(await api(server, 'GET', '/api/services'), 401, { type: 'unauthorized' });
  });
});

describe('GET /api/stations and GET /api/departments: scoped to the token', () => {
  it("staff: their own station; departments and supervisors: their subdistrict's; admins: all; partners: 403", async () => {
    const cases: [keyof typeof tokens, string[]][] = [
      ['staff', ['qianggen']],
      ['staffElsewhere', ['elsewhere']],
      ['staffGhost', []],
      ['housing', ['qianggen', 'xinjie-north']],
      ['otherDept', ['elsewhere']],
      ['supervisor', ['qianggen', 'xinjie-north']],
      ['otherSupervisor', ['elsewhere']],
      ['admin', ['elsewhere', 'qianggen', 'xinjie-north']],
    ];
    const seen = await Promise.all(cases.map(async ([who]) => [who, await ids('/api/stations', tokens[who])]));
    expect(seen).toEqual(cases);
    expectProblem(await api(server, 'GET', '/api/stations', { token: tokens.partner }), 403, { type: 'forbidden-role' });
    expectProblem(await api(server, 'GET', '/api/stations'), 401);

    const res = await api(server, 'GET', '/api/stations', { token: tokens.staff });
    expect(res.body.items).toEqual([
      { id: 'qianggen', name: 'Qianggen Community Service Station', nameZh: '前根社区服务站', casePrefix: 'QG', subdistrict: { id: 'xinjiekou', name: 'Xinjiekou Subdistrict', nameZh: '新街口街道' } },
    ]);
  });

  it("staff, departments and supervisors: their subdistrict's departments (the ones a whistle may call); admins: all; partners: 403", async () => {
    const demoDepartments = demo.departments.map((d) => d.id).sort();
    const cases: [keyof typeof tokens, string[]][] = [
      ['staff', demoDepartments],
      ['staffElsewhere', ['other-dept']],
      ['staffGhost', []],
      ['housing', demoDepartments],
      ['otherDept', ['other-dept']],
      ['supervisor', demoDepartments],
      ['otherSupervisor', ['other-dept']],
      ['admin', [...demoDepartments, 'other-dept'].sort()],
    ];
    const seen = await Promise.all(cases.map(async ([who]) => [who, await ids('/api/departments', tokens[who])]));
    expect(seen).toEqual(cases);
    expectProblem(await api(server, 'GET', '/api/departments', { token: tokens.partner }), 403, { type: 'forbidden-role' });

    const res = await api(server, 'GET', '/api/departments', { token: tokens.housing });
    expect(res.body.items[0]).toEqual({ id: 'civil-affairs', name: 'Civil Affairs', nameZh: '民政', subdistrict: { id: 'xinjiekou', name: 'Xinjiekou Subdistrict', nameZh: '新街口街道' } });
    // The department's own assessment is still its own route.
    expect((await api(server, 'GET', '/api/departments/housing/assessment?from=2026-01-01&to=2026-02-01', { token: tokens.housing })).status).toBe(200);
  });

  it('take no parameters: any is a 400 naming it', async () => {
    for (const path of ['/api/stations?subdistrictId=other-sd', '/api/departments?q=%00']) {
      expectProblem(await api(server, 'GET', path, { token: tokens.admin }), 400, { type: 'validation-failed' });
    }
  });
});

describe('/openapi.json', () => {
  it('documents the three lists with stable operationIds, their schemas and who may call them', async () => {
    const res = await api(server, 'GET', '/openapi.json');
    const { paths, components } = res.body;
    expect(paths['/api/services'].get.operationId).toBe('listServices');
    expect(paths['/api/stations'].get.operationId).toBe('listStations');
    expect(paths['/api/departments'].get.operationId).toBe('listDepartments');
    expect(paths['/api/services'].get.parameters.map((p: { name: string }) => p.name).sort()).toEqual(['active', 'category', 'q']);
    expect(components.schemas.ServiceItem.properties.category.enum).toEqual(categoryOrder);
    expect(paths['/api/stations'].get['x-authorization'].roles).toEqual({
      staff: { scope: 'own-station', outside: 'omitted' },
      department: { scope: 'own-subdistrict', outside: 'omitted' },
      supervisor: { scope: 'own-subdistrict', outside: 'omitted' },
      admin: { scope: 'any' },
    });
    expect(Object.keys(paths['/api/services'].get['x-authorization'].roles).sort()).toEqual(['admin', 'department', 'partner', 'staff', 'supervisor']);
  });
});
