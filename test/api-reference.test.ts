import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { chromium } from 'playwright-core';
import { referencePolicy } from '../api/reference/routes';
import { startApiOnly } from './helpers/api-only';
import { openTestDatabase, type TestDatabase } from './helpers/database';
import { api } from './helpers/stack';

/**
 * The API's front door (issue 16, item 8), through the real HTTP API: /openapi.json names every operation
 * with a unique camelCase operationId and always one server, passes Redocly's recommended lint with no
 * problem at all, is what scripts/openapi-export.ts writes, and GET /docs renders it in a real browser
 * (Redoc from node_modules) under the page's own Content-Security-Policy without a violation.
 */

const run = promisify(execFile);
const root = path.resolve(__dirname, '..');
const methods = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];

type Doc = { servers?: { url: string }[]; paths: Record<string, Record<string, { operationId?: string; summary?: string }>> };
const operationsOf = (doc: Doc) =>
  Object.entries(doc.paths).flatMap(([p, item]) => Object.entries(item).filter(([m]) => methods.includes(m)).map(([m, o]) => ({ name: `${m.toUpperCase()} ${p}`, ...o })));

let database: TestDatabase;
let stack: { url: string; stop(): Promise<void> };
let doc: Doc;
let tmp: string;

beforeAll(async () => {
  database = await openTestDatabase();
  stack = await startApiOnly(database);
  const res = await api(stack, 'GET', '/openapi.json');
  expect(res.status).toBe(200);
  doc = res.body;
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'stationflow-openapi-'));
}, 60_000);

afterAll(async () => {
  await stack?.stop();
  await database?.drop();
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
});

