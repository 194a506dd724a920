/// <reference lib="dom" />
import fs from 'node:fs';
import path from 'node:path';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { consoleDist } from '../../api/console/routes';

/**
 * The web console's browser tests: Debian's Chromium (CHROMIUM_PATH, default /usr/bin/chromium) driven by
 * playwright-core, headless, against the real stack (test/helpers/stack.ts) serving the built console
 * (web/dist, built by `npm install`; or CONSOLE_DIST). Every page opened here is checked by axe-core and may be saved as a
 * screenshot for the README (SAVE_SCREENSHOTS=1 writes docs/screenshots/<name>.png).
 */

export async function launchChromium(): Promise<Browser> {
  if (!fs.existsSync(path.join(consoleDist(), 'index.html'))) {
    throw new Error(`${consoleDist()} is missing: build the console with \`npm run build:web\` (npm install does)`);
  }
  return chromium.launch({ executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium', args: ['--no-sandbox'] });
}

export interface ConsolePage {
  context: BrowserContext;
  page: Page;
  /** Every console error and CSP violation the page logged: a test expects none. */
  errors: string[];
}

/**
 * A fresh browser context signed in with `token` (sessionStorage, as the sign-in page stores it), in `language`
 * (default zh-CN), at Beijing time shown whatever the machine's zone: the context runs in UTC on purpose; with
 * the "reduce motion" preference.
 */
export async function openConsole(browser: Browser, baseUrl: string, token: string | undefined, opts: { language?: 'zh-CN' | 'en'; path?: string } = {}): Promise<ConsolePage> {
  // Reduced motion, as a user may set it: the console then runs no Ant Design transition. With transitions on, a
  // loaded headless browser could leave one unfinished for good — a button's loading icon stuck in its leave
  // motion kept the button's name "loading 保存" after its request had ended, and role locators never matched.
  const context = await browser.newContext({ timezoneId: 'UTC', locale: opts.language === 'en' ? 'en-US' : 'zh-CN', viewport: { width: 1366, height: 900 }, reducedMotion: 'reduce' });
  await context.addInitScript(
    ([t, lng]) => {
      if (t) sessionStorage.setItem('stationflow.token', t);
      localStorage.setItem('stationflow.language', lng);
    },
    [token ?? '', opts.language ?? 'zh-CN'] as const,
  );
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text());
  });
  page.on('pageerror', (e) => errors.push(String(e)));
  await page.goto(`${baseUrl}/console${opts.path ?? '/'}`);
  return { context, page, errors };
}

const axeSource = fs.readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

export interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: string[];
}

/** axe-core's serious and critical violations on the page as it is now (WCAG 2.1 A and AA rules). */
export async function seriousViolations(page: Page): Promise<AxeViolation[]> {
  // Evaluated through the DevTools protocol: the console's CSP (script-src 'self') does not apply to it.
  await page.evaluate(axeSource);
  const violations = await page.evaluate(async () => {
    const axe = (window as unknown as { axe: { run(ctx: Document, o: object): Promise<{ violations: { id: string; impact: string | null; help: string; nodes: { target: unknown[] }[] }[] }> } }).axe;
    const result = await axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] } });
    return result.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map((n) => JSON.stringify(n.target)) }));
  });
  return violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
}

/** With SAVE_SCREENSHOTS=1, the page as docs/screenshots/<name>.png (the README shows them). */
export async function saveScreenshot(page: Page, name: string): Promise<void> {
  if (process.env.SAVE_SCREENSHOTS !== '1') return;
  const dir = path.resolve(__dirname, '../../docs/screenshots');
  fs.mkdirSync(dir, { recursive: true });
  await page.screenshot({ path: path.join(dir, `${name}.png`), fullPage: true });
}

/**
 * The page at rest before axe looks at it: the pointer off the control just clicked (its hover colour) and no
 * CSS transition or animation running (an error fading in, a button leaving its loading state).
 */
export async function atRest(page: Page): Promise<void> {
  await page.mouse.move(0, 0);
  await page.waitForFunction(() => document.getAnimations().every((a) => a.playState !== 'running'));
}
