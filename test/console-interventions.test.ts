import type { Browser, Page } from 'playwright-core';
import { atRest, launchChromium, openConsole, saveScreenshot, seriousViolations } from './helpers/browser';
import { api, eventually, useStack } from './helpers/stack';

/**
 * The case page's supervisor panels (issue 16): the diagnostics read from GET /api/cases/{id}/diagnostics, and
 * the interventions — a supervisor extends a commitment with a reason and urges the department a whistle
 * called, each through its form with the API's field errors beside the field; the timeline (the API's) has both.
 */
const { stack, tokens } = useStack({}, { timeout: 120_000 });
let browser: Browser;
let caseId: string;

beforeAll(async () => {
  browser = await launchChromium();
  const ok = async (path: string, body: unknown) => {
    const res = await api(stack, 'POST', path, { token: tokens.staff, body });
    expect({ path, status: res.status < 300 ? 'ok' : res.body }).toEqual({ path, status: 'ok' });
    return res.body;
  };
  caseId = (await ok('/api/cases', { serviceCode: 'garbage-sorting-complaint', demand: 'Bins overflow at the north gate', resident: { name: 'Intervention Resident', phone: '13600000001' } })).id;
  await ok(`/api/cases/${caseId}/acceptance`, { decision: 'accept' });
  await ok(`/api/cases/${caseId}/whistles`, { reason: 'prominent-problem', urgency: 'urgent', summary: 'Bins overflow every evening', location: 'North gate', departments: ['housing'], lead: 'housing' });
  // The case page lists the whistle once the case view has it.
  await eventually(async () => (await api(stack, 'GET', `/api/cases/${caseId}`, { token: tokens.supervisor })).body.escalations?.some((e: { status: string }) => e.status === 'open'), 20_000, 'the whistle to be open');
}, 180_000);
afterAll(() => browser?.close());

/** antd spaces a two-character Chinese button's label ("催 办"): match with or without the space. */
const label = (text: string) => new RegExp(`^${[...text].join('\\s?')}$`);
const panel = (page: Page) => page.getByTestId('case-interventions');
const dialog = (page: Page) => page.getByRole('dialog');
const submit = (page: Page) => dialog(page).getByRole('button', { name: label('提交') }).click();
/** The form item (label, control and its errors) labelled `text` in the open dialog. */
const formItem = (page: Page, text: string) => dialog(page).locator('.ant-form-item').filter({ has: page.getByLabel(text, { exact: true }) });

const timeline = async () => (await api(stack, 'GET', `/api/cases/${caseId}`, { token: tokens.supervisor })).body.timeline as { type: string; actor: string; data: Record<string, any> }[];

test('diagnostics: what the case waits on, its commitments and workflow, in words', async () => {
  const { page, context, errors } = await openConsole(browser, stack.url, tokens.supervisor, { path: `/cases/${caseId}` });
  const diagnostics = page.getByTestId('case-diagnostics');
  await diagnostics.getByRole('heading', { name: '案件诊断' }).waitFor();
  await diagnostics.getByTestId('waiting-on').getByText('部门 housing').waitFor();
  await diagnostics.getByRole('cell', { name: '办结承诺' }).waitFor();
  await diagnostics.getByText('办理中', { exact: true }).waitFor();
  await diagnostics.getByText('RUNNING').waitFor();
  expect(await diagnostics.getByTestId('workflow-task').textContent()).toMatch(/无待处理的工作流任务|工作流任务正常/);
  // Staff of the station read the case but see neither panel.
  const staff = await openConsole(browser, stack.url, tokens.staff, { path: `/cases/${caseId}` });
  await staff.page.getByTestId('case-actions').waitFor();
  expect(await staff.page.getByTestId('case-interventions').count()).toBe(0);
  await staff.context.close();
  expect(await seriousViolations(page)).toEqual([]);
  expect(errors).toEqual([]);
  await context.close();
});

