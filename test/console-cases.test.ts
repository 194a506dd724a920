import type { Browser, Page } from 'playwright-core';
import { launchChromium, openConsole, saveScreenshot, seriousViolations } from './helpers/browser';
import { api, useStack } from './helpers/stack';

/**
 * The web console's intake and list of cases (issue 16): staff open a case from the catalogue (searched in
 * Chinese), a second identical demand is answered as a repeat on the open case, the API's validation errors
 * appear beside their fields, the list shows cases with live countdowns in Beijing time, in zh-CN and English;
 * a department does not get the intake. In Debian's Chromium against the real stack.
 */
const { stack, tokens } = useStack();
let browser: Browser;
beforeAll(async () => {
  browser = await launchChromium();
}, 60_000);
afterAll(() => browser?.close());

const caseUrl = /\/console\/cases\/([A-Z]{2,8}-\d{8}-\d{4,})$/;
const resident = { name: '张秀兰', phone: '138 0013 8000', address: '新街口街道前根胡同 12 号' };
const demand = "厨房水管漏水 💧 '; DROP TABLE cases; --";

/** The form item (label, control and its errors) labelled `label`. */
const formItem = (page: Page, label: string) => page.locator('.ant-form-item').filter({ has: page.getByLabel(label, { exact: true }) });

/** Fills the intake form: the service searched by `search` and picked by its label; the resident; the demand. */
async function fillIntake(page: Page, search: string, service: string, r: { name: string; phone: string; address: string }, text: string) {
  await page.getByRole('heading', { level: 1, name: '受理登记' }).waitFor();
  const select = page.getByLabel('服务事项', { exact: true });
  await select.click();
  await select.fill(search);
  const option = page.locator('.ant-select-item-option').filter({ hasText: service });
  await option.waitFor();
  // Only the search's matches are offered: nothing else of the catalogue is left in the list.
  expect(await page.locator('.ant-select-item-option').filter({ hasText: '志愿者登记' }).count()).toBe(0);
  await option.click();
  await page.getByText('水电气热、极端天气').waitFor(); // the chosen service's deadline class
  await page.locator('label').filter({ hasText: '12345 热线' }).click();
  expect(await page.getByRole('radio', { name: '12345 热线' }).isChecked()).toBe(true);
  await page.getByLabel('居民姓名').fill(r.name);
  await page.getByLabel('联系电话').fill(r.phone);
  await page.getByLabel('住址').fill(r.address);
  await page.getByLabel('诉求内容').fill(text);
}

let first: string;

test('staff open a case from the catalogue searched in Chinese and land on its page; the same demand again is answered as a repeat', async () => {
  const { page, context, errors } = await openConsole(browser, stack.url, tokens.staff, { path: '/cases/new' });
  await fillIntake(page, '水管', '家庭水管维修', resident, demand);
  expect(await seriousViolations(page)).toEqual([]);
  await saveScreenshot(page, 'intake');
  await page.getByRole('button', { name: '登记受理' }).click();
  await page.waitForURL(caseUrl);
  first = caseUrl.exec(page.url())![1]!;
  const opened = await api(stack, 'GET', `/api/cases/${first}`, { token: tokens.staff });
  expect(opened.status).toBe(200);
  expect(opened.body).toMatchObject({ serviceCode: 'home-plumbing-repair', channel: 'hotline-12345', demand, resident });

  // The same demand of the same resident again: no second case, the open one named and linked.
  await page.goto(`${stack.url}/console/cases/new`);
  await fillIntake(page, 'plumbing', '家庭水管维修', resident, '还是漏水，什么时候来修？');
  await page.getByRole('button', { name: '登记受理' }).click();
  const answer = page.getByRole('alert').filter({ hasText: '重复诉求' });
  await answer.getByText(`本次诉求已记入在办案件 ${first}（当前阶段：受理）`).waitFor();
  await answer.getByText(/下一时限：.*剩余/).waitFor();
  expect(page.url()).toMatch(/\/console\/cases\/new$/);
  expect(await seriousViolations(page)).toEqual([]);
  const cases = await api(stack, 'GET', '/api/cases?stage=accept', { token: tokens.staff });
  expect(cases.body.items.filter((c: { serviceCode: string }) => c.serviceCode === 'home-plumbing-repair')).toHaveLength(1);
  const timeline = (await api(stack, 'GET', `/api/cases/${first}`, { token: tokens.staff })).body.timeline as { kind?: string; type?: string }[];
  expect(JSON.stringify(timeline)).toContain('还是漏水');

  // The resident brings new facts: a new case after all, linked to the open one.
  await answer.getByRole('button', { name: '居民提供了新情况，另立新案' }).click();
  await page.waitForURL(caseUrl);
  const second = caseUrl.exec(page.url())![1]!;
  expect(second).not.toBe(first);
  expect((await api(stack, 'GET', `/api/cases/${second}`, { token: tokens.staff })).body.relatedCaseId).toBe(first);

  // The repeat's link leads to the open case.
  await page.goto(`${stack.url}/console/cases/new`);
  await fillIntake(page, '维修', '家庭水管维修', resident, '第三次来问');
  await page.getByRole('button', { name: '登记受理' }).click();
  await page.getByRole('link', { name: /查看在办案件/ }).click();
  await page.waitForURL(caseUrl);
  expect(caseUrl.exec(page.url())![1]).toMatch(/^QG-/);
  expect(errors).toEqual([]);
  await context.close();
});

