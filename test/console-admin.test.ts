import { eq } from 'drizzle-orm';
import type { Browser, Page } from 'playwright-core';
import { partners } from '../db/schema';
import { launchChromium, openConsole, saveScreenshot, seriousViolations } from './helpers/browser';
import { api, useStack } from './helpers/stack';

/**
 * The administrator's pages of the web console (issue 16): the partner registry (register, channels, rotate the
 * webhook secret, mint a token — each secret shown once), the working-day calendar (import a year) and whistle
 * urgencies — in Debian's Chromium against the real stack, the API's validation errors beside their fields.
 */
const { stack, tokens } = useStack();
let browser: Browser;
beforeAll(async () => {
  browser = await launchChromium();
}, 60_000);
afterAll(() => browser?.close());

/** antd puts a space between the two characters of a two-character Chinese button label (保存 → 保 存). */
const button = (page: Page, label: string) => page.getByRole('button', { name: new RegExp(`^${[...label].join('\\s?')}$`) });
/** The form item around a labelled control: where the API's error for that field is shown. */
const fieldItem = (page: Page, label: string) => page.locator('.ant-form-item').filter({ has: page.getByLabel(label, { exact: true }) });
const storedSecret = async (id: string) => (await stack.database.db.select({ s: partners.webhookSecret }).from(partners).where(eq(partners.id, id)))[0]?.s;