test('a supervisor extends the resolution commitment with a reason and urges the department; an empty or too long reason is refused beside the field', async () => {
  const { page, context, errors } = await openConsole(browser, stack.url, tokens.supervisor, { path: `/cases/${caseId}` });
  const before = (await api(stack, 'GET', `/api/cases/${caseId}`, { token: tokens.supervisor })).body.clocks.find((c: { id: string }) => c.id === 'resolution');

  // Extend: the reason left empty is the API's 400, shown beside the reason; the modal stays open.
  await panel(page).getByRole('button', { name: '延长时限' }).click();
  await dialog(page).getByText('延期的承诺').waitFor();
  expect(await dialog(page).getByText(/办结承诺（截止/).count()).toBe(1);
  await submit(page);
  await formItem(page, '理由').getByText('must not be empty').waitFor();
  await atRest(page);
  expect(await seriousViolations(page)).toEqual([]);
  await saveScreenshot(page, 'case-intervention');
  await formItem(page, '理由').getByRole('textbox').fill('等待配件到货，居民同意延期');
  await submit(page);
  await dialog(page).waitFor({ state: 'detached' });

  // Urge the department called by the whistle: a 2 000-character reason is refused beside the field.
  await panel(page).getByRole('button', { name: label('催办') }).click();
  await dialog(page).getByRole('radio', { name: '吹哨报到部门' }).check();
  await formItem(page, '部门').getByText('住房和城乡建设').waitFor();
  await formItem(page, '理由').getByRole('textbox').fill('催'.repeat(2000));
  await submit(page);
  await formItem(page, '理由').getByText('must be at most 1000 characters').waitFor();
  await formItem(page, '理由').getByRole('textbox').fill('居民多次来电，请尽快报到');
  await submit(page);
  await dialog(page).waitFor({ state: 'detached' });

  // The timeline has both, by the supervisor, with the reasons typed.
  const events = await eventually(async () => {
    const all = await timeline();
    const extended = all.find((e) => e.type === 'commitment.extended');
    const urged = all.find((e) => e.type === 'case.urged');
    return extended && urged && { extended, urged };
  }, 15_000, 'the timeline to show the extension and the urge');
  expect(events.extended).toMatchObject({ actor: 'chen', data: { clock: 'resolution', from: before.dueAt, reason: '等待配件到货，居民同意延期' } });
  // The picker proposed a day after the current deadline, to the minute, in Beijing time.
  expect(Date.parse(events.extended.data.to) - Date.parse(before.dueAt)).toBeGreaterThan(86_400_000 - 60_000);
  expect(Date.parse(events.extended.data.to) - Date.parse(before.dueAt)).toBeLessThanOrEqual(86_400_000);
  expect(events.urged).toMatchObject({ actor: 'chen', data: { target: 'department', party: { kind: 'department', id: 'housing' }, reason: '居民多次来电，请尽快报到' } });
  expect((await timeline()).filter((e) => e.type === 'case.urged')).toHaveLength(1);
  await atRest(page);
  expect(await seriousViolations(page)).toEqual([]);
  // Chromium logs the two refused submissions (400) as failed loads; nothing else went wrong.
  expect(errors.filter((e) => !/status of 400\b/.test(e))).toEqual([]);
  expect(errors).toHaveLength(2);
  await context.close();
});

test('in English; a case that has ended offers no intervention', async () => {
  const { page, context } = await openConsole(browser, stack.url, tokens.admin, { path: `/cases/${caseId}`, language: 'en' });
  await page.getByTestId('case-diagnostics').getByRole('heading', { name: 'Diagnostics' }).waitFor();
  await panel(page).getByRole('button', { name: 'Extend a deadline' }).waitFor();
  expect(await panel(page).getByRole('button').allTextContents()).toEqual(['Extend a deadline', 'Urge', 'Reassign']);
  expect(await page.getByText('延长时限').count()).toBe(0);
  await context.close();

  // Withdrawn through the API: the panel says no intervention is possible.
  const other = await api(stack, 'POST', '/api/cases', { token: tokens.staff, body: { serviceCode: 'garbage-sorting-complaint', demand: 'Opened twice', resident: { name: 'Another Resident', phone: '13600000002' } } });
  expect((await api(stack, 'POST', `/api/cases/${other.body.id}/withdrawal`, { token: tokens.supervisor, body: { kind: 'opened-in-error', reason: 'Typed twice' } })).status).toBe(200);
  const ended = await openConsole(browser, stack.url, tokens.supervisor, { path: `/cases/${other.body.id}` });
  await panel(ended.page).getByText('案件已结束或暂无实时状态，无可用督办操作').waitFor();
  expect(await panel(ended.page).getByRole('button').count()).toBe(0);
  await ended.context.close();
});
