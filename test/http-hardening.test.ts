import { type ChildProcess, execFile, spawn } from 'node:child_process';
import fs from 'node:fs';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { sql } from 'drizzle-orm';
import { createApp } from '../api/app';
import type { AppDeps } from '../api/http/deps';
import { createHttpServer } from '../api/http/server';
import { loadConfig } from '../config';
import { createLogger } from '../config/logger';
import { openTestDatabase, type TestDatabase } from './helpers/database';
import { freePort } from './helpers/ports';
import { expectProblem } from './helpers/problems';
import { api, eventually, type Stack, useStack } from './helpers/stack';
import { withTemporalAway } from './helpers/temporal-away';

/**
 * Issue 15, items 6 and 7 as a stranger meets them over HTTP: security headers, CORS closed but for configured
 * origins, a per-token bound on writes (429 problem+json), request ids in every response and log line, no
 * caching of personal data, /readyz naming the failing dependency without its error text, error bodies without
 * SQL or stacks, logs without SQL parameters — and DATA_DIR private to the service under `npm start`.
 */

interface Served {
  url: string;
  /** Every log line the API wrote, parsed. */
  lines: Record<string, any>[];
  close(): Promise<void>;
}

/** The API as the stack runs it, on other settings or another database, with its log lines kept. */
async function serve(stack: Stack, config: Partial<AppDeps['config']>, database: AppDeps['database'] = stack.database): Promise<Served> {
  const lines: Record<string, any>[] = [];
  const log = createLogger('info', { write: (line: string) => void lines.push(JSON.parse(line)) });
  const app = createApp({ config: { BODY_LIMIT: '100kb', PUBLIC_URL: undefined, ...config }, database, client: stack.client, temporal: stack.temporal, auth: stack.auth, log });
  const { REQUEST_TIMEOUT, HEADERS_TIMEOUT, KEEP_ALIVE_TIMEOUT } = loadConfig({});
  const server = createHttpServer(app, { REQUEST_TIMEOUT, HEADERS_TIMEOUT, KEEP_ALIVE_TIMEOUT, log });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    lines,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

const origin = 'https://ops.example.org';
const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
/** What must never be in an error body or a log line: SQL, a stack, a driver's or gRPC's own words. */
const internals = /select |insert into|from "|cases_gone|Failed query|params:|\n\s+at |"stack"|ECONNREFUSED|deadline|grpc|\b14 UNAVAILABLE/i;

describe('HTTP hardening (real stack, real HTTP)', () => {
  const { stack, tokens } = useStack({}, { timeout: 120_000 });
  let hardened: Served;
  beforeAll(async () => {
    hardened = await serve(stack, { CORS_ORIGINS: [origin], RATE_LIMIT_WRITES_PER_MINUTE: 5 });
  });
  afterAll(() => hardened?.close());

  describe('security headers', () => {
    it('on JSON, problem+json, the OpenAPI document and health alike; no X-Powered-By', async () => {
      const responses = await Promise.all([
        api(hardened, 'GET', '/api/cases', { token: tokens.staff }),
        api(hardened, 'GET', '/api/cases'),
        api(hardened, 'GET', '/api/no-such-route', { token: tokens.admin }),
        api(hardened, 'GET', '/openapi.json'),
        api(hardened, 'GET', '/healthz'),
      ]);
      expect(responses.map((r) => r.status)).toEqual([200, 401, 404, 200, 200]);
      for (const res of responses) {
        expect(res.headers.get('content-security-policy')).toBe("default-src 'none';frame-ancestors 'none';base-uri 'none';form-action 'none'");
        expect(res.headers.get('x-content-type-options')).toBe('nosniff');
        expect(res.headers.get('x-frame-options')).toBe('SAMEORIGIN');
        expect(res.headers.get('referrer-policy')).toBe('no-referrer');
        expect(res.headers.get('strict-transport-security')).toMatch(/^max-age=\d+/);
        expect(res.headers.get('x-powered-by')).toBeNull();
      }
      // The OpenAPI document is still a usable JSON document.
      expect(responses[3]!.headers.get('content-type')).toMatch(/^application\/json/);
      expect(responses[3]!.body.openapi).toBe('3.1.0');
    });
  });

  describe('CORS', () => {
    const preflight = (url: string, from: string, method = 'POST', headers = 'authorization,content-type,idempotency-key') =>
      fetch(`${url}/api/cases`, { method: 'OPTIONS', headers: { origin: from, 'access-control-request-method': method, 'access-control-request-headers': headers } });

    it('an allowed origin: its preflight answered 204 with the methods and headers the API takes; its requests echo it, never *, never with credentials', async () => {
      const pre = await preflight(hardened.url, origin);
      expect(pre.status).toBe(204);
      expect(pre.headers.get('access-control-allow-origin')).toBe(origin);
      expect(pre.headers.get('access-control-allow-methods')).toEqual(expect.stringContaining('POST'));
      expect(pre.headers.get('access-control-allow-headers')?.toLowerCase().split(',')).toEqual(expect.arrayContaining(['authorization', 'content-type', 'idempotency-key']));
      expect(pre.headers.get('access-control-allow-credentials')).toBeNull();
      expect(pre.headers.get('vary')).toMatch(/Origin/);

      const res = await api(hardened, 'GET', '/api/cases', { token: tokens.staff, headers: { origin } });
      expect(res.status).toBe(200);
      expect(res.headers.get('access-control-allow-origin')).toBe(origin);
      expect(res.headers.get('access-control-expose-headers')?.split(',')).toEqual(expect.arrayContaining(['X-Request-Id', 'Retry-After', 'Location']));
      expect(res.headers.get('access-control-allow-credentials')).toBeNull();
      // The OpenAPI document too, for a documentation page served from that origin.
      expect((await api(hardened, 'GET', '/openapi.json', { headers: { origin } })).headers.get('access-control-allow-origin')).toBe(origin);
    });

    it.each([
      ['another origin', 'https://evil.example'],
      ['the allowed host over http', 'http://ops.example.org'],
      ['a subdomain', 'https://x.ops.example.org'],
      ['a prefix match', 'https://ops.example.org.evil.example'],
      ['null', 'null'],
    ])('%s: preflight refused (403 problem+json), requests carry no Access-Control-Allow-Origin', async (_what, from) => {
      const pre = await preflight(hardened.url, from);
      expect(pre.status).toBe(403);
      expect(pre.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      expect(((await pre.json()) as { type: string }).type).toBe('/problems/cors-origin-not-allowed');
      expect(pre.headers.get('access-control-allow-origin')).toBeNull();
      const res = await api(hardened, 'GET', '/api/cases', { token: tokens.staff, headers: { origin: from } });
      expect(res.status).toBe(200);
      expect(res.headers.get('access-control-allow-origin')).toBeNull();
    });

    it('closed by default: without CORS_ORIGINS no origin is allowed', async () => {
      const pre = await preflight(stack.url, origin);
      expect(pre.status).toBe(403);
      expect(pre.headers.get('access-control-allow-origin')).toBeNull();
      expect((await api(stack, 'GET', '/api/cases', { token: tokens.staff, headers: { origin } })).headers.get('access-control-allow-origin')).toBeNull();
    });
  });

  describe('rate limit on writes', () => {
    it('per token: the sixth and later writes of a minute are 429 problem+json with Retry-After and RateLimit headers; another token and reads are not affected', async () => {
      const [a, aAgain, b] = await Promise.all([
        stack.token({ role: 'staff', station: 'qianggen', sub: 'limited-a' }),
        stack.token({ role: 'staff', station: 'qianggen', sub: 'limited-a', name: 'same principal, another token' }),
        stack.token({ role: 'staff', station: 'qianggen', sub: 'limited-b' }),
      ]);
      // Eight writes at once (refused ones count: each is a write attempt); the body is incomplete, so nothing opens.
      const burst = await Promise.all(Array.from({ length: 8 }, () => api(hardened, 'POST', '/api/cases', { token: a, body: {} })));
      const statuses = burst.map((r) => r.status).sort();
      expect(statuses).toEqual([400, 400, 400, 400, 400, 429, 429, 429]);
      for (const res of burst.filter((r) => r.status === 429)) {
        expectProblem(res, 429, { type: 'too-many-requests', detail: /at most 5 a minute for one token; try again in \d+ s/ });
        const retryAfter = Number(res.headers.get('retry-after'));
        expect(Number.isInteger(retryAfter) && retryAfter >= 1 && retryAfter <= 60).toBe(true);
        expect(res.headers.get('ratelimit')).toMatch(/^"writes"; r=0; t=\d+$/);
        expect(res.headers.get('ratelimit-policy')).toMatch(/^"writes"; q=5; w=60; pk=:[A-Za-z0-9+/=]+:$/);
        expect(res.headers.get('cache-control')).toBe('no-store');
        expect(res.headers.get('x-request-id')).toMatch(uuid);
      }
      // The same principal with another token of its own is still limited; another principal is not.
      expect((await api(hardened, 'POST', '/api/cases', { token: aAgain, body: {} })).status).toBe(429);
      const other = await api(hardened, 'POST', '/api/cases', { token: b, body: {} });
      expect(other.status).toBe(400);
      expect(other.headers.get('ratelimit')).toMatch(/^"writes"; r=4; t=\d+$/);
      // Reads are not limited, nor counted.
      const reads = await Promise.all(Array.from({ length: 12 }, () => api(hardened, 'GET', '/api/cases', { token: a })));
      expect(reads.map((r) => r.status)).toEqual(Array(12).fill(200));
      expect(reads[0]!.headers.get('ratelimit')).toBeNull();
    });

    it('without a valid token, per client address: refused tokens count too', async () => {
      const burst = await Promise.all(
        Array.from({ length: 7 }, (_, i) => api(hardened, 'POST', '/api/cases', { body: {}, ...(i % 2 ? { token: 'not.a.token' } : {}) })),
      );
      expect(burst.map((r) => r.status).sort()).toEqual([401, 401, 401, 401, 401, 429, 429]);
      for (const res of burst) expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    });

    it('is in the OpenAPI document: every write under /api may answer 429 problem+json with Retry-After; reads do not', async () => {
      const doc = (await api(hardened, 'GET', '/openapi.json')).body;
      const writes = Object.entries(doc.paths as Record<string, Record<string, any>>)
        .filter(([route]) => route.startsWith('/api/'))
        .flatMap(([route, item]) => Object.entries(item).map(([method, operation]) => ({ route, method, operation })));
      expect(writes.filter((w) => ['post', 'put', 'patch', 'delete'].includes(w.method)).length).toBeGreaterThan(20);
      for (const { method, operation } of writes) {
        if (['post', 'put', 'patch', 'delete'].includes(method)) {
          expect(operation.responses['429']).toMatchObject({ headers: { 'Retry-After': expect.any(Object) }, content: { 'application/problem+json': expect.any(Object) } });
        } else if (method === 'get') {
          expect(operation.responses['429']).toBeUndefined();
        }
      }
    });

    it('is off when not configured (the stack runs without it)', async () => {
      const burst = await Promise.all(Array.from({ length: 12 }, () => api(stack, 'POST', '/api/cases', { token: tokens.staff, body: {} })));
      expect(burst.map((r) => r.status)).toEqual(Array(12).fill(400));
    });
  });

  describe('request ids', () => {
    it('generated when absent or malformed, the caller\'s kept when well-formed; on every response, errors and health included', async () => {
      const [fresh, kept, malformed, long, unauthorized, health] = await Promise.all([
        api(hardened, 'GET', '/api/cases', { token: tokens.staff }),
        api(hardened, 'GET', '/api/cases', { token: tokens.staff, headers: { 'x-request-id': 'trace-7f3a:0001' } }),
        api(hardened, 'GET', '/api/cases', { token: tokens.staff, headers: { 'x-request-id': 'two words' } }),
        api(hardened, 'GET', '/api/cases', { token: tokens.staff, headers: { 'x-request-id': 'x'.repeat(129) } }),
        api(hardened, 'GET', '/api/cases', { headers: { 'x-request-id': 'caller-401' } }),
        api(hardened, 'GET', '/healthz'),
      ]);
      expect(fresh.headers.get('x-request-id')).toMatch(uuid);
      expect(kept.headers.get('x-request-id')).toBe('trace-7f3a:0001');
      expect(malformed.headers.get('x-request-id')).toMatch(uuid);
      expect(long.headers.get('x-request-id')).toMatch(uuid);
      expect(unauthorized.status).toBe(401);
      expect(unauthorized.headers.get('x-request-id')).toBe('caller-401');
      expect(health.headers.get('x-request-id')).toMatch(uuid);
      const ids = [fresh, malformed, long, health].map((r) => r.headers.get('x-request-id'));
      expect(new Set(ids).size).toBe(ids.length);
    });

    it('in the request\'s log line, by the id the response names', async () => {
      const res = await api(hardened, 'GET', '/api/cases', { token: tokens.staff, headers: { 'x-request-id': 'trace-log-line-1' } });
      const lines = await eventually(async () => {
        const found = hardened.lines.filter((l) => l.reqId === 'trace-log-line-1');
        return found.length > 0 && found;
      }, 5000, 'the request line');
      expect(res.headers.get('x-request-id')).toBe('trace-log-line-1');
      expect(lines).toEqual([expect.objectContaining({ msg: 'request completed', req: expect.objectContaining({ id: 'trace-log-line-1', path: '/api/cases' }) })]);
      // Every request line names its request both ways.
      for (const l of hardened.lines.filter((x) => x.req)) expect(l.reqId).toBe(l.req.id);
    });
  });

  it('Cache-Control: no-store (and Pragma: no-cache) on every /api response: data, problems, 404s', async () => {
    const responses = await Promise.all([
      api(hardened, 'GET', '/api/cases', { token: tokens.staff }),
      api(hardened, 'GET', '/api/cases'),
      api(hardened, 'GET', '/api/cases/QG-20990101-0001', { token: tokens.staff }),
      api(stack, 'GET', '/api/cases', { token: tokens.supervisor }),
    ]);
    expect(responses.map((r) => r.status)).toEqual([200, 401, 404, 200]);
    for (const res of responses) {
      expect(res.headers.get('cache-control')).toBe('no-store');
      expect(res.headers.get('pragma')).toBe('no-cache');
    }
  });

  describe('when a dependency fails', () => {
    let broken: TestDatabase;
    let down: TestDatabase;
    beforeAll(async () => {
      [broken, down] = await Promise.all([openTestDatabase(), openTestDatabase({ seed: false })]);
    });
    afterAll(async () => {
      await broken?.drop();
      await down?.drop().catch(() => undefined); // closed already
    });

    it('a database error: 500 problem+json without SQL, parameters or stack; logged with the request id and without them either', async () => {
      // The cases table gone under the API: every query of it fails in the driver.
      await broken.db.execute(sql`alter table cases rename to cases_gone`);
      const served = await serve(stack, {}, broken);
      try {
        const res = await api(served, 'GET', '/api/cases?stationId=qianggen&stage=accept', { token: tokens.admin, headers: { 'x-request-id': 'trace-db-error' } });
        expectProblem(res, 500, { detail: /^An unexpected error occurred; it has been logged\.$/ });
        expect(res.body.type).toBe('about:blank');
        expect(JSON.stringify(res.body)).not.toMatch(internals);
        expect(res.headers.get('x-request-id')).toBe('trace-db-error');
        // pino-http's line is written once the response has finished, which the client may see first.
        await eventually(async () => served.lines.some((l) => l.req?.id === 'trace-db-error'), 5000, "the request's own line");
        const failed = served.lines.find((l) => l.msg === 'request failed');
        expect(failed).toMatchObject({ level: 50, reqId: 'trace-db-error', err: { type: 'DrizzleQueryError', cause: { type: 'DatabaseError', code: '42P01' } } });
        // Every line written while the request was handled names it; none carries the statement or its parameters.
        expect(served.lines.length).toBeGreaterThanOrEqual(2);
        for (const l of served.lines) expect(l.reqId).toBe('trace-db-error');
        expect(JSON.stringify(served.lines)).not.toMatch(/select |from "|params:|\baccept\b|qianggen/i);
      } finally {
        await served.close();
      }
    });

    it('/readyz with the database down names it, not its error; the error is in the log', async () => {
      await down.close();
      const served = await serve(stack, {}, down);
      try {
        const res = await api(served, 'GET', '/readyz', { headers: { 'x-request-id': 'trace-readyz' } });
        expectProblem(res, 503, { type: 'not-ready', detail: /^Not ready: the database does not answer$/ });
        expect(res.body).toMatchObject({ failing: ['database'], checks: { database: { status: 'failing' }, temporal: { status: 'ok' }, worker: { status: 'ok' } } });
        expect(JSON.stringify(res.body)).not.toMatch(/closed|ended|CONNECTION|PGlite/i);
        expect(res.headers.get('x-request-id')).toBe('trace-readyz');
        const logged = served.lines.find((l) => l.msg === 'readiness: the database does not answer');
        expect(logged).toMatchObject({ level: 40, dependency: 'database', reqId: 'trace-readyz', detail: expect.any(String) });
      } finally {
        await served.close();
      }
    });

    it('/readyz with Temporal away names Temporal and the worker, without gRPC\'s text', async () => {
      const res = await withTemporalAway(stack, (away) => api(away, 'GET', '/readyz'));
      expectProblem(res, 503, { type: 'not-ready', detail: /^Not ready: Temporal does not answer; no worker is polling the task queue$/ });
      expect(res.body).toMatchObject({ failing: ['temporal', 'worker'], checks: { database: { status: 'ok' }, temporal: { status: 'failing' }, worker: { status: 'failing' } } });
      expect(JSON.stringify(res.body)).not.toMatch(internals);
      expect(JSON.stringify(res.body)).not.toMatch(/127\.0\.0\.1|localhost|[a-z0-9.]:\d{2,5}\b/);
    });
  });
});

describe('DATA_DIR under npm start: 0700, its files 0600', () => {
  const root = path.resolve(__dirname, '..');
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'stationflow-datadir-'));
  let child: ChildProcess | undefined;
  afterAll(() => {
    if (child?.pid && child.exitCode === null) process.kill(-child.pid, 'SIGKILL');
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  /** Every directory and file under `dir` with its permission bits. */
  const modes = (dir: string): Record<string, number> => {
    const out: Record<string, number> = { '.': fs.statSync(dir).mode & 0o777 };
    for (const entry of fs.readdirSync(dir, { recursive: true, withFileTypes: true })) {
      const full = path.join(entry.parentPath, entry.name);
      if (!entry.isSymbolicLink()) out[path.relative(dir, full)] = fs.lstatSync(full).mode & 0o777;
    }
    return out;
  };

  it('creates its data private, tightens what an earlier version left readable, and answers with the hardened headers and the default write limit', async () => {
    // As an earlier version left it: a world-readable directory and mail file.
    fs.chmodSync(dataDir, 0o755);
    fs.mkdirSync(path.join(dataDir, 'mail'), { mode: 0o755 });
    fs.writeFileSync(path.join(dataDir, 'mail', 'earlier.eml'), 'Subject: earlier\n', { mode: 0o644 });
    fs.chmodSync(path.join(dataDir, 'mail'), 0o755);
    const [port, devPort, uiPort] = [await freePort(), await freePort(), await freePort()];
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      PORT: String(port),
      TEMPORAL_DEV_PORT: String(devPort),
      TEMPORAL_UI_PORT: String(uiPort),
      DATA_DIR: dataDir,
      DATABASE_URL: '',
      TEMPORAL_ADDRESS: '',
      AUTH_SECRET: '',
      PAYLOAD_KEYS: '',
      CORS_ORIGINS: '',
      RATE_LIMIT_WRITES_PER_MINUTE: '',
      LOG_LEVEL: 'warn',
    };
    let output = '';
    child = spawn(process.execPath, ['--import', 'tsx', 'scripts/start.ts'], { cwd: root, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout!.on('data', (d) => (output += d));
    child.stderr!.on('data', (d) => (output += d));
    const exited = new Promise<number | null>((resolve) => child!.once('exit', (code) => resolve(code)));
    const service = { url: `http://127.0.0.1:${port}` };
    await eventually(async () => {
      if (child!.exitCode !== null) throw new Error(`npm start exited early:\n${output}`);
      return (await api(service, 'GET', '/readyz').catch(() => ({ status: 0 }))).status === 200 && output.includes('stationflow is ready');
    }, 150_000, 'npm start to be ready');

    const found = modes(dataDir);
    // What it keeps there: the dev server's SQLite file, the embedded database, the signing secret, the earlier mail.
    for (const name of ['temporal.db', 'pglite', 'auth-secret', path.join('mail', 'earlier.eml')]) expect(Object.keys(found)).toContain(name);
    const open = Object.entries(found).filter(([name, mode]) => (mode & 0o077) !== 0 || (fs.statSync(path.join(dataDir, name)).isDirectory() && mode !== 0o700));
    expect(open.map(([name, mode]) => `${name} ${mode.toString(8)}`)).toEqual([]);
    expect(found['.']).toBe(0o700);
    expect(found['temporal.db']).toBe(0o600);
    expect(found[path.join('mail', 'earlier.eml')]).toBe(0o600);

    // The running service's answers: a request id, the security headers, CORS closed, the default write limit.
    const { stdout } = await promisify(execFile)(path.join(root, 'node_modules', '.bin', 'tsx'), ['scripts/token.ts', '--role', 'staff', '--station', 'qianggen'], { cwd: root, env });
    const res = await api(service, 'POST', '/api/cases', { token: stdout.trim(), body: {}, headers: { origin } });
    expect(res.status).toBe(400);
    expect(res.headers.get('x-request-id')).toMatch(uuid);
    expect(res.headers.get('content-security-policy')).toMatch(/^default-src 'none'/);
    expect(res.headers.get('access-control-allow-origin')).toBeNull();
    expect(res.headers.get('ratelimit-policy')).toMatch(/^"writes"; q=600; w=60;/);

    process.kill(-child.pid!, 'SIGINT');
    expect(await exited).toBe(0);
  }, 240_000);
});

describe('configuration of the hardening', () => {
  it('CORS_ORIGINS: exact origins, comma-separated; none by default; a path, a slash or * refused with the variable named', () => {
    expect(loadConfig({}).CORS_ORIGINS).toEqual([]);
    expect(loadConfig({ CORS_ORIGINS: ' https://ops.example.org , http://localhost:5173 ' }).CORS_ORIGINS).toEqual(['https://ops.example.org', 'http://localhost:5173']);
    for (const bad of ['*', 'https://ops.example.org/', 'https://ops.example.org/app', 'ops.example.org', 'https://*.example.org']) {
      expect(() => loadConfig({ CORS_ORIGINS: bad })).toThrow(/^Invalid configuration: CORS_ORIGINS must be a comma-separated list of exact origins/);
    }
  });

  it('RATE_LIMIT_WRITES_PER_MINUTE: 600 by default (also when empty), 0 turns it off, not negative', () => {
    expect(loadConfig({}).RATE_LIMIT_WRITES_PER_MINUTE).toBe(600);
    expect(loadConfig({ RATE_LIMIT_WRITES_PER_MINUTE: ' ' }).RATE_LIMIT_WRITES_PER_MINUTE).toBe(600);
    expect(loadConfig({ RATE_LIMIT_WRITES_PER_MINUTE: '0' }).RATE_LIMIT_WRITES_PER_MINUTE).toBe(0);
    expect(loadConfig({ RATE_LIMIT_WRITES_PER_MINUTE: '120' }).RATE_LIMIT_WRITES_PER_MINUTE).toBe(120);
    expect(() => loadConfig({ RATE_LIMIT_WRITES_PER_MINUTE: '-1' })).toThrow(/RATE_LIMIT_WRITES_PER_MINUTE must be at least 0/);
    expect(() => loadConfig({ RATE_LIMIT_WRITES_PER_MINUTE: 'lots' })).toThrow(/RATE_LIMIT_WRITES_PER_MINUTE must be a whole number/);
  });
});