describe('partners', () => {
  test('admin registers a partner with an email channel, sees it listed, rotates its secret (shown once) and mints a token that works', async () => {
    const { page, context, errors } = await openConsole(browser, stack.url, tokens.admin, { path: '/admin/partners' });
    await page.getByRole('heading', { level: 1, name: '合作机构登记' }).waitFor();
    await page.getByRole('menuitem', { name: /合作机构/ }).waitFor();
    expect(await seriousViolations(page)).toEqual([]);

    await page.getByRole('button', { name: /登记合作机构/ }).click();
    const form = page.getByRole('dialog', { name: '登记合作机构' });
    await form.waitFor();
    expect(await seriousViolations(page)).toEqual([]);
    await page.getByLabel('机构编号').fill('qianmen-elder-care');
    await page.getByLabel('中文名称').fill('前门助老服务社');
    await page.getByLabel('英文名称').fill('Qianmen Elder Care');
    await page.getByLabel('渠道 1 地址').fill('desk@qianmen-care.example');
    await button(page, '保存').click();

    // The webhook secret of registration: shown once, the one stored.
    const secretDialog = page.getByRole('dialog', { name: 'Webhook 签名密钥' });
    await secretDialog.getByText('密钥仅显示这一次').waitFor();
    const first = await page.getByLabel('新的 Webhook 签名密钥', { exact: true }).inputValue();
    expect(first).toBe(await storedSecret('qianmen-elder-care'));
    await secretDialog.getByRole('button', { name: /我已保存/ }).click();
    await secretDialog.waitFor({ state: 'hidden' });

    const row = page.getByRole('row', { name: /前门助老服务社/ });
    await row.getByText('电子邮件: desk@qianmen-care.example').waitFor();
    await row.getByText('启用中').waitFor();
    await row.getByText('服务机构').waitFor();
    const listed = await api(stack, 'GET', '/api/partners/qianmen-elder-care', { token: tokens.admin });
    expect(listed.body).toMatchObject({ kind: 'service-agency', locale: 'zh-CN', active: true, channels: [{ type: 'email', address: 'desk@qianmen-care.example' }] });
    await saveScreenshot(page, 'admin-partners');

    // Rotating: a new secret, shown once, stored; gone from the page when the dialog closes.
    await page.getByRole('button', { name: '轮换密钥 前门助老服务社' }).click();
    await button(page, '确认').click();
    await secretDialog.getByText('密钥仅显示这一次').waitFor();
    const rotated = await page.getByLabel('新的 Webhook 签名密钥', { exact: true }).inputValue();
    expect(rotated).not.toBe(first);
    expect(rotated).toBe(await storedSecret('qianmen-elder-care'));
    expect(await seriousViolations(page)).toEqual([]);
    await secretDialog.getByRole('button', { name: /我已保存/ }).click();
    await secretDialog.waitFor({ state: 'hidden' });
    expect(await page.content()).not.toContain(rotated);
    expect(JSON.stringify((await api(stack, 'GET', '/api/partners', { token: tokens.admin })).body)).not.toContain(rotated);

    // Minting: a lifetime the API refuses is shown beside its field; then the token, shown once, works.
    await page.getByRole('button', { name: '签发令牌 前门助老服务社' }).click();
    const mint = page.getByRole('dialog', { name: /签发访问令牌/ });
    await page.getByLabel('有效期').fill('forever');
    await mint.getByRole('button', { name: '签发令牌' }).click();
    await fieldItem(page, '有效期').getByText('must look like 30m, 8h, 7d or 365d').waitFor();
    await page.getByLabel('有效期').fill('8h');
    await mint.getByRole('button', { name: '签发令牌' }).click();
    const tokenDialog = page.getByRole('dialog', { name: '合作机构访问令牌' });
    await tokenDialog.getByText('令牌仅显示这一次').waitFor();
    const token = await page.getByLabel('访问令牌', { exact: true }).inputValue();
    const me = await api(stack, 'GET', '/api/me', { token });
    expect(me.status).toBe(200);
    expect(me.body).toMatchObject({ role: 'partner' });
    await tokenDialog.getByRole('button', { name: /我已保存/ }).click();
    await tokenDialog.waitFor({ state: 'hidden' });
    expect(await page.content()).not.toContain(token);

    // Deactivating revokes the token it minted.
    await page.getByRole('button', { name: '停用 前门助老服务社' }).click();
    await button(page, '确认').click();
    await row.getByText('已停用').waitFor();
    expect((await api(stack, 'GET', '/api/me', { token })).status).toBe(401);
    expect(errors.filter((e) => !/\b400\b/.test(e))).toEqual([]);
    await context.close();
  });

  test("a refused webhook URL, an invalid email and hostile text are the API's errors beside their fields; the page stays usable", async () => {
    const hook = 'http://169.254.169.254/latest/meta-data';
    // What the API says of that URL, asked directly: the page must show exactly this beside the field.
    const direct = await api(stack, 'POST', '/api/partners', { token: tokens.admin, body: { id: 'probe-hook', kind: 'institution', name: 'P', nameZh: '探', channels: [{ type: 'webhook', url: hook }] } });
    expect(direct.status).toBe(422);
    const refused = direct.body.errors[0].detail as string;

    const { page, context, errors } = await openConsole(browser, stack.url, tokens.admin, { path: '/admin/partners' });
    await page.getByRole('button', { name: /登记合作机构/ }).click();
    await page.getByLabel('机构编号').fill('bad-hook');
    await page.getByLabel('中文名称').fill(`坏\u0007名称${'长'.repeat(2000)}`);
    await page.getByLabel('英文名称').fill("Robert'); DROP TABLE partners;-- 🚒");
    await page.getByLabel('渠道 1 地址').fill('not an email');
    await page.getByRole('button', { name: '添加联系渠道' }).click();
    await page.getByLabel('渠道 2 地址').fill(hook);
    expect(await page.getByLabel('渠道 2 类型').isVisible()).toBe(true);
    await button(page, '保存').click();
    // 400 first: the email and the name, each beside its field.
    await fieldItem(page, '渠道 1 地址').getByText(/must be an email address/).waitFor();
    await fieldItem(page, '中文名称').getByText('must be at most 200 characters').waitFor();
    await fieldItem(page, '中文名称').getByText(/must not contain a control character \(U\+0007/).waitFor();

    await page.getByLabel('中文名称').fill('坏钩子');
    await page.getByLabel('渠道 1 地址').fill('desk@bad-hook.example');
    await button(page, '保存').click();
    // 422: the outbound policy's refusal beside the webhook URL.
    await fieldItem(page, '渠道 2 地址').getByText(refused).waitFor();
    expect((await api(stack, 'GET', '/api/partners/bad-hook', { token: tokens.admin })).status).toBe(404);
    expect(await seriousViolations(page)).toEqual([]);

    // Still usable: drop the webhook and it registers.
    await page.getByRole('button', { name: '删除渠道 2' }).click();
    await button(page, '保存').click();
    await page.getByRole('dialog', { name: 'Webhook 签名密钥' }).getByRole('button', { name: /我已保存/ }).click();
    await page.getByRole('row', { name: /坏钩子/ }).waitFor();
    expect((await api(stack, 'GET', '/api/partners/bad-hook', { token: tokens.admin })).body.name).toBe("Robert'); DROP TABLE partners;-- 🚒");
    expect(errors.filter((e) => !/\b(400|422)\b/.test(e))).toEqual([]);
    await context.close();
  });

  test('a supervisor opening the admin pages sees a clear message, and no admin menu entry', async () => {
    const { page, context } = await openConsole(browser, stack.url, tokens.supervisor, { path: '/admin/partners' });
    await page.getByText('未找到：不存在或不在您的辖区范围内').waitFor();
    expect(await page.getByRole('menuitem', { name: /合作机构|工作日历|吹哨紧急程度/ }).count()).toBe(0);
    expect(await page.getByRole('heading', { name: '合作机构登记' }).count()).toBe(0);
    expect(await seriousViolations(page)).toEqual([]);
    await context.close();
  });
});

describe('the working-day calendar', () => {
  test('imports a year with one holiday (errors beside the rows first) and sees it official; in English, pastes JSON for the next year', async () => {
    const { page, context, errors } = await openConsole(browser, stack.url, tokens.admin, { path: '/admin/calendar' });
    await page.getByRole('heading', { level: 1, name: '工作日历' }).waitFor();
    await page.getByLabel('年份').fill('2031');
    await page.getByRole('heading', { name: '导入 2031 年日历' }).waitFor();
    await page.getByTestId('calendar-official').getByText('未导入：按周一至周五暂计').waitFor();
    await page.getByText('该年没有节假日或调休记录').waitFor();
    expect(await seriousViolations(page)).toEqual([]);

    // No source, and a day that does not exist: the API's 400, then its 422, each beside its field.
    await page.getByLabel('第 1 行日期').fill('2031-13-01');
    await page.getByLabel('第 1 行名称').fill('元旦');
    await page.getByRole('button', { name: '导入并替换 2031 年' }).click();
    await fieldItem(page, '来源').locator('.ant-form-item-explain-error').waitFor();
    await page.getByLabel('来源').fill('国办发明电〔2030〕1号');
    await page.getByRole('button', { name: '导入并替换 2031 年' }).click();
    await fieldItem(page, '第 1 行日期').getByText('2031-13-01 is not a real date (YYYY-MM-DD)').waitFor();
    await page.getByLabel('第 1 行日期').fill('2031-01-01');
    await page.getByRole('button', { name: '导入并替换 2031 年' }).click();

    await page.getByTestId('calendar-official').getByText('已导入官方日历').waitFor();
    const row = page.getByRole('row', { name: /2031-01-01/ });
    await row.getByText('元旦').waitFor();
    await row.getByText('法定节假日（休息）').waitFor();
    const stored = await api(stack, 'GET', '/api/calendar/2031', { token: tokens.admin });
    expect(stored.body).toMatchObject({ year: 2031, official: true, source: '国办发明电〔2030〕1号', days: [{ date: '2031-01-01', kind: 'holiday', name: '元旦' }] });
    expect(await seriousViolations(page)).toEqual([]);
    await saveScreenshot(page, 'admin-calendar');

    // English: every label switches; paste a year as JSON and import it.
    await page.getByRole('combobox', { name: '语言' }).click();
    await page.getByTitle('English').click();
    await page.getByRole('heading', { level: 1, name: 'Working-day calendar' }).waitFor();
    await page.getByTestId('calendar-official').getByText('Official calendar imported').waitFor();
    expect(await page.getByText('工作日历').count()).toBe(0);
    await page.getByRole('button', { name: 'Next year' }).click();
    await page.getByRole('heading', { name: 'Import 2032' }).waitFor();
    await page.getByTestId('calendar-official').getByText('Not imported: Monday to Friday assumed').waitFor();
    await page.getByLabel('Paste JSON').fill('{ not json');
    await page.getByRole('button', { name: 'Fill the rows' }).click();
    await page.getByText(/Not calendar JSON/).waitFor();
    await page.getByLabel('Paste JSON').fill(JSON.stringify({ source: 'State Council 2031 notice', days: [{ date: '2032-10-01', kind: 'holiday', name: 'National Day' }, { date: '2032-09-26', kind: 'workday', name: 'National Day (adjusted)' }] }));
    await page.getByRole('button', { name: 'Fill the rows' }).click();
    expect(await page.getByLabel('Row 2 date').inputValue()).toBe('2032-09-26');
    await page.getByRole('button', { name: 'Import and replace 2032' }).click();
    await page.getByTestId('calendar-official').getByText('Official calendar imported').waitFor();
    await page.getByRole('row', { name: /2032-09-26/ }).getByText('Adjusted working day').waitFor();
    expect((await api(stack, 'GET', '/api/calendar/2032', { token: tokens.admin })).body).toMatchObject({ official: true, days: [{ date: '2032-09-26' }, { date: '2032-10-01' }] });
    expect(await seriousViolations(page)).toEqual([]);
    expect(errors.filter((e) => !/\b(400|422)\b/.test(e))).toEqual([]);
    await context.close();
  });
});

describe('whistle urgencies', () => {
  test("admin edits an urgency's check-in deadline: a refused value beside its field, then saved", async () => {
    const { page, context, errors } = await openConsole(browser, stack.url, tokens.admin, { path: '/admin/urgencies' });
    await page.getByRole('heading', { level: 1, name: '吹哨紧急程度' }).waitFor();
    const row = page.getByRole('row', { name: /紧急/ }).filter({ hasText: 'urgent' });
    await row.getByText('30 分钟').waitFor();
    expect(await seriousViolations(page)).toEqual([]);

    await page.getByRole('button', { name: '修改 紧急' }).click();
    const dialog = page.getByRole('dialog', { name: '修改紧急程度：紧急' });
    await dialog.waitFor();
    await page.getByLabel('报到时限数值').fill('0');
    await button(page, '保存').click();
    await fieldItem(page, '报到时限数值').getByText('must be greater than 0').waitFor();
    expect(await seriousViolations(page)).toEqual([]);
    await page.getByLabel('报到时限数值').fill('45');
    await button(page, '保存').click();
    await dialog.waitFor({ state: 'hidden' });
    await row.getByText('45 分钟').waitFor();
    const urgent = (await api(stack, 'GET', '/api/whistle-urgencies', { token: tokens.admin })).body.items.find((u: { code: string }) => u.code === 'urgent');
    expect(urgent).toMatchObject({ checkInGoal: 45, checkInUnit: 'minutes', reportGoal: 24, reportUnit: 'hours' });
    expect(errors.filter((e) => !/\b400\b/.test(e))).toEqual([]);
    await context.close();
  });
});
