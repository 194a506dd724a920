import type { Browser, Page } from 'playwright-core';
import { deadlineClasses } from '../db/schema';
import { launchChromium, openConsole, saveScreenshot, seriousViolations } from './helpers/browser';
import { timeline } from './helpers/cases';
import { api, eventually, useStack } from './helpers/stack';

/**
 * The supervisor's pages of the web console (issue 16): the morning summary, the stuck list with its filters,
 * reasons and batch urge, and the alerts inbox — in Debian's Chromium against the real stack. A case is made
 * overdue for real (a deadline class whose resolution falls due three seconds after opening), another idle (a
 * class that allows four seconds without a person's action).
 */
const { stack, tokens } = useStack({}, { timeout: 120_000 });
let browser: Browser;
let overdue: string;
let idle: string;

type Reason = { reason: string };
type Item = { caseId: string; reasons: Reason[] };
const stuckNow = async () => (await api(stack, 'GET', '/api/supervision/stuck?limit=100', { token: tokens.supervisor })).body.items as Item[];
const reasonsOf = (items: Item[], id: string) => items.find((i) => i.caseId === id)?.reasons.map((r) => r.reason) ?? [];

beforeAll(async () => {
  browser = await launchChromium();
  const goals = { responseGoal: null, responseUnit: null, resolutionGoal: 60, resolutionUnit: 'minutes' as const, escalateOnBreach: false };
  await stack.database.db.insert(deadlineClasses).values([
    { code: 'test-overdue', name: 'Test: overdue at once', nameZh: '测试', ...goals, resolutionGoal: 0.05 },
    { code: 'test-idle', name: 'Test: idle at once', nameZh: '测试', ...goals, idleAfterHours: 4 / 3600 },
  ]);
  const open = async (deadlineClass: string, n: number) => {
    const res = await api(stack, 'POST', '/api/cases', {
      token: tokens.staff,
      body: { serviceCode: 'garbage-sorting-complaint', demand: 'Bins overflow', deadlineClass, resident: { name: `Console Resident ${n}`, phone: `1372222000${n}` } },
    });
    expect(res.status).toBe(201);
    return res.body.id as string;
  };
  overdue = await open('test-overdue', 1);
  expect((await api(stack, 'POST', `/api/cases/${overdue}/acceptance`, { token: tokens.staff, body: { decision: 'accept', documents: [] } })).status).toBe(200);
  idle = await open('test-idle', 2);
  await eventually(
    async () => {
      const items = await stuckNow();
      return reasonsOf(items, overdue).includes('overdue') && reasonsOf(items, idle).includes('idle') && !reasonsOf(items, idle).includes('overdue');
    },
    30_000,
    'one case overdue and one idle',
  );
}, 120_000);
afterAll(() => browser?.close());

const row = (page: Page, caseId: string) => page.getByRole('row').filter({ has: page.getByRole('link', { name: caseId, exact: true }) });

describe('the stuck list', () => {
  test('a supervisor sees the overdue case with its reason, filters by reason, and urges it as a batch that finishes', async () => {
    const { page, context } = await openConsole(browser, stack.url, tokens.supervisor, { path: '/supervision/stuck' });
    await page.getByRole('heading', { name: '督办清单', level: 1 }).waitFor();
    await row(page, overdue).getByText('承诺超时').waitFor();
    await row(page, overdue).getByText('办结承诺').waitFor();
    await row(page, overdue).getByText(/^已超时 /).waitFor();
    await row(page, overdue).getByText('责任方：社工 wang').waitFor();
    await row(page, idle).getByText('长时间无进展').waitFor();
    expect(await row(page, overdue).getByRole('link', { name: overdue }).getAttribute('href')).toBe(`/console/cases/${overdue}`);
    expect(await seriousViolations(page)).toEqual([]);
    await saveScreenshot(page, 'stuck-list');

    // A filter the API refuses: its words beside the field, the page still usable.
    await page.getByLabel('持续超过').fill("3 days'; DROP TABLE cases;--");
    await page.getByRole('button', { name: '筛选', exact: true }).click();
    await page.getByText('must look like 30m, 8h or 3d').waitFor();
    await page.getByLabel('持续超过').fill('');

    // Filter by reason: the idle case leaves the list, the overdue one stays; the address keeps the filter.
    await page.getByRole('combobox', { name: '原因' }).click();
    await page.getByTitle('承诺超时', { exact: true }).click();
    await page.keyboard.press('Escape');
    await page.getByRole('button', { name: '筛选', exact: true }).click();
    await page.waitForURL(/reason=overdue/);
    await row(page, idle).waitFor({ state: 'detached' });
    await row(page, overdue).waitFor();
    expect(await page.getByText('must look like 30m, 8h or 3d').count()).toBe(0);

    // Select it and urge it as a batch: first a reason too long (the API's 400 beside the field), then a real one.
    await page.getByRole('checkbox', { name: `选择案件 ${overdue}` }).check();
    await page.getByText('已选 1 件').waitFor();
    await page.getByRole('button', { name: '批量催办' }).click();
    const dialog = page.getByRole('dialog').filter({ hasText: '批量催办 1 件案件' });
    await dialog.getByLabel('事由').fill('催'.repeat(2000));
    await dialog.getByRole('button', { name: /提\s?交$/ }).click();
    await dialog.getByText(/at most 1000/).waitFor();
    await dialog.getByLabel('事由').fill('超期案件，请今日办结 🚨');
    await dialog.getByRole('button', { name: /提\s?交$/ }).click();
    const progress = dialog.getByTestId('batch-progress');
    await progress.getByText('已完成').waitFor({ timeout: 30_000 });
    await progress.getByText('共 1 件：已执行 1，被拒绝 0，失败 0').waitFor();
    await progress.getByRole('row').filter({ hasText: overdue }).getByText('已执行').waitFor();
    expect(await seriousViolations(page)).toEqual([]);
    // The footer's close button (the modal's × is also 关闭).
    await dialog.getByRole('button', { name: /^关\s?闭$/ }).last().click();
    await dialog.waitFor({ state: 'detached' });

    const urged = (await timeline(stack, overdue)).filter((e) => e.type === 'case.urged');
    expect(urged).toEqual([expect.objectContaining({ actor: 'chen', actorRole: 'supervisor' })]);
    await context.close();
  }, 120_000);

  test('in English: the reasons, the stage and the headings switch', async () => {
    const { page, context, errors } = await openConsole(browser, stack.url, tokens.supervisor, { path: '/supervision/stuck', language: 'en' });
    await page.getByRole('heading', { name: 'Stuck cases', level: 1 }).waitFor();
    await row(page, overdue).getByText('Commitment overdue').waitFor();
    await row(page, overdue).getByText(/^overdue by /).waitFor();
    await row(page, idle).getByText('No progress').waitFor();
    expect(await page.getByText('承诺超时').count()).toBe(0);
    expect(await seriousViolations(page)).toEqual([]);
    expect(errors).toEqual([]);
    await context.close();
  }, 60_000);
});

