import type { Browser, Page } from 'playwright-core';
import { deadlineClasses, serviceItems } from '../db/schema';
import { launchChromium, type ConsolePage, openConsole, saveScreenshot, seriousViolations } from './helpers/browser';
import { timeline } from './helpers/cases';
import { api, eventually, useStack } from './helpers/stack';

/**
 * The whole story of issue 16 in the real console, across roles, each in its own browser context: station staff
 * sign in with a demo identity, open a case from the catalogue, accept, diagnose and plan it, and blow a whistle
 * to two departments; a department whose inbox is already open sees the whistle appear without a reload, checks
 * in and reports, while a department not called sees nothing; a supervisor finds the case overdue in the stuck
 * list, extends its commitment with a reason and urges the department that has not reported, and closes the
 * whistle; the case page's timeline shows both; staff complete the tasks, close the case and record the
 * resident's evaluation. The case is made overdue for real: its catalogue item (added for this test) has a
 * resolution commitment of three seconds. Debian's Chromium against the real stack; axe on every page.
 */
const { stack, tokens } = useStack({}, { timeout: 120_000 });
let browser: Browser;
let urban: string;
let water: string;
beforeAll(async () => {
  browser = await launchChromium();
  urban = await stack.token({ role: 'department', department: 'urban-management', sub: 'urban-duty' });
  water = await stack.token({ role: 'department', department: 'water', sub: 'water-duty' });
  await stack.database.db.insert(deadlineClasses).values({
    code: 'story-overdue',
    name: 'Story: overdue at once',
    nameZh: '故事：即刻超时',
    responseGoal: null,
    responseUnit: null,
    resolutionGoal: 0.05,
    resolutionUnit: 'minutes',
    escalateOnBreach: false,
  });
  await stack.database.db.insert(serviceItems).values({
    code: 'stairwell-pipe-burst',
    category: 'life',
    name: 'Burst pipe in a stairwell',
    nameZh: '楼道水管爆裂抢修',
    handlingMode: 'needs-documents',
    deadlineClass: 'story-overdue',
  });
}, 60_000);
afterAll(() => browser?.close());

const caseUrl = /\/console\/cases\/([A-Z]{2,8}-\d{8}-\d{4,})$/;
const matter = '楼道主水管爆裂，需住建和水务联合处置';
/** antd spaces a two-character Chinese button's label ("受 理"): match with or without the space. */
const label = (text: string) => new RegExp(`^${[...text].join('\\s?')}$`);
const dialog = (page: Page) => page.getByRole('dialog');
const submit = (page: Page) => dialog(page).getByRole('button', { name: label('提交') }).click();
const actions = (page: Page) => page.getByTestId('case-actions');
const caseTimeline = (page: Page) => page.getByTestId('timeline');
/** Picks an option of an antd select labelled `field`; a single select's list is closed again before going on. */
async function choose(page: Page, field: string, option: string, { multiple = false } = {}) {
  const select = page.getByLabel(field, { exact: true });
  await select.click();
  const dropdown = page.locator('.ant-select-dropdown').filter({ has: page.locator(`[id="${await select.getAttribute('id')}_list"]`) });
  await dropdown.waitFor();
  await page.waitForFunction(() => document.getAnimations().every((a) => a.playState !== 'running')); // the list has stopped moving in
  await dropdown.locator('.ant-select-item-option').filter({ hasText: option }).first().click();
  if (!multiple) await dropdown.waitFor({ state: 'hidden' });
}
async function expectStage(page: Page, stage: string) {
  await page.getByTestId('case-status').locator('.ant-tag').first().filter({ hasText: new RegExp(`^${stage}$`) }).waitFor();
}
/** The page at rest for axe: the pointer off the last button, no transition running. */
async function atRest(page: Page) {
  await page.mouse.move(0, 0);
  await page.waitForFunction(() => document.getAnimations().every((a) => a.playState !== 'running'));
}
async function axe(page: Page) {
  await atRest(page);
  expect(await seriousViolations(page)).toEqual([]);
}
/** Console errors other than the failed loads Chromium logs for an expected 4xx answer. */
const unexpected = (c: ConsolePage) => c.errors.filter((e) => !/status of 4\d\d\b/.test(e));
/** Waits until an inbox list has loaded (not merely rendered empty while loading). */
const loaded = (page: Page, state: string) => page.locator(`[data-testid="list-${state}"][aria-busy="false"]`).waitFor();

