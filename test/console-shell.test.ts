import type { Browser } from 'playwright-core';
import { Auth } from '../api/http/auth';
import { startApiOnly } from './helpers/api-only';
import { launchChromium, openConsole, saveScreenshot, seriousViolations } from './helpers/browser';
import { openTestDatabase, type TestDatabase } from './helpers/database';
import { expectProblem } from './helpers/problems';
import { api, useStack } from './helpers/stack';

/**
 * The web console's shell (issue 16): served by the API under /console/ with its own CSP, sign-in with a demo
 * identity (development) or a pasted token, the caller from GET /api/me, menus by role, zh-CN by default with
 * an English switch — in Debian's Chromium against the real stack.
 */
const { stack, tokens } = useStack();
let browser: Browser;
beforeAll(async () => {
  browser = await launchChromium();
}, 60_000);
afterAll(() => browser?.close());

describe('serving the console', () => {
  test('/console/ is the app with a CSP of its own; deep links are the app too; assets are immutable', async () => {
    const res = await fetch(`${stack.url}/console/cases/QG-20261207-0001`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/text\/html/);
    const csp = res.headers.get('content-security-policy')!;
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("connect-src 'self'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).not.toMatch(/script-src[^;]*unsafe/);
    const html = await res.text();
    const asset = /src="(\/console\/assets\/[^"]+\.js)"/.exec(html)![1]!;
    const js = await fetch(`${stack.url}${asset}`);
    expect(js.status).toBe(200);
    expect(js.headers.get('cache-control')).toMatch(/immutable/);
    expect((await fetch(`${stack.url}/console/assets/nope.js`)).status).toBe(404);
    const bare = await fetch(`${stack.url}/console`, { redirect: 'manual' });
    expect(bare.status).toBe(301);
    expect(bare.headers.get('location')).toBe('/console/');
  });

  test('GET /api/me names the caller and their scope from the token; no token is 401', async () => {
    const staff = await api(stack, 'GET', '/api/me', { token: tokens.staff });
    expect(staff.status).toBe(200);
    expect(staff.body).toMatchObject({ role: 'staff', station: { id: 'qianggen', nameZh: '前根社区服务站' }, subdistrict: { id: 'xinjiekou' } });
    expect(Date.parse(staff.body.expiresAt)).toBeGreaterThan(Date.now());
    const housing = await api(stack, 'GET', '/api/me', { token: tokens.housing });
    expect(housing.body).toMatchObject({ role: 'department', department: { id: 'housing', nameZh: '住房和城乡建设' } });
    expect(housing.body.station).toBeUndefined();
    expectProblem(await api(stack, 'GET', '/api/me'), 401);
  });

  test('demo identities: one per station, department and subdistrict, and an admin, each with a working token', async () => {
    const res = await api(stack, 'GET', '/console/demo-identities');
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('no-store');
    const roles = res.body.items.map((i: { role: string }) => i.role);
    expect(roles.filter((r: string) => r === 'department')).toHaveLength(4);
    expect(roles).toEqual(expect.arrayContaining(['staff', 'department', 'supervisor', 'admin']));
    for (const item of res.body.items) expect((await api(stack, 'GET', '/api/me', { token: item.token })).body.role).toBe(item.role);
  });
});

describe('in production', () => {
  let database: TestDatabase;
  let production: Awaited<ReturnType<typeof startApiOnly>>;
  beforeAll(async () => {
    database = await openTestDatabase();
    production = await startApiOnly(database, {}, { NODE_ENV: 'production' });
  });
  afterAll(async () => {
    await production?.stop();
    await database?.drop();
  });

  test('there are no demo identities: 404 problem, and the sign-in page offers the token field only', async () => {
    expectProblem(await api(production, 'GET', '/console/demo-identities'), 404);
    const { page, context } = await openConsole(browser, production.url, undefined);
    await page.getByRole('heading', { name: /使用令牌登录/ }).waitFor();
    expect(await page.getByText('演示身份').count()).toBe(0);
    await context.close();
  });
});

describe('signing in, in Chinese and English', () => {
  test('a demo identity signs in; the shell is Chinese with the station named; English switches every label', async () => {
    const { page, context, errors } = await openConsole(browser, stack.url, undefined);
    await page.getByRole('heading', { name: /登录/ }).first().waitFor();
    expect(await seriousViolations(page)).toEqual([]);
    await saveScreenshot(page, 'sign-in');
    await page.getByRole('button', { name: '以此身份登录 前根社区服务站 全科社工' }).click();
    await page.getByTestId('identity').getByText('服务站社工 · 前根社区服务站').waitFor();
    await page.getByRole('menuitem', { name: /受理登记/ }).waitFor();
    expect(await page.getByText('所有时间均为北京时间').isVisible()).toBe(true);
    expect(await seriousViolations(page)).toEqual([]);

    await page.getByRole('combobox', { name: '语言' }).click();
    await page.getByTitle('English').click();
    await page.getByRole('menuitem', { name: /New case/ }).waitFor();
    await page.getByText('All times are Beijing time').waitFor();
    expect(await page.getByTestId('identity').textContent()).toBe('Station staff · Qianggen Community Service Station');
    expect(await page.getByText('受理登记').count()).toBe(0);

    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('heading', { name: /Sign in with a token/ }).waitFor();
    expect(errors).toEqual([]);
    await context.close();
  });

  test('a pasted token signs in; a bad one is refused beside the field, and the menu follows the role', async () => {
    const { page, context } = await openConsole(browser, stack.url, undefined, { language: 'en' });
    const field = page.getByLabel('Access token');
    await field.fill('not-a-token');
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await page.getByRole('alert').getByText('The token is invalid or expired').waitFor();
    await field.fill(tokens.housing);
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await page.getByTestId('identity').getByText('Department · Housing and Construction').waitFor();
    expect(await page.getByRole('menuitem', { name: /New case/ }).count()).toBe(0);
    await page.getByRole('menuitem', { name: /Whistles/ }).waitFor();
    await context.close();
  });

  test('a token the API refuses (here: signed with another secret) signs the user out to the sign-in page, not a blank page', async () => {
    const forged = await new Auth('another-secret-that-is-long-enough-for-hs256', 'stationflow', '1h').sign({ sub: 'x', role: 'admin' });
    const { page, context, errors } = await openConsole(browser, stack.url, forged, { language: 'en' });
    await page.getByRole('heading', { name: /Sign in with a token/ }).waitFor();
    expect(await page.evaluate(() => sessionStorage.getItem('stationflow.token'))).toBeNull();
    expect(errors.filter((e) => !/401/.test(e))).toEqual([]);
    await context.close();
  });
});
