import crypto from 'node:crypto';
import net from 'node:net';
import { createHttpServer } from '../api/http/server';
import { loadConfig } from '../config';
import { api, eventually, useStack } from './helpers/stack';
import { expectProblem } from './helpers/problems';

/**
 * What a stranger can send from outside — odd cursors, dates, query shapes, path bytes, content types,
 * slow or oversize requests — gets a specific 4xx problem+json, never a 500 or a hang. Real stack, real HTTP;
 * the raw-socket cases speak HTTP/1.1 by hand.
 */

const b64 = (text: string | Buffer) => Buffer.from(text).toString('base64url');

/** Deterministic fuzz bytes: the i-th input is the same on every run (SHA-256 of a counter). */
const fuzzBytes = (i: number, n: number) => crypto.createHash('sha256').update(`http-edge:${i}:${n}`).digest();

interface RawResponse {
  status: number;
  headers: Record<string, string>;
  body: any;
}

/** Parses one HTTP/1.1 response as the server wrote it on the socket. */
function parseRaw(raw: string): RawResponse {
  const end = raw.indexOf('\r\n\r\n');
  if (end < 0) throw new Error(`no complete response head in ${JSON.stringify(raw.slice(0, 200))}`);
  const [statusLine = '', ...lines] = raw.slice(0, end).split('\r\n');
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const i = line.indexOf(':');
    headers[line.slice(0, i).trim().toLowerCase()] = line.slice(i + 1).trim();
  }
  const text = raw.slice(end + 4);
  let body: unknown = text;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    /* not JSON */
  }
  return { status: Number(statusLine.split(' ')[1]), headers, body };
}

/**
 * Opens a raw connection, writes `head` (and `then`, if given, after the first write) and never finishes the
 * request itself: resolves with what the server answered once it closes the connection.
 */
function rawExchange(url: string, head: string): Promise<RawResponse> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = net.connect(Number(port), hostname);
    const chunks: Buffer[] = [];
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.on('error', reject);
    socket.on('close', () => {
      try {
        resolve(parseRaw(Buffer.concat(chunks).toString('utf8')));
      } catch (err) {
        reject(err);
      }
    });
    socket.write(head);
  });
}

function expectRawProblem(res: RawResponse, status: number, type: string, detail: RegExp): void {
  expect({ status: res.status, body: res.body }).toMatchObject({ status, body: { status, type: `/problems/${type}` } });
  expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
  expect(res.body.detail).toMatch(detail);
  expect(Number(res.headers['content-length'])).toBe(Buffer.byteLength(JSON.stringify(res.body)));
  // Answered below express too, it has a request id like every response.
  expect(res.headers['x-request-id']).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
}

const caseId = 'QG-20261123-0001';
const whistleId = `${caseId}-W1`;

