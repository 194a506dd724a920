import type { Browser, Page } from 'playwright-core';
import { atRest, launchChromium, openConsole, saveScreenshot, seriousViolations } from './helpers/browser';
import { api, eventually, useStack } from './helpers/stack';

/**
 * The departments' assessment in the console (issue 16): supervisors see every department of their subdistrict
 * with the on-time check-in and report rates, satisfaction and the counts, as a table and an ECharts bar chart;
 * a department sees its own row only. The figures come from whistles answered through the real API.
 */
const { stack, tokens } = useStack({}, { timeout: 120_000 });
let browser: Browser;
let water: string;

/** What the API must report before the pages are checked: housing called twice (one answered), water once. */
const expected = { housing: { calls: 2, checkedInOnTime: 1, reportsOnTime: 1 }, water: { calls: 1, checkedInOnTime: 1, reportsOnTime: 1 } };

beforeAll(async () => {
  water = await stack.token({ role: 'department', department: 'water', sub: 'water-duty' });
  const ok = async (method: string, path: string, token: string, body: unknown = {}) => {
    const res = await api(stack, method, path, { token, body });
    expect({ path, status: res.status, body: res.status < 300 ? undefined : res.body }).toEqual({ path, status: res.status < 300 ? res.status : 200, body: undefined });
    return res.body;
  };
  const caseInDiagnose = async (n: number) => {
    const opened = await ok('POST', '/api/cases', tokens.staff, {
      serviceCode: 'garbage-sorting-complaint',
      demand: 'Bins overflow at the north gate',
      resident: { name: `Assessment Resident ${n}`, phone: `1370000000${n}` },
    });
    await ok('POST', `/api/cases/${opened.id}/acceptance`, tokens.staff, { decision: 'accept' });
    return opened.id as string;
  };
  const whistle = (departments: string[]) => ({
    reason: 'prominent-problem',
    urgency: 'urgent',
    summary: 'Bins overflow every evening',
    location: 'North gate',
    departments,
    lead: departments[0],
  });
  const [c1, c2] = await Promise.all([caseInDiagnose(1), caseInDiagnose(2), (async () => (browser = await launchChromium()))()]);
  // 1. Housing (lead) and water answer on time and report; the station rates housing 5 and water 3.
  const w1 = await ok('POST', `/api/cases/${c1}/whistles`, tokens.staff, whistle(['housing', 'water']));
  await ok('POST', `/api/whistles/${w1.id}/check-in`, tokens.housing);
  await ok('POST', `/api/whistles/${w1.id}/check-in`, water);
  await ok('POST', `/api/whistles/${w1.id}/report`, water, { outcome: 'done', note: 'Drain cleared' });
  await ok('POST', `/api/whistles/${w1.id}/report`, tokens.housing, { outcome: 'done', note: 'Bins replaced' });
  await ok('POST', `/api/whistles/${w1.id}/ratings`, tokens.staff, { departmentId: 'housing', score: 5 });
  await ok('POST', `/api/whistles/${w1.id}/ratings`, tokens.staff, { departmentId: 'water', score: 3 });
  // 2. Housing is called again and has not checked in yet.
  await ok('POST', `/api/cases/${c2}/whistles`, tokens.staff, whistle(['housing']));
  await eventually(async () => {
    const res = await api(stack, 'GET', '/api/assessments/departments?from=2000-01-01&to=2100-01-01', { token: tokens.supervisor });
    const of = (id: string) => res.body.items.find((a: { department: { id: string } }) => a.department.id === id);
    return (
      res.status === 200 &&
      Object.entries(expected).every(([id, e]) => Object.entries(e).every(([k, v]) => of(id)[k] === v)) &&
      of('water').ratings.average === 3 &&
      of('housing').ratings.average === 5
    );
  }, 30_000, 'the assessment to count the whistles');
}, 180_000);
afterAll(() => browser?.close());

const row = (page: Page, name: string | RegExp) => page.getByTestId('assessment-table').getByRole('row', { name });

/** The chart's canvas has been drawn on: some pixel is not transparent. */
async function chartDrawn(page: Page): Promise<number> {
  await page.getByTestId('assessment-chart').locator('canvas').waitFor();
  return page.evaluate(() => {
    const canvas = document.querySelector('[data-testid="assessment-chart"] canvas') as HTMLCanvasElement;
    const data = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height).data;
    let painted = 0;
    for (let i = 3; i < data.length; i += 4) if (data[i]! > 0) painted++;
    return painted;
  });
}