describe('/openapi.json', () => {
  it('gives every operation a unique camelCase operationId', () => {
    const operations = operationsOf(doc);
    expect(operations.length).toBeGreaterThan(60);
    expect(operations.filter((o) => !o.operationId).map((o) => o.name)).toEqual([]);
    expect(operations.filter((o) => !/^[a-z][a-zA-Z0-9]*$/.test(o.operationId!)).map((o) => `${o.name}: ${o.operationId}`)).toEqual([]);
    const seen = new Map<string, string>();
    const duplicates = operations.filter((o) => seen.has(o.operationId!) || !seen.set(o.operationId!, o.name)).map((o) => `${o.operationId} (${seen.get(o.operationId!)}, ${o.name})`);
    expect(duplicates).toEqual([]);
    // The route tables' names, as generated clients call them.
    const ids = Object.fromEntries(operations.map((o) => [o.name, o.operationId]));
    expect(ids['POST /api/cases/{id}/acceptance']).toBe('acceptCase');
    expect(ids['POST /api/cases/{id}/tasks/{taskId}/completion']).toBe('completeCaseTask');
    expect(ids['POST /api/whistles/{id}/check-in']).toBe('checkInWhistle');
    expect(ids['POST /api/cases/{id}/whistles']).toBe('blowWhistle');
  });

  it('always names one server: relative / without PUBLIC_URL', () => {
    expect(doc.servers).toEqual([expect.objectContaining({ url: '/' })]);
  });

  it("is what scripts/openapi-export.ts writes, without Temporal or a database", async () => {
    const out = path.join(tmp, 'exported', 'openapi.json');
    const env = { ...process.env };
    delete env.PUBLIC_URL;
    await run(process.execPath, ['--import', 'tsx', 'scripts/openapi-export.ts', out], { cwd: root, env });
    expect(JSON.parse(fs.readFileSync(out, 'utf8'))).toEqual(doc);

    // PUBLIC_URL names the server (without a trailing slash); a malformed one is refused.
    await run(process.execPath, ['--import', 'tsx', 'scripts/openapi-export.ts', out], { cwd: root, env: { ...env, PUBLIC_URL: 'https://stationflow.example.gov.cn/' } });
    expect(JSON.parse(fs.readFileSync(out, 'utf8')).servers).toEqual([expect.objectContaining({ url: 'https://stationflow.example.gov.cn' })]);
    await expect(run(process.execPath, ['--import', 'tsx', 'scripts/openapi-export.ts', out], { cwd: root, env: { ...env, PUBLIC_URL: 'not a url' } })).rejects.toMatchObject({
      code: 2,
      stderr: expect.stringContaining('PUBLIC_URL must be a http(s) URL'),
    });
  }, 60_000);

  it("passes Redocly's recommended lint (redocly.yaml) with 0 errors and 0 warnings", async () => {
    const file = path.join(tmp, 'live.json');
    fs.writeFileSync(file, JSON.stringify(doc));
    const env = { ...process.env, REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true' };
    const lint = await run(path.join(root, 'node_modules/.bin/redocly'), ['lint', '--config', path.join(root, 'redocly.yaml'), '--format', 'json', file], { cwd: root, env, maxBuffer: 64 << 20 }).catch(
      (err: { stdout: string }) => err,
    );
    const report = JSON.parse(lint.stdout) as { totals: { errors: number; warnings: number; ignored: number }; problems: { ruleId: string; message: string; location: { pointer: string }[] }[] };
    expect(report.problems.map((p) => `${p.ruleId} at ${p.location[0]?.pointer}: ${p.message}`)).toEqual([]);
    expect(report.totals).toEqual({ errors: 0, warnings: 0, ignored: 0 });
  }, 120_000);
});

describe('GET /docs: the API reference', () => {
  it('serves the page and its script with their own Content-Security-Policy', async () => {
    const page = await fetch(`${stack.url}/docs`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/^text\/html; charset=utf-8/);
    expect(page.headers.get('content-security-policy')).toBe(referencePolicy);
    const html = await page.text();
    expect(html).toContain('<redoc spec-url="openapi.json"');
    expect(html).toContain('<script src="docs/redoc.standalone.js"></script>');
    expect(html).not.toMatch(/https?:\/\//);

    const script = await fetch(`${stack.url}/docs/redoc.standalone.js`);
    expect(script.status).toBe(200);
    expect(script.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(script.headers.get('x-content-type-options')).toBe('nosniff');
    expect((await script.text()).length).toBeGreaterThan(500_000);

    // Only the page is loosened: the API's own answers keep default-src 'none'.
    expect((await fetch(`${stack.url}/openapi.json`)).headers.get('content-security-policy')).toMatch(/^default-src 'none'/);
    const slash = await fetch(`${stack.url}/docs/`, { redirect: 'manual' });
    expect(slash.status).toBe(301);
    expect(new URL(slash.headers.get('location')!, `${stack.url}/docs/`).pathname).toBe('/docs');
  });

  it('renders the operations of /openapi.json in a real browser with no CSP violation', async () => {
    const browser = await chromium.launch({ executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium', args: ['--no-sandbox'] });
    try {
      const page = await browser.newPage();
      const errors: string[] = [];
      page.on('console', (m) => {
        if (m.type() === 'error') errors.push(m.text());
      });
      page.on('pageerror', (e) => errors.push(e.message));
      const requests: string[] = [];
      page.on('request', (r) => requests.push(r.url()));
      await page.goto(`${stack.url}/docs`);

      const named = operationsOf(doc).filter((o) => ['acceptCase', 'checkInWhistle', 'listStuckCases', 'blowWhistle'].includes(o.operationId!));
      expect(named).toHaveLength(4);
      for (const o of named) await page.locator('h2', { hasText: o.summary! }).first().waitFor({ timeout: 30_000 });
      // The search index is built by a web worker (blob:): the search box finds operations by their words.
      await page.getByPlaceholder('Search...').fill('urge');
      await page.locator('[data-role="search:results"] li[data-item-id="operation/urgeCase"]').waitFor({ timeout: 30_000 });

      expect(errors.filter((e) => /Content Security Policy|Refused to/i.test(e))).toEqual([]);
      expect(errors).toEqual([]);
      // Nothing from elsewhere: no CDN, no fonts, no telemetry.
      expect(requests.filter((u) => !u.startsWith(stack.url) && !u.startsWith('blob:') && !u.startsWith('data:'))).toEqual([]);
    } finally {
      await browser.close();
    }
  }, 120_000);
});
