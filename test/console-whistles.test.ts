import type { Browser, Page } from 'playwright-core';
import { launchChromium, openConsole, saveScreenshot, seriousViolations } from './helpers/browser';
import { api, eventually, useStack } from './helpers/stack';

/**
 * The web console's whistles (issue 16): a department's inbox, open before the whistle is blown, shows it
 * within seconds without a reload; the department opens it, checks in and reports; a department the whistle
 * does not call sees nothing in its inbox and a clear 403 on the whistle's page; a dispute's reason refused by
 * the API (empty, control characters, too long) is shown beside the field; the supervisor decides on the
 * dispute in English; once the whistle is completed, the station's staff rate a department (an over-long comment
 * refused beside the field first) and the department's assessment counts it. zh-CN labels, Beijing times, the English switch, axe on every page. Debian's Chromium
 * against the real stack.
 */
const { stack, tokens } = useStack({}, { timeout: 120_000 });
let browser: Browser;
const more: Record<'water' | 'urban', string> = { water: '', urban: '' };
beforeAll(async () => {
  browser = await launchChromium();
  more.water = await stack.token({ role: 'department', department: 'water', sub: 'water-duty' });
  more.urban = await stack.token({ role: 'department', department: 'urban-management', sub: 'urban-duty' });
}, 60_000);
afterAll(() => browser?.close());

const matter = '北门垃圾桶每晚满溢 🗑️，请城管与住建联合处置';

/** "2026-12-07 14:05": the console's Beijing time, whatever the browser's zone (its contexts run in UTC). */
function beijing(iso: string): string {
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Shanghai', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' })
      .formatToParts(new Date(iso))
      .map((p) => [p.type, p.value]),
  );
  return `${parts.year}-${parts.month}-${parts.day} ${parts.hour}:${parts.minute}`;
}

/** A garbage-sorting complaint opened and accepted through the API: in diagnose, where a whistle may be blown. */
async function caseInDiagnose(): Promise<string> {
  const res = await api(stack, 'POST', '/api/cases', {
    token: tokens.staff,
    body: { serviceCode: 'garbage-sorting-complaint', demand: 'Neighbours do not sort their garbage', resident: { name: '李国强', phone: '13900001111', address: '前根胡同 3 号' } },
  });
  expect(res.status).toBe(201);
  const id = res.body.id as string;
  await eventually(async () => {
    const r = await api(stack, 'GET', `/api/cases/${id}`, { token: tokens.staff });
    return r.status === 200 && r.body.live && r.body.timeline.length >= 2;
  }, 30_000, `case ${id} to be recorded`);
  const accepted = await api(stack, 'POST', `/api/cases/${id}/acceptance`, { token: tokens.staff, body: { decision: 'accept' } });
  expect(accepted.body).toMatchObject({ stage: 'diagnose' });
  return id;
}

/** The form item (label, control and its errors) labelled `label` inside `scope`. */
const fieldErrors = (page: Page, scope: string, label: string) =>
  page
    .getByTestId(scope)
    .locator('.ant-form-item')
    .filter({ has: page.locator('.ant-form-item-label label', { hasText: new RegExp(`^${label}$`) }) })
    .locator('.ant-form-item-explain-error');

/**
 * axe's serious violations once antd's field-error animations have settled: a message fading in or out is
 * half-transparent, and axe would measure its contrast mid-way.
 */
async function violations(page: Page) {
  await page.locator('[class*="ant-form-show-help-item-appear"], [class*="ant-form-show-help-item-enter"], [class*="ant-form-show-help-item-leave"]').first().waitFor({ state: 'detached' });
  return seriousViolations(page);
}

/** Waits until the inbox's list of `state` has loaded (not merely rendered empty while loading). */
const loaded = (page: Page, state: string) => page.locator(`[data-testid="list-${state}"][aria-busy="false"]`).waitFor();

let caseId: string;
let whistleId: string;
let blownAt: string;