describe('the morning summary', () => {
  test("counts the stuck cases by reason as the API does, and links into the list with the reason's filter", async () => {
    const summary = (await api(stack, 'GET', '/api/supervision/summary', { token: tokens.supervisor })).body;
    const overdueCases = summary.totals.find((r: { reason: string }) => r.reason === 'overdue').cases as number;
    expect(overdueCases).toBeGreaterThanOrEqual(1);
    const { page, context, errors } = await openConsole(browser, stack.url, tokens.supervisor, { path: '/supervision' });
    await page.getByRole('heading', { name: '今日概览', level: 1 }).waitFor();
    const totals = page.getByTestId('summary-totals');
    await totals.getByLabel(`承诺超时: ${overdueCases} 件`).waitFor();
    await totals.getByLabel(/^长时间无进展: \d+ 件$/).waitFor();
    await page.getByRole('table').getByText('前根社区服务站').first().waitFor();
    expect(await seriousViolations(page)).toEqual([]);
    await saveScreenshot(page, 'supervision-summary');

    await page.getByRole('link', { name: '查看 承诺超时 的案件' }).click();
    await page.waitForURL(/\/console\/supervision\/stuck\?reason=overdue$/);
    await row(page, overdue).getByText('承诺超时').waitFor();
    await row(page, idle).waitFor({ state: 'detached' });

    await page.getByRole('combobox', { name: '语言' }).click();
    await page.getByTitle('English').click();
    await page.getByRole('menuitem', { name: /Morning summary/ }).click();
    await page.getByRole('heading', { name: 'Morning summary', level: 1 }).waitFor();
    await page.getByTestId('summary-totals').getByLabel(`Commitment overdue: ${overdueCases} cases`).waitFor();
    expect(errors).toEqual([]);
    await context.close();
  }, 60_000);
});

describe('the alerts inbox', () => {
  test("lists the breach addressed to the subdistrict's supervisors; acknowledging it takes it off the unread list", async () => {
    const alert = await eventually(
      async () => {
        const res = await api(stack, 'GET', `/api/supervision/alerts?caseId=${overdue}&kind=commitment.breached`, { token: tokens.supervisor });
        return res.body.items?.[0] as { id: string } | undefined;
      },
      30_000,
      'the breach alert',
    );
    const { page, context, errors } = await openConsole(browser, stack.url, tokens.supervisor, { path: '/supervision/alerts' });
    await page.getByRole('heading', { name: '预警', level: 1 }).waitFor();
    const line = row(page, overdue);
    await line.getByText('承诺超时').waitFor();
    await line.getByText('研判').waitFor();
    expect(await seriousViolations(page)).toEqual([]);
    await saveScreenshot(page, 'alerts');

    await line.getByRole('button', { name: /^确\s?认$/ }).click();
    await line.waitFor({ state: 'detached' });
    const after = (await api(stack, 'GET', `/api/supervision/alerts?state=acknowledged&caseId=${overdue}`, { token: tokens.supervisor })).body.items;
    expect(after).toEqual([expect.objectContaining({ id: alert.id, acknowledgedBy: 'chen' })]);

    await page.getByLabel('状态').click();
    await page.getByTitle('已确认', { exact: true }).click();
    await row(page, overdue).getByText(/^chen 于 .+ 确认$/).waitFor();
    expect(errors).toEqual([]);
    await context.close();
  }, 90_000);
});

describe('who may see these pages', () => {
  test('station staff opening the stuck list get a clear message, and no supervision menu', async () => {
    const { page, context } = await openConsole(browser, stack.url, tokens.staff, { path: '/supervision/stuck' });
    await page.getByText('未找到：不存在或不在您的辖区范围内').waitFor();
    expect(await page.getByRole('menuitem', { name: /督办清单|今日概览|预警/ }).count()).toBe(0);
    expect(await page.getByRole('heading', { name: '督办清单' }).count()).toBe(0);
    expect(await seriousViolations(page)).toEqual([]);
    await context.close();
  }, 60_000);
});