describe('edges a stranger can reach over HTTP', () => {
  // Short server timeouts so the slow-client cases end quickly; the defaults are checked on their own below.
  const timeouts = { REQUEST_TIMEOUT: 1500, HEADERS_TIMEOUT: 1000, KEEP_ALIVE_TIMEOUT: 2000 };
  const { stack, tokens } = useStack({ server: timeouts }, { timeout: 120_000 });

  const get = (path: string, token = tokens.admin!) => api(stack, 'GET', path, { token });

  describe('cursors', () => {
    const lists = [
      { path: '/api/cases', token: () => tokens.staff!, valid: [`2026-11-23T06:00:00.000Z|${caseId}`] },
      { path: '/api/whistles', token: () => tokens.housing!, valid: [`|${whistleId}`, `2026-11-23T06:00:00.000Z|${whistleId}`] },
      { path: '/api/whistles', token: () => tokens.supervisor!, valid: [`|${whistleId}`] },
      { path: '/api/partners', token: () => tokens.staff!, valid: ['anju-repair'] },
    ];
    /** Cursors no list ever returned: each must be a 400 naming the cursor. */
    const invalid: [string, string][] = [
      ['the issue’s out-of-range date', b64('+275760-09-13T00:00:00.000Z|x')],
      ['an out-of-range date with a good id', b64(`+275760-09-13T00:00:00.000Z|${caseId}`)],
      ['a negative year', b64(`-000001-12-31T16:00:00.000Z|${caseId}`)],
      ['a date before the supported range', b64(`1999-12-31T00:00:00.000Z|${caseId}`)],
      ['a date after the supported range', b64(`2101-01-02T00:00:00.000Z|${caseId}`)],
      ['a date not as the API writes it', b64(`2026-11-23T06:00:00Z|${caseId}`)],
      ['a date that is not in the calendar', b64(`2026-02-30T00:00:00.000Z|${caseId}`)],
      ['a date that is not a date', b64(`tomorrow|${caseId}`)],
      ['a lone separator', b64('|')],
      ['an empty id', b64('2026-11-23T06:00:00.000Z|')],
      ['too many parts', b64(`2026-11-23T06:00:00.000Z|${caseId}|more`)],
      ['a NUL in the id', b64(`2026-11-23T06:00:00.000Z|${caseId}\u0000`)],
      ['a NUL alone', b64('\u0000')],
      ['a percent-encoded NUL', '%00'],
      ['an id of another shape', b64(`2026-11-23T06:00:00.000Z|${'x'.repeat(150)}`)],
      ['not base64url', '!!!!'],
      ['base64 padding', `${b64(`2026-11-23T06:00:00.000Z|${caseId}`)}=`],
      ['a non-canonical base64url tail', 'QR'],
      ['bytes that are not UTF-8', b64(Buffer.from([0xff, 0xfe, 0x7c, 0xc3]))],
      ['huge', 'A'.repeat(4000)],
    ];

    it.each(invalid)('%s → 400 validation-failed naming the cursor, on every list', async (_what, cursor) => {
      for (const list of lists) {
        const res = await get(`${list.path}?cursor=${cursor}`, list.token());
        expectProblem(res, 400, /cursor/, '#/cursor', 'validation-failed');
      }
    });

    it('the issue’s cursor on GET /api/cases says what is wrong with it', async () => {
      const res = await get(`/api/cases?cursor=${b64('+275760-09-13T00:00:00.000Z|x')}`, tokens.staff!);
      expectProblem(res, 400, /^Invalid request query: cursor: not a cursor this API returned/, '#/cursor', 'validation-failed');
      expect(res.body.errors).toEqual([{ pointer: '#/cursor', detail: 'not a cursor this API returned' }]);
    });

    it('two cursors in one query → 400 naming the cursor', async () => {
      for (const list of lists) {
        const valid = b64(list.valid[0]!);
        expectProblem(await get(`${list.path}?cursor=${valid}&cursor=${valid}`, list.token()), 400, /cursor/, '#/cursor', 'validation-failed');
      }
    });

    it('random bytes, random text and random mutations of good cursors → 400, never a 500 (seeded fuzz)', async () => {
      const seen: string[] = [];
      for (let i = 0; i < 60; i++) {
        const list = lists[i % lists.length]!;
        const [a = 0, b = 0, c = 0] = fuzzBytes(i, 0);
        let bytes: Buffer;
        if (i % 3 === 0) bytes = Buffer.concat([fuzzBytes(i, 1), fuzzBytes(i, 2), fuzzBytes(i, 3)]).subarray(0, 1 + (a % 96));
        else if (i % 3 === 1) bytes = Buffer.from([...Buffer.concat([fuzzBytes(i, 1), fuzzBytes(i, 2)])].slice(0, 1 + (a % 60)).map((x) => 0x20 + (x % 95)));
        else {
          bytes = Buffer.from(list.valid[0]!);
          bytes[b % bytes.length] = [0, 0x7c, 0x2e, 0x5a, 0xff][c % 5]!;
        }
        const cursor = b64(bytes);
        seen.push(cursor);
        const res = await get(`${list.path}?cursor=${cursor}`, list.token());
        // A mutation may by chance make another well-formed cursor: then it is a page, not an error.
        if (res.status === 200 && i % 3 === 2) continue;
        expectProblem(res, 400, /cursor/, '#/cursor', 'validation-failed');
      }
      expect(new Set(seen).size).toBeGreaterThan(50);
    });

    it('well-formed cursors are pages (200), at the edges of the supported range too; an empty cursor is the first page', async () => {
      for (const list of lists) {
        expect((await get(`${list.path}?cursor=`, list.token())).status).toBe(200);
        for (const c of list.valid) {
          const res = await get(`${list.path}?cursor=${b64(c)}`, list.token());
          expect({ status: res.status, body: res.body }).toMatchObject({ status: 200, body: { items: expect.any(Array) } });
        }
      }
      for (const at of ['1999-12-31T16:00:00.000Z', '2100-12-31T16:00:00.000Z']) {
        const res = await get(`/api/cases?cursor=${b64(`${at}|${caseId}`)}`, tokens.staff!);
        expect(res.status).toBe(200);
      }
    });

    /** Every id of a list, one item a page, following its cursors. */
    async function pageThrough(path: string): Promise<string[]> {
      const ids: string[] = [];
      let cursor: string | undefined;
      do {
        const res = await get(`${path}?limit=1${cursor ? `&cursor=${cursor}` : ''}`, tokens.staff!);
        expect(res.status).toBe(200);
        ids.push(...res.body.items.map((item: { id: string }) => item.id));
        cursor = res.body.nextCursor;
      } while (cursor);
      return ids;
    }

    it('the cursors the lists return page through them, one item at a time', async () => {
      for (const id of ['edge-partner-a', 'edge-partner-b', 'edge-partner-c']) {
        const res = await api(stack, 'POST', '/api/partners', {
          token: tokens.admin!,
          body: { id, kind: 'service-agency', name: id, nameZh: id, services: [], channels: [{ type: 'email', address: `desk@${id}.example` }] },
        });
        expect(res.status).toBe(201);
      }
      const all = (await get('/api/partners?limit=100', tokens.staff!)).body.items.map((p: { id: string }) => p.id);
      const paged = await pageThrough('/api/partners');
      expect(paged).toEqual(all);
      expect(paged).toEqual(expect.arrayContaining(['edge-partner-a', 'edge-partner-b', 'edge-partner-c']));

      for (const demand of ['Edge case one', 'Edge case two', 'Edge case three']) {
        const res = await api(stack, 'POST', '/api/cases', {
          token: tokens.staff!,
          body: { serviceCode: 'home-plumbing-repair', demand, resident: { name: `Resident ${demand}` } },
        });
        expect(res.status).toBe(201);
      }
      const cases = await eventually(async () => {
        const res = await get('/api/cases?limit=100', tokens.staff!);
        return res.body.items.length === 3 && (res.body.items.map((c: { id: string }) => c.id) as string[]);
      }, 30_000, 'three cases in the list');
      expect(await pageThrough('/api/cases')).toEqual(cases);
    }, 60_000);
  });

  describe('assessment periods', () => {
    const routes = [
      (q: string) => get(`/api/assessments/departments${q}`, tokens.supervisor!),
      (q: string) => get(`/api/departments/housing/assessment${q}`, tokens.admin!),
    ];

    it('the issue’s period 0000-01-01 to 9999-12-31 → 400 naming both ends', async () => {
      for (const route of routes) {
        const res = await route('?from=0000-01-01&to=9999-12-31');
        expectProblem(res, 400, /from: must be between 2000-01-01 and 2101-01-01/, '#/from', 'validation-failed');
        expect(res.body.errors.map((e: { pointer: string }) => e.pointer)).toEqual(['#/from', '#/to']);
      }
    });

    it.each([
      ['a date before the range', '?from=1999-12-31&to=2026-01-01', '#/from', /between 2000-01-01 and 2101-01-01/],
      ['a date-time before the range', '?from=1999-12-31T15:59:59Z&to=2026-01-01', '#/from', /between/],
      ['a date after the range', '?from=2026-01-01&to=2101-01-02', '#/to', /between/],
      ['a six-digit year', '?from=2026-01-01&to=%2B275760-09-13T00:00:00.000Z', '#/to', /ISO date/],
      ['a day not in the calendar', '?from=2026-02-29&to=2026-03-01', '#/from', /ISO date/],
      ['a month 13', '?from=2026-13-01&to=2027-01-01', '#/from', /ISO date/],
      ['an empty period', '?from=2026-01-01&to=2026-01-01', '#/to', /must be after from/],
      ['a period backwards', '?from=2026-02-01&to=2026-01-01', '#/to', /must be after from/],
      ['two froms', '?from=2026-01-01&from=2026-01-02&to=2026-02-01', '#/from', /from/],
      ['no to', '?from=2026-01-01', '#/to', /required/],
      ['a NUL', '?from=2026-01-01%00&to=2026-02-01', '#/from', /ISO date/],
    ])('%s → 400 naming the field', async (_what, query, pointer, detail) => {
      for (const route of routes) expectProblem(await route(query), 400, detail, pointer, 'validation-failed');
    });

    it('the whole supported range is a period (200)', async () => {
      for (const route of routes) {
        const res = await route('?from=2000-01-01&to=2101-01-01');
        expect({ status: res.status, period: res.body.period }).toEqual({
          status: 200,
          period: { from: '1999-12-31T16:00:00.000Z', to: '2100-12-31T16:00:00.000Z' },
        });
      }
    });
  });

  describe('server timeouts and Node-level client errors', () => {
    const host = () => new URL(stack.url).host;

    it('a client that sends its body too slowly gets 408 problem+json when the whole-request timeout passes', async () => {
      const res = await rawExchange(
        stack.url,
        `POST /api/cases HTTP/1.1\r\nHost: ${host()}\r\nAuthorization: Bearer ${tokens.staff}\r\nContent-Type: application/json\r\nContent-Length: 200\r\n\r\n{"serviceCode":`,
      );
      expectRawProblem(res, 408, 'request-timeout', /within 1500 ms/);
      expect(res.headers.connection).toBe('close');
    }, 20_000);

    it('a client that sends its headers too slowly gets 408 problem+json', async () => {
      const res = await rawExchange(stack.url, `GET /api/cases HTTP/1.1\r\nHost: ${host()}\r\nX-Slow: `);
      expectRawProblem(res, 408, 'request-timeout', /headers must arrive within 1 s/);
    }, 20_000);

    it('an oversize URL → 431 problem+json', async () => {
      const res = await rawExchange(stack.url, `GET /api/cases?stage=${'a'.repeat(20_000)} HTTP/1.1\r\nHost: ${host()}\r\n\r\n`);
      expectRawProblem(res, 431, 'request-header-fields-too-large', /headers are larger than/);
    });

    it('oversize headers → 431 problem+json', async () => {
      const res = await rawExchange(stack.url, `GET /api/cases HTTP/1.1\r\nHost: ${host()}\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`);
      expectRawProblem(res, 431, 'request-header-fields-too-large', /headers are larger than/);
    });

    it.each([
      ['a request line that is not HTTP', 'GARBAGE\r\n\r\n'],
      ['a Content-Length that is not a number', 'POST /api/cases HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n'],
      ['a header without a colon', 'GET /api/cases HTTP/1.1\r\nHost: x\r\nnot a header\r\n\r\n'],
      ['a method HTTP does not have', 'BREW /api/cases HTTP/1.1\r\nHost: x\r\n\r\n'],
      ['both Content-Length and chunked', 'POST /api/cases HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n'],
    ])('%s → 400 problem+json', async (_what, head) => {
      expectRawProblem(await rawExchange(stack.url, head), 400, 'malformed-request', /not a valid HTTP\/1\.1 request/);
    });

    it('a body whose chunk size is not hex → 400 problem+json, though express has the request already', async () => {
      const res = await rawExchange(
        stack.url,
        `POST /api/cases HTTP/1.1\r\nHost: ${host()}\r\nAuthorization: Bearer ${tokens.staff}\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n`,
      );
      expectRawProblem(res, 400, 'malformed-request', /not a valid HTTP\/1\.1 request \(HPE_INVALID_CHUNK_SIZE\)/);
    });

    it('an Expect the server cannot meet → 417 problem+json', async () => {
      const res = await rawExchange(stack.url, `GET /healthz HTTP/1.1\r\nHost: ${host()}\r\nExpect: a-teapot\r\nConnection: close\r\n\r\n`);
      expectRawProblem(res, 417, 'expectation-failed', /only "Expect: 100-continue"/);
    });

    it('an idle keep-alive connection is closed after KEEP_ALIVE_TIMEOUT, which the server announces', async () => {
      const res = await api(stack, 'GET', '/healthz');
      expect({ status: res.status, keepAlive: res.headers.get('keep-alive') }).toEqual({ status: 200, keepAlive: 'timeout=2' });
    });

    it('the defaults are 30 s for a whole request, 10 s for its headers and 5 s of keep-alive', () => {
      const config = loadConfig({});
      expect({ request: config.REQUEST_TIMEOUT, headers: config.HEADERS_TIMEOUT, keepAlive: config.KEEP_ALIVE_TIMEOUT }).toEqual({
        request: 30_000,
        headers: 10_000,
        keepAlive: 5_000,
      });
      const server = createHttpServer(() => {}, config);
      expect({ request: server.requestTimeout, headers: server.headersTimeout, keepAlive: server.keepAliveTimeout }).toEqual({
        request: 30_000,
        headers: 10_000,
        keepAlive: 5_000,
      });
    });

    it('the timeouts are validated at boot, one line naming the variable', () => {
      expect(() => loadConfig({ REQUEST_TIMEOUT: 'soon' })).toThrow(/REQUEST_TIMEOUT must look like 500ms, 5s/);
      expect(() => loadConfig({ HEADERS_TIMEOUT: '0s' })).toThrow(/HEADERS_TIMEOUT must be longer than zero/);
      expect(() => loadConfig({ REQUEST_TIMEOUT: '5s', HEADERS_TIMEOUT: '10s' })).toThrow(/HEADERS_TIMEOUT must not be longer than REQUEST_TIMEOUT/);
      expect(() => loadConfig({ KEEP_ALIVE_TIMEOUT: '2h' })).toThrow(/KEEP_ALIVE_TIMEOUT must be at most 10m/);
    });
  });

  describe('odd queries, paths and bodies', () => {
    it.each([
      ['/api/cases/%E0%A4%A', 'a case id'],
      ['/api/cases/%ZZ/notifications', 'a case id under notifications'],
      ['/api/whistles/%C0', 'a whistle id'],
      ['/api/partners/%', 'a partner id'],
      ['/api/calendar/%FF', 'a calendar year'],
      ['/api/departments/%E0%80/assessment?from=2026-01-01&to=2026-02-01', 'a department id'],
    ])('percent-encoded junk in %s (%s) → 400 naming the path', async (path) => {
      expectProblem(await get(path), 400, /path .* is not valid percent-encoded UTF-8/, undefined, 'malformed-path');
    });

    it.each([
      ['/api/cases?stage=accept&stage=plan', '#/stage'],
      ['/api/cases?limit=99999999999999999999999', '#/limit'],
      ['/api/cases?limit=1e400', '#/limit'],
      ['/api/cases?limit=-1', '#/limit'],
      ['/api/cases?limit=1&limit=2', '#/limit'],
      ['/api/cases?stationId=%00', '#/stationId'],
      ['/api/cases?stationId=qianggen&stationId=other', '#/stationId'],
      ['/api/cases?overdue=yes', '#/overdue'],
      ['/api/whistles?state=a&state=b', '#/state'],
      ['/api/partners?service=%00', '#/service'],
      ['/api/partners?service=a&service=b', '#/service'],
      ['/api/partners?kind[]=x', '#/kind%5B%5D'],
      ['/api/cases?__proto__=x', '#/__proto__'],
      ['/api/cases?constructor=x&stage=accept', '#/constructor'],
    ])('%s → 400 naming %s', async (path, pointer) => {
      expectProblem(await get(path), 400, undefined, decodeURIComponent(pointer), 'validation-failed');
    });

    it.each([
      ['a charset nobody has', 415, 'unsupported-charset', { 'content-type': 'application/json; charset=klingon' }, '{}'],
      ['no media type at all', 415, 'unsupported-media-type', { 'content-type': ';;;' }, '{}'],
      ['text/plain', 415, 'unsupported-media-type', { 'content-type': 'text/plain' }, '{}'],
      ['an encoding nobody has', 415, 'unsupported-encoding', { 'content-type': 'application/json', 'content-encoding': 'zstd-9000' }, '{}'],
      ['gzip that is not gzip', 400, 'malformed-body', { 'content-type': 'application/json', 'content-encoding': 'gzip' }, '{"a":1}'],
      ['JSON cut short', 400, 'malformed-json', { 'content-type': 'application/json' }, '{"serviceCode":'],
      ['a JSON string', 400, 'malformed-json', { 'content-type': 'application/json' }, '"hello"'],
      ['JSON nested 40 000 deep', 400, 'validation-failed', { 'content-type': 'application/json' }, `${'['.repeat(40_000)}${']'.repeat(40_000)}`],
      ['an own __proto__ field', 400, 'validation-failed', { 'content-type': 'application/json' }, '{"__proto__":{"admin":true}}'],
    ])('a body with %s → %i %s', async (_what, status, type, headers, rawBody) => {
      const res = await api(stack, 'POST', '/api/cases', { token: tokens.staff!, headers, rawBody });
      expectProblem(res, status, undefined, undefined, type);
    });
  });
});