test('a department with its inbox open sees a new whistle appear without a reload; opens it, checks in and reports, in Chinese with Beijing times', async () => {
  caseId = await caseInDiagnose();
  // Housing's inbox is open before the whistle is blown, with nothing in it yet.
  const { page, context, errors } = await openConsole(browser, stack.url, tokens.housing, { path: '/whistles' });
  await page.getByRole('heading', { level: 1, name: '部门待办：吹哨报到' }).waitFor();
  await loaded(page, 'awaiting-check-in');
  await page.getByText('暂无待报到的吹哨').waitFor();
  expect(await violations(page)).toEqual([]);

  // The station blows a whistle to housing (co-handler) and water (lead).
  const blown = await api(stack, 'POST', `/api/cases/${caseId}/whistles`, {
    token: tokens.staff,
    body: { reason: 'joint-enforcement', urgency: 'urgent', summary: matter, location: '北门垃圾站', departments: ['housing', 'water'], lead: 'water' },
  });
  expect(blown.status).toBe(201);
  whistleId = blown.body.id;

  // It appears by the inbox's own polling: the page is never reloaded.
  const row = page.getByRole('row').filter({ has: page.getByRole('link', { name: whistleId }) });
  await row.waitFor({ timeout: 30_000 });
  const listed = await api(stack, 'GET', `/api/whistles/${whistleId}`, { token: tokens.housing });
  blownAt = listed.body.initiatedAt;
  await row.getByText(matter).waitFor();
  await row.getByText('北门垃圾站').waitFor();
  await row.getByText('紧急').waitFor();
  await row.getByText('协办').waitFor();
  await row.getByText(beijing(blownAt)).waitFor();
  await row.getByText(/剩余/).waitFor(); // the live countdown to the 30-minute check-in
  expect(await row.getByRole('link', { name: caseId, exact: true }).count()).toBe(0); // departments never get the case
  expect(await page.getByTestId('tab-awaiting-check-in').innerText()).toMatch(/待报到\s*1/);
  expect(await violations(page)).toEqual([]);
  await saveScreenshot(page, 'department-inbox');

  // The whistle page: the matter, both departments' calls, the timeline; for housing only check-in and dispute.
  await row.getByRole('link', { name: whistleId }).click();
  await page.getByRole('heading', { level: 1, name: `吹哨 ${whistleId}` }).waitFor();
  await page.getByTestId('matter').getByText(matter).waitFor();
  const calls = page.getByTestId('calls');
  await calls.getByRole('row').filter({ hasText: '住房和城乡建设' }).getByText('待报到').waitFor();
  await calls.getByRole('row').filter({ hasText: '水务' }).getByText('首接负责').waitFor();
  await page.getByTestId('timeline-event').filter({ hasText: '已通知部门' }).filter({ hasText: '水务' }).waitFor();
  expect(await page.getByRole('link', { name: caseId, exact: true }).count()).toBe(0);
  expect(await page.getByTestId('report').count()).toBe(0);
  expect(await page.getByTestId('closure').count()).toBe(0);
  expect(await violations(page)).toEqual([]);

  await page.getByTestId('check-in').getByRole('button', { name: /^报\s?到$/ }).click();
  await calls.getByRole('row').filter({ hasText: '住房和城乡建设' }).getByText('已报到').waitFor();
  await page.getByTestId('timeline-event').filter({ hasText: '部门报到' }).waitFor();
  expect(await page.getByTestId('check-in').count()).toBe(0);

  // A report with neither outcome nor note: the API's 400, beside both fields.
  const report = page.getByTestId('report');
  await report.getByRole('button', { name: '提交办理结果' }).click();
  await fieldErrors(page, 'report', '办理情况说明').getByText('must not be empty').waitFor();
  expect(await fieldErrors(page, 'report', '办理结果').count()).toBe(1);
  await report.getByRole('radio', { name: '已解决' }).check();
  await report.getByLabel('办理情况说明').fill('已联合清运，增设两个垃圾桶');
  expect(await violations(page)).toEqual([]);
  await saveScreenshot(page, 'whistle-page');
  await report.getByRole('button', { name: '提交办理结果' }).click();
  await calls.getByRole('row').filter({ hasText: '住房和城乡建设' }).getByText('已反馈').waitFor();
  await calls.getByRole('row').filter({ hasText: '住房和城乡建设' }).getByText('已联合清运，增设两个垃圾桶').waitFor();
  expect(await page.getByTestId('report').count()).toBe(0);
  expect(await page.getByTestId('dispute').count()).toBe(0);
  const after = await api(stack, 'GET', `/api/whistles/${whistleId}`, { token: tokens.housing });
  expect(after.body.calls.find((c: { departmentId: string }) => c.departmentId === 'housing')).toMatchObject({ status: 'reported', report: { outcome: 'done', note: '已联合清运，增设两个垃圾桶' } });

  // The English switch changes the page's words; times stay Beijing time.
  await page.getByRole('combobox', { name: '语言' }).click();
  await page.getByTitle('English').click();
  await page.getByRole('heading', { level: 1, name: `Whistle ${whistleId}` }).waitFor();
  await page.getByRole('heading', { name: 'Departments called' }).waitFor();
  await calls.getByRole('row').filter({ hasText: 'Housing and Construction' }).getByText('Reported').waitFor();
  await page.getByText(beijing(blownAt)).first().waitFor();
  expect(await page.getByText('各部门报到情况').count()).toBe(0);

  // Back in the inbox, the whistle is done for housing.
  await page.getByRole('menuitem', { name: /Whistles/ }).click();
  await page.getByRole('tab', { name: /Done/ }).click();
  await loaded(page, 'done');
  await page.getByTestId('list-done').getByRole('link', { name: whistleId }).waitFor();
  expect(errors.filter((e) => !/status of 400/.test(e))).toEqual([]);
  await context.close();
}, 180_000);