test("the API's validation errors appear beside their fields; hostile text does not break the page, which still opens the case", async () => {
  const { page, context, errors } = await openConsole(browser, stack.url, tokens.staff, { path: '/cases/new' });
  await page.getByRole('heading', { level: 1, name: '受理登记' }).waitFor();
  // Nothing chosen or checked in the browser: the API answers for every field.
  await page.getByLabel('居民姓名').fill('名'.repeat(2000));
  await page.getByLabel('联系电话').fill('138-abc-<script>');
  await page.getByLabel('诉求内容').fill('漏水\u0007\u001b[31m');
  await page.getByRole('button', { name: '登记受理' }).click();
  await formItem(page, '联系电话').getByText(/must be a phone number/).waitFor();
  await formItem(page, '居民姓名').getByText(/at most 100 characters/).waitFor();
  await formItem(page, '诉求内容').getByText(/control character/).waitFor();
  await formItem(page, '服务事项').getByText(/Too small|>=1|must not be empty|required/).waitFor();
  expect(page.url()).toMatch(/\/console\/cases\/new$/);
  expect(await seriousViolations(page)).toEqual([]);

  // Corrected, the same page opens the case.
  await fillIntake(page, '家庭', '家庭水管维修', { name: '李建国', phone: '１３９００１３９０００', address: '' }, '楼上漏水到我家');
  await page.getByRole('button', { name: '登记受理' }).click();
  await page.waitForURL(caseUrl);
  const id = caseUrl.exec(page.url())![1]!;
  expect((await api(stack, 'GET', `/api/cases/${id}`, { token: tokens.staff })).body.resident).toEqual({ name: '李建国', phone: '13900139000' });
  expect(errors.filter((e) => !/status of 400/.test(e))).toEqual([]);
  await context.close();
});

test('the list shows the cases with their stage, service, live countdown and Beijing time, in zh-CN and in English; new cases appear without a reload', async () => {
  const opened = (await api(stack, 'GET', `/api/cases/${first}`, { token: tokens.staff })).body;
  const beijing = new Intl.DateTimeFormat('sv-SE', { timeZone: 'Asia/Shanghai', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit' })
    .format(new Date(opened.openedAt))
    .replace(',', '');

  const { page, context, errors } = await openConsole(browser, stack.url, tokens.staff, { path: '/cases' });
  await page.getByRole('heading', { level: 1, name: '我的案件' }).waitFor();
  const row = page.getByRole('row').filter({ has: page.getByRole('link', { name: first, exact: true }) });
  await row.getByText('家庭水管维修').waitFor();
  await row.getByText('受理', { exact: true }).waitFor();
  await row.getByText(/即将到期：剩余 1 小时 \d+ 分|剩余/).waitFor();
  await row.getByText(beijing).waitFor();
  expect(await page.getByRole('columnheader', { name: /受理时间（北京时间）/ }).count()).toBe(1);
  expect(await seriousViolations(page)).toEqual([]);
  await saveScreenshot(page, 'cases');

  // Polling: a case opened elsewhere shows up within seconds.
  const other = await api(stack, 'POST', '/api/cases', {
    token: tokens.staff,
    body: { serviceCode: 'volunteer-registration', demand: '报名社区志愿者', resident: { name: '王磊', phone: '137 0000 0001' } },
  });
  expect(other.status).toBe(201);
  await page.getByRole('link', { name: other.body.id, exact: true }).waitFor();

  // Filters are the API's: closed cases only → none of these.
  await page.getByLabel('阶段', { exact: true }).click();
  await page.locator('.ant-select-item-option').filter({ hasText: '已结案' }).click();
  await page.getByText('暂无案件').waitFor();

  // The link opens the case page.
  await page.getByLabel('阶段', { exact: true }).click();
  await page.locator('.ant-select-item-option').filter({ hasText: '全部阶段' }).click();
  await page.getByRole('link', { name: first, exact: true }).click();
  await page.waitForURL(caseUrl);
  expect(errors).toEqual([]);
  await context.close();

  const en = await openConsole(browser, stack.url, tokens.staff, { path: '/cases', language: 'en' });
  await en.page.getByRole('heading', { level: 1, name: 'My cases' }).waitFor();
  const enRow = en.page.getByRole('row').filter({ has: en.page.getByRole('link', { name: first, exact: true }) });
  await enRow.getByText('Home plumbing repair').waitFor();
  await enRow.getByText('Acceptance', { exact: true }).waitFor();
  await enRow.getByText(/Due soon: .* left/).waitFor();
  await enRow.getByText('12345 hotline').waitFor();
  await enRow.getByText(beijing).waitFor();
  expect(await en.page.getByText('家庭水管维修').count()).toBe(0);
  expect(await seriousViolations(en.page)).toEqual([]);
  expect(en.errors).toEqual([]);
  await en.context.close();
});

test('a supervisor sees the cases of the subdistrict with their station; a department gets no intake, but a clear message', async () => {
  const sup = await openConsole(browser, stack.url, tokens.supervisor, { path: '/cases' });
  await sup.page.getByRole('heading', { level: 1, name: '案件列表' }).waitFor();
  await sup.page.getByRole('row').filter({ has: sup.page.getByRole('link', { name: first, exact: true }) }).getByText('前根社区服务站').waitFor();
  expect(await seriousViolations(sup.page)).toEqual([]);
  await sup.context.close();

  const dept = await openConsole(browser, stack.url, tokens.housing, { path: '/cases/new' });
  await dept.page.getByText(/未找到|无权访问/).first().waitFor();
  expect(await dept.page.getByRole('heading', { name: '受理登记' }).count()).toBe(0);
  expect(await dept.page.getByLabel('居民姓名').count()).toBe(0);
  expect(await seriousViolations(dept.page)).toEqual([]);
  await dept.context.close();
});