test('a supervisor sees every department’s rates and counts as a table and a bar chart, in Chinese and English', async () => {
  const { page, context, errors } = await openConsole(browser, stack.url, tokens.supervisor, { path: '/supervision/assessment' });
  await page.getByRole('heading', { level: 1, name: '部门考核' }).waitFor();
  // Housing: checked in on time 1 of 2 calls, reported on time 1 of 2, rated 5; water 1/1, rated 3; civil affairs: no calls.
  const housing = row(page, /住房和城乡建设/);
  await housing.getByText('50.0%（1/2）').first().waitFor();
  expect(await housing.getByText('50.0%（1/2）').count()).toBe(2);
  await housing.getByText('5.00 分 · 1 次评价').waitFor();
  await row(page, /水务/).getByText('3.00 分 · 1 次评价').waitFor();
  expect(await row(page, /水务/).getByText('100.0%（1/1）').count()).toBe(2);
  expect(await row(page, /民政/).getByText('无数据').count()).toBe(3);
  expect(await page.getByTestId('assessment-table').locator('tbody tr.ant-table-row').count()).toBe(4);
  expect(await page.getByTestId('assessment-chart').getAttribute('role')).toBe('img');
  expect(await page.getByTestId('assessment-chart').getAttribute('aria-label')).toMatch(/柱状图.*表格/);
  expect(await chartDrawn(page)).toBeGreaterThan(1000);
  expect(await seriousViolations(page)).toEqual([]);
  await saveScreenshot(page, 'assessment');

  await page.getByRole('combobox', { name: '语言' }).click();
  await page.getByTitle('English').click();
  await page.getByRole('heading', { level: 1, name: 'Department assessment' }).waitFor();
  // The language list closes (axe looks at what is shown).
  await page.locator('.ant-select-dropdown').waitFor({ state: 'hidden' });
  await atRest(page);
  await row(page, /Housing and Construction/).getByText('50.0% (1/2)').first().waitFor();
  await page.getByRole('columnheader', { name: /On-time check-in rate/ }).waitFor();
  await row(page, /Water Affairs/).getByText('3.00 / 5 · 1 ratings').waitFor();
  expect(await page.getByText('按时报到率').count()).toBe(0);
  expect(await chartDrawn(page)).toBeGreaterThan(1000);
  expect(await seriousViolations(page)).toEqual([]);
  expect(errors).toEqual([]);
  await context.close();
});

test('the period: a past one has no calls; an impossible one is refused by the API beside its field', async () => {
  const { page, context } = await openConsole(browser, stack.url, tokens.supervisor, { path: '/supervision/assessment?from=2020-01-01&to=2020-01-31' });
  await page.getByTestId('assessment-period').getByText('时段：2020-01-01 至 2020-01-31（北京时间）').waitFor();
  await row(page, /住房和城乡建设/).getByText('无数据').first().waitFor();
  expect(await row(page, /住房和城乡建设/).locator('td').nth(1).textContent()).toBe('0');

  // The last day before the first: the page does not check it, the API answers 400 with a pointer to `to`.
  await page.goto(`${stack.url}/console/supervision/assessment?from=2024-03-10&to=2024-03-01`);
  const to = page.locator('.ant-form-item', { has: page.getByLabel('截止日期（含当日）') });
  await to.getByText('must be after from').waitFor();
  expect(await page.locator('.ant-form-item', { has: page.getByLabel('起始日期') }).locator('.ant-form-item-explain-error').count()).toBe(0);
  await atRest(page);
  expect(await seriousViolations(page)).toEqual([]);

  // A quick period puts it right: the error goes, the figures come back.
  await page.getByRole('button', { name: '近 30 天' }).click();
  await row(page, /住房和城乡建设/).getByText('50.0%（1/2）').first().waitFor();
  await to.getByText('must be after from').waitFor({ state: 'detached' });
  await context.close();
});

test('a department sees its own assessment only; the supervisors’ page is not in its console', async () => {
  const { page, context, errors } = await openConsole(browser, stack.url, water, { path: '/assessment' });
  await page.getByRole('heading', { level: 1, name: '本部门考核' }).waitFor();
  await row(page, /水务/).getByText('3.00 分 · 1 次评价').waitFor();
  expect(await page.getByTestId('assessment-table').locator('tbody tr.ant-table-row').count()).toBe(1);
  expect(await page.getByText('住房和城乡建设').count()).toBe(0);
  expect(await chartDrawn(page)).toBeGreaterThan(1000);
  expect(await page.getByRole('menuitem', { name: /部门考核/ }).count()).toBe(1); // 本部门考核 only
  expect(await seriousViolations(page)).toEqual([]);

  await page.goto(`${stack.url}/console/supervision/assessment`);
  await page.getByText('未找到：不存在或不在您的辖区范围内').waitFor();
  expect(errors).toEqual([]);
  await context.close();
});