test('a department the whistle does not call: nothing in its inbox, and a clear 403 on the whistle page', async () => {
  expect((await api(stack, 'GET', `/api/whistles/${whistleId}`, { token: more.urban })).status).toBe(403);
  const { page, context } = await openConsole(browser, stack.url, more.urban, { path: '/whistles' });
  await page.getByRole('heading', { level: 1, name: '部门待办：吹哨报到' }).waitFor();
  for (const state of ['awaiting-check-in', 'in-progress', 'done']) {
    await page.getByTestId(`tab-${state}`).click();
    await loaded(page, state);
    expect(await page.getByTestId(`list-${state}`).getByRole('link').count()).toBe(0);
  }
  await page.getByText('暂无已办结的吹哨').waitFor();

  await page.goto(`${stack.url}/console/whistles/${whistleId}`);
  await page.getByText('无权访问：此页面或操作不在您的角色或辖区范围内').waitFor();
  await page.getByText(`Department urban-management is not called by whistle ${whistleId}`).waitFor();
  await page.getByRole('link', { name: '返回首页' }).waitFor();
  expect(await page.getByText(matter).count()).toBe(0);
  expect(await violations(page)).toEqual([]);

  // A whistle that does not exist: a clear 404.
  await page.goto(`${stack.url}/console/whistles/${caseId}-W99`);
  await page.getByText('未找到：不存在或不在您的辖区范围内').waitFor();
  await context.close();
}, 120_000);

test("a dispute's reason the API refuses is shown beside the field; the supervisor decides in English", async () => {
  const { page, context, errors } = await openConsole(browser, stack.url, more.water, { path: `/whistles/${whistleId}` });
  await page.getByRole('heading', { level: 1, name: `吹哨 ${whistleId}` }).waitFor();
  const dispute = page.getByTestId('dispute');
  const reasonErrors = fieldErrors(page, 'dispute', '异议理由');
  await dispute.getByRole('button', { name: '提出异议' }).click();
  await reasonErrors.getByText('must not be empty').waitFor();
  await dispute.getByLabel('异议理由').fill('不属于本部门\u0007职责');
  await dispute.getByRole('button', { name: '提出异议' }).click();
  await reasonErrors.getByText(/must not contain a control character \(U\+0007 at position 6\)/).waitFor();
  await dispute.getByLabel('异议理由').fill('水'.repeat(1001));
  await dispute.getByRole('button', { name: '提出异议' }).click();
  await reasonErrors.getByText('must be at most 1000 characters').waitFor();
  expect(await violations(page)).toEqual([]);
  // Nothing was recorded by the refused attempts; the page is still usable.
  expect((await api(stack, 'GET', `/api/whistles/${whistleId}`, { token: more.water })).body.calls.find((c: { departmentId: string }) => c.departmentId === 'water').disputes).toEqual([]);
  const reason = "垃圾清运属城管职责 💧 '; DROP TABLE whistles; --";
  await dispute.getByLabel('异议理由').fill(reason);
  await dispute.getByRole('button', { name: '提出异议' }).click();
  await page.getByText('本部门的异议正在等待督办员决定，期间时限暂停。').waitFor();
  expect(await page.getByTestId('dispute').count()).toBe(0);
  expect(await page.getByTestId('check-in').count()).toBe(0);
  expect(errors.filter((e) => !/status of 400/.test(e))).toEqual([]);
  await context.close();

  // The supervisor, in English, sees the case link and decides: insist; then water may check in.
  const sup = await openConsole(browser, stack.url, tokens.supervisor, { language: 'en', path: `/whistles/${whistleId}` });
  await sup.page.getByRole('heading', { level: 1, name: `Whistle ${whistleId}` }).waitFor();
  await sup.page.getByRole('link', { name: caseId, exact: true }).waitFor();
  const decision = sup.page.getByTestId('decision-water');
  await decision.getByText(reason).waitFor();
  await sup.page.getByText(beijing(blownAt)).first().waitFor();
  expect(await violations(sup.page)).toEqual([]);
  await decision.getByRole('radio', { name: 'Insist it is theirs' }).check();
  await decision.getByRole('button', { name: 'Decide on the dispute' }).click();
  await sup.page.getByTestId('calls').getByRole('row').filter({ hasText: 'Water Affairs' }).getByText("Supervisor's decision: Insist it is theirs").waitFor();
  expect(await sup.page.getByTestId('decision-water').count()).toBe(0);
  await sup.page.getByTestId('closure').waitFor(); // the whistle is still open: the supervisor may close it
  await sup.context.close();

  const insisted = await eventually(async () => {
    const r = await api(stack, 'GET', `/api/whistles/${whistleId}`, { token: more.water });
    const water = r.body.calls.find((c: { departmentId: string }) => c.departmentId === 'water');
    return water.disputes[0]?.decision === 'insist' && water;
  });
  expect(insisted.disputes[0]).toMatchObject({ reason, decision: 'insist' });
}, 180_000);