let staff: ConsolePage;
let caseId: string;
let whistleId: string;

test('the story, across roles, in the browser', async () => {
  // Both departments' inboxes are open before anything happens: housing will be called, urban management not.
  const housing = await openConsole(browser, stack.url, tokens.housing, { path: '/whistles' });
  const bystander = await openConsole(browser, stack.url, urban, { path: '/whistles' });
  for (const d of [housing, bystander]) {
    await d.page.getByRole('heading', { level: 1, name: '部门待办：吹哨报到' }).waitFor();
    await loaded(d.page, 'awaiting-check-in');
    await d.page.getByText('暂无待报到的吹哨').waitFor();
  }
  await axe(housing.page);

  // 1. Staff sign in with the demo identity (no injected token) and open the case from the catalogue.
  staff = await openConsole(browser, stack.url, undefined);
  const page = staff.page;
  await page.getByRole('heading', { name: /登录/ }).first().waitFor();
  await axe(page);
  await page.getByRole('button', { name: '以此身份登录 前根社区服务站 全科社工' }).click();
  await page.getByTestId('identity').getByText('服务站社工 · 前根社区服务站').waitFor();
  await page.getByRole('menuitem', { name: /受理登记/ }).click();
  await page.getByRole('heading', { level: 1, name: '受理登记' }).waitFor();
  const service = page.getByLabel('服务事项', { exact: true });
  await service.click();
  await service.fill('楼道');
  await page.locator('.ant-select-item-option').filter({ hasText: '楼道水管爆裂抢修' }).click();
  await page.getByText('故事：即刻超时').waitFor(); // the chosen item's deadline class
  await page.getByLabel('居民姓名').fill('刘桂芳');
  await page.getByLabel('联系电话').fill('139 0013 7001');
  await page.getByLabel('住址').fill('前根胡同 7 号 2 单元 301');
  await page.getByLabel('诉求内容').fill('楼道水管爆裂，水漫到楼下 💧');
  await axe(page);
  await page.getByRole('button', { name: '登记受理' }).click();
  await page.waitForURL(caseUrl);
  caseId = caseUrl.exec(page.url())![1]!;
  await page.getByRole('heading', { level: 1, name: `案件 ${caseId}` }).waitFor();
  await expectStage(page, '受理');
  await axe(page);
  await saveScreenshot(page, 'story-case-opened');

  await actions(page).getByRole('button', { name: label('受理') }).click();
  await dialog(page).getByRole('radio', { name: '受理（需收集材料）' }).waitFor();
  await submit(page);
  await expectStage(page, '研判');
  await actions(page).getByRole('button', { name: label('研判') }).click();
  await dialog(page).getByLabel('调查情况').fill('主管道老化开裂，需更换一段并排查楼内管网');
  await submit(page);
  await expectStage(page, '制定方案');

  // Two tasks, both the signed-in social worker's: staff complete them at the end.
  await actions(page).getByRole('button', { name: '制定方案' }).click();
  await dialog(page).getByLabel('任务 1 名称').fill('关闭楼道总阀并清理积水');
  await choose(page, '任务 1 承办方', '本人（');
  await dialog(page).getByRole('button', { name: '添加任务' }).click();
  await dialog(page).getByLabel('任务 2 名称').fill('回访楼下受影响住户');
  await choose(page, '任务 2 承办方', '本人（');
  await submit(page);
  await dialog(page).waitFor({ state: 'detached' });
  const tasks = page.locator('section[aria-label="任务"]');
  await tasks.getByRole('row', { name: /^T1 关闭楼道总阀并清理积水/ }).waitFor();
  await tasks.getByRole('row', { name: /^T2 回访楼下受影响住户/ }).waitFor();
  await expectStage(page, '执行');

  // The whistle to housing and water (the lead: a lead reports after its co-handlers).
  await actions(page).getByRole('button', { name: label('吹哨') }).click();
  await choose(page, '紧急程度', '一般');
  await choose(page, '报到部门', '住房和城乡建设', { multiple: true });
  await choose(page, '报到部门', '水务', { multiple: true });
  await dialog(page).locator('.ant-modal-title').click();
  await choose(page, '牵头部门', '水务');
  await dialog(page).getByLabel('事项说明（部门可见，不得含居民个人信息）').fill(matter);
  await axe(page);
  await submit(page);
  await dialog(page).waitFor({ state: 'detached' });
  await page.getByTestId('whistles').getByRole('row', { name: /住房和城乡建设、水务/ }).getByText('部门办理中').waitFor();
  await caseTimeline(page).getByText('吹哨', { exact: true }).waitFor();
  const view = (await api(stack, 'GET', `/api/cases/${caseId}`, { token: tokens.staff })).body;
  expect(view).toMatchObject({ serviceCode: 'stairwell-pipe-burst', resident: { name: '刘桂芳' } });
  expect(view.escalations).toEqual([expect.objectContaining({ status: 'open', departments: ['housing', 'water'], lead: 'water' })]);
  whistleId = view.escalations[0].whistleId;

  // 2. Housing's open inbox shows the whistle by its own polling; it opens it, checks in and reports.
  const h = housing.page;
  const row = h.getByRole('row').filter({ has: h.getByRole('link', { name: whistleId }) });
  await row.getByText(matter).waitFor({ timeout: 30_000 });
  await row.getByText('协办').waitFor();
  await axe(h);
  await row.getByRole('link', { name: whistleId }).click();
  await h.getByRole('heading', { level: 1, name: `吹哨 ${whistleId}` }).waitFor();
  await axe(h);
  await h.getByTestId('check-in').getByRole('button', { name: /^报\s?到$/ }).click();
  const calls = h.getByTestId('calls');
  await calls.getByRole('row').filter({ hasText: '住房和城乡建设' }).getByText('已报到').waitFor();
  const report = h.getByTestId('report');
  await report.getByRole('radio', { name: '已解决' }).check();
  await report.getByLabel('办理情况说明').fill('已关闭总阀，更换破裂管段');
  await report.getByRole('button', { name: '提交办理结果' }).click();
  await calls.getByRole('row').filter({ hasText: '住房和城乡建设' }).getByText('已反馈').waitFor();
  await axe(h);
  await saveScreenshot(h, 'story-department-reported');
  expect(unexpected(housing)).toEqual([]);
  await housing.context.close();

  // Urban management, not called, has nothing in any list (its inbox polled all along).
  const b = bystander.page;
  for (const state of ['awaiting-check-in', 'in-progress', 'done']) {
    await b.getByTestId(`tab-${state}`).click();
    await loaded(b, state);
    expect(await b.getByTestId(`list-${state}`).getByRole('link').count()).toBe(0);
  }
  expect(await b.getByText(matter).count()).toBe(0);
  expect(unexpected(bystander)).toEqual([]);
  await bystander.context.close();

  // 3. The supervisor: the case is overdue (its 3-second resolution commitment breached) in the stuck list.
  await eventually(
    async () => {
      const items = (await api(stack, 'GET', '/api/supervision/stuck?limit=100', { token: tokens.supervisor })).body.items as { caseId: string; reasons: { reason: string }[] }[];
      return items.find((i) => i.caseId === caseId)?.reasons.some((r) => r.reason === 'overdue');
    },
    30_000,
    'the case to be overdue in the stuck list',
  );
  const supervisor = await openConsole(browser, stack.url, tokens.supervisor, { path: '/supervision/stuck' });
  const s = supervisor.page;
  await s.getByRole('heading', { name: '督办清单', level: 1 }).waitFor();
  const stuck = s.getByRole('row').filter({ has: s.getByRole('link', { name: caseId, exact: true }) });
  await stuck.getByText('承诺超时').waitFor();
  await stuck.getByText('办结承诺').waitFor();
  await stuck.getByText(/^已超时 /).waitFor();
  await axe(s);
  await stuck.getByRole('link', { name: caseId, exact: true }).click();
  await s.waitForURL(caseUrl);
  const panel = s.getByTestId('case-interventions');
  await panel.getByRole('button', { name: '延长时限' }).click();
  await dialog(s).getByText(/办结承诺（截止/).waitFor();
  await dialog(s).locator('.ant-form-item').filter({ has: s.getByLabel('理由', { exact: true }) }).getByRole('textbox').fill('需等待配件到货，居民同意延期');
  await submit(s);
  await dialog(s).waitFor({ state: 'detached' });
  await panel.getByRole('button', { name: label('催办') }).click();
  await dialog(s).getByRole('radio', { name: '吹哨报到部门' }).check();
  await choose(s, '部门', '水务');
  await dialog(s).locator('.ant-form-item').filter({ has: s.getByLabel('理由', { exact: true }) }).getByRole('textbox').fill('水务部门尚未报到，请立即到场');
  await submit(s);
  await dialog(s).waitFor({ state: 'detached' });
  // The case page's timeline, in the browser, shows both.
  await caseTimeline(s).getByText('时限延期').waitFor();
  await caseTimeline(s).getByText('督办', { exact: true }).waitFor();
  await axe(s);
  await saveScreenshot(s, 'story-supervised');
  const events = await timeline(stack, caseId);
  expect(events.find((e) => e.type === 'commitment.extended')).toMatchObject({ actorRole: 'supervisor', data: expect.objectContaining({ clock: 'resolution', reason: '需等待配件到货，居民同意延期' }) });
  expect(events.find((e) => e.type === 'case.urged')).toMatchObject({ actorRole: 'supervisor', data: expect.objectContaining({ target: 'department', party: { kind: 'department', id: 'water' } }) });

  // Water has not reported: the whistle stays open and blocks the closure, so the supervisor closes it (the
  // case page lists the whistle without a link to its page: the supervisor goes to its address).
  await s.goto(`${stack.url}/console/whistles/${whistleId}`);
  await s.getByRole('heading', { level: 1, name: `吹哨 ${whistleId}` }).waitFor();
  await axe(s);
  const closure = s.getByTestId('closure');
  await closure.getByLabel('关闭理由').fill('住建已处置完毕，水务无需再到场');
  await closure.getByRole('button', { name: '关闭吹哨' }).click();
  await s.getByTestId('closure').waitFor({ state: 'detached' });
  expect(unexpected(supervisor)).toEqual([]);
  await supervisor.context.close();
  const whistle = (await api(stack, 'GET', `/api/whistles/${whistleId}`, { token: water })).body;
  expect(whistle.status).not.toBe('open');

  // 4. Back as staff (the same page, never reloaded): the tasks done, the case closes and is evaluated.
  for (const id of ['T1', 'T2']) {
    await tasks.getByRole('button', { name: `完成任务 ${id}` }).click();
    await submit(page);
    await dialog(page).waitFor({ state: 'detached' });
    await tasks.getByRole('row', { name: new RegExp(`^${id} .*已完成`) }).waitFor();
  }
  await expectStage(page, '办结');
  await caseTimeline(page).getByText('时限延期').waitFor();
  await caseTimeline(page).getByText('督办', { exact: true }).waitFor();
  await actions(page).getByRole('button', { name: label('办结') }).click();
  await dialog(page).getByRole('radio', { name: '已解决', exact: true }).check();
  await dialog(page).getByLabel('办理情况（告知居民）').fill('总阀已关闭、破裂管段已更换，楼下住户已回访');
  await axe(page);
  await submit(page);
  await dialog(page).waitFor({ state: 'detached' });
  await page.getByTestId('case-status').getByText('待评价').waitFor();
  await actions(page).getByRole('button', { name: '录入评价' }).click();
  await dialog(page).getByRole('radio', { name: '基本满意' }).check();
  await dialog(page).getByRole('radio', { name: '电话回访' }).check();
  await submit(page);
  await expectStage(page, '已结案');
  await actions(page).getByText('当前环节没有可办理的操作').waitFor();
  await axe(page);
  await saveScreenshot(page, 'story-closed');
  const closed = (await api(stack, 'GET', `/api/cases/${caseId}`, { token: tokens.staff })).body;
  expect(closed).toMatchObject({ stage: 'closed', resolution: 'resolved', evaluation: { rating: 'basically-satisfied', via: 'call-back' } });
  expect(closed.escalations[0].status).not.toBe('open');
  expect(unexpected(staff)).toEqual([]);
  await staff.context.close();
}, 300_000);