test("once the whistle is completed, the station's staff rate the departments: an over-long comment refused beside the field, then a rating the department's assessment counts", async () => {
  // Water (the lead, insisted on) checks in and reports: with housing's report in, the whistle is completed.
  expect((await api(stack, 'POST', `/api/whistles/${whistleId}/check-in`, { token: more.water, body: {} })).status).toBe(200);
  expect((await api(stack, 'POST', `/api/whistles/${whistleId}/report`, { token: more.water, body: { outcome: 'done', note: '已清运' } })).status).toBe(200);
  await eventually(async () => (await api(stack, 'GET', `/api/whistles/${whistleId}`, { token: tokens.staff })).body.status === 'completed', 30_000, 'the whistle to be completed');

  const { page, context, errors } = await openConsole(browser, stack.url, tokens.staff, { path: `/whistles/${whistleId}` });
  await page.getByRole('heading', { level: 2, name: '站点评价' }).waitFor();
  const rating = page.getByTestId('rating-housing');
  await rating.getByRole('heading', { name: '评价住房和城乡建设的办理情况' }).waitFor();
  await page.getByTestId('rating-water').waitFor(); // each called department has its own rating
  expect(await page.getByTestId('closure').count()).toBe(0); // staff do not close whistles
  expect(await violations(page)).toEqual([]);

  // A 2 001-character comment with a control character: the API's 400 beside the comment; nothing recorded.
  await rating.locator('label').filter({ hasText: /^4$/ }).click(); // a button-style radio: its input is hidden
  await rating.getByLabel('评价意见').fill(`响应及时\u0007${'好'.repeat(2001)}`);
  await rating.getByRole('button', { name: '评价住房和城乡建设的办理情况' }).click();
  const commentErrors = fieldErrors(page, 'rating-housing', '评价意见');
  await commentErrors.getByText('must be at most 2000 characters').waitFor();
  await commentErrors.getByText(/must not contain a control character \(U\+0007 at position 4\)/).waitFor();
  expect(await fieldErrors(page, 'rating-housing', '评分（1–5）').count()).toBe(0);
  expect(await violations(page)).toEqual([]);
  const refused = await api(stack, 'GET', `/api/whistles/${whistleId}`, { token: tokens.staff });
  expect(refused.body.calls.find((c: { departmentId: string }) => c.departmentId === 'housing').rating).toBeUndefined();

  // A valid rating: shown on the page, the form for housing gone, water's still there.
  const comment = "报到迅速，清运彻底 👍 '; DROP TABLE whistle_calls; --";
  await rating.getByLabel('评价意见').fill(comment);
  await rating.getByRole('button', { name: '评价住房和城乡建设的办理情况' }).click();
  await page.getByTestId('rated-housing').getByText('住房和城乡建设：4 分').waitFor();
  await page.getByTestId('rated-housing').getByText(comment, { exact: false }).waitFor();
  expect(await page.getByTestId('rating-housing').count()).toBe(0);
  await page.getByTestId('rating-water').waitFor();
  await page.getByTestId('timeline-event').filter({ hasText: '评价' }).filter({ hasText: '住房和城乡建设' }).first().waitFor();
  expect(await violations(page)).toEqual([]);
  await saveScreenshot(page, 'whistle-rating');
  expect(errors.filter((e) => !/status of 400/.test(e))).toEqual([]);
  await context.close();

  const view = await api(stack, 'GET', `/api/whistles/${whistleId}`, { token: tokens.staff });
  expect(view.body.calls.find((c: { departmentId: string }) => c.departmentId === 'housing').rating).toMatchObject({ score: 4, comment });

  // The department's assessment counts the station's rating.
  const day = 86_400_000;
  const period = `from=${new Date(Date.parse(blownAt) - day).toISOString()}&to=${new Date(Date.parse(blownAt) + day).toISOString()}`;
  const assessment = await eventually(async () => {
    const r = await api(stack, 'GET', `/api/departments/housing/assessment?${period}`, { token: tokens.housing });
    expect(r.status).toBe(200);
    return r.body.ratings.count === 1 && r.body;
  }, 30_000, "housing's assessment to count the rating");
  expect(assessment.ratings).toEqual({ count: 1, average: 4 });
  const water = await api(stack, 'GET', `/api/departments/water/assessment?${period}`, { token: tokens.supervisor });
  expect(water.body.ratings).toEqual({ count: 0, average: null });
}, 180_000);
