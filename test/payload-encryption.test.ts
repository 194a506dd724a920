import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { ApplicationFailure, CancelledFailure, defaultPayloadConverter, type Payload } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import { loadConfig } from '../config';
import { formatPayloadKeys, type PayloadKey } from '../config/payload-keys';
import { caseWorkflowId } from '../temporal/client';
import { EncryptionCodec, ENCRYPTED_ENCODING, isEncryptedPayload, KEY_ID_METADATA_KEY, PayloadDecryptionError, payloadKeys } from '../temporal/codec';
import { safeFailure } from '../temporal/safe-failures';
import { deliveryWorkflowId, whistleWorkflowId } from '../temporal/workflow-ids';
import { caseWorkflow } from '../workflows/case/workflow';
import { caseInput } from './helpers/fixtures';
import { pushedNotice, deliveryOf } from './helpers/partners';
import { api, eventually, useStack } from './helpers/stack';

/**
 * Issue 15, item 1: resident data reaches Temporal only encrypted. A case opened through the API, its
 * whistle and its partner notice's delivery are read back from the server raw — with a client that has no
 * codec, as `temporal workflow show` or the UI without the codec server would — and the resident's name,
 * phone, ID number and address are nowhere in them; the API still shows them to the station's staff.
 */

const resident = { name: '李秀英', phone: '13812345678', address: 'Room 502, Building 7, Xinjiekou Beili' };
const idNumber = '11010119900307451X';
const needles = { name: resident.name, phone: resident.phone, idNumber, address: resident.address };

/** Which needles occur in `bytes` (payload bytes and all), as UTF-8. */
const found = (bytes: Uint8Array, wanted: Record<string, string> = needles): string[] => {
  const hay = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return Object.entries(wanted)
    .filter(([, v]) => hay.includes(Buffer.from(v, 'utf8')))
    .map(([k]) => k);
};

const key = (id: string, fill: number): PayloadKey => ({ id, key: Buffer.alloc(32, fill) });
const plain = (value: unknown): Payload => defaultPayloadConverter.toPayload(value)!;
const valueOf = (p: Payload): unknown => defaultPayloadConverter.fromPayload(p);
const metadata = (p: Payload, k: string) => Buffer.from(p.metadata![k]!).toString('utf8');

describe('payload encryption (temporal/codec.ts)', () => {
  describe('through the running service', () => {
    const { stack, tokens } = useStack({}, { timeout: 120_000 });
    /** A connection without the codec: what an operator of the Temporal CLI or UI has. */
    let raw: Connection;
    beforeAll(async () => {
      raw = await Connection.connect({ address: stack.env.address });
    });
    afterAll(() => raw?.close());

    async function rawHistory(workflowId: string): Promise<Uint8Array> {
      const events: temporal.api.history.v1.IHistoryEvent[] = [];
      let nextPageToken: Uint8Array | undefined;
      do {
        const page = await raw.workflowService.getWorkflowExecutionHistory({ namespace: stack.temporal.namespace, execution: { workflowId }, nextPageToken });
        events.push(...(page.history?.events ?? []));
        nextPageToken = page.nextPageToken?.length ? page.nextPageToken : undefined;
      } while (nextPageToken);
      expect(events.length).toBeGreaterThan(3);
      return temporal.api.history.v1.History.encode({ events }).finish();
    }

    /** Everything else the server keeps of a workflow: description (memo, search attributes, user metadata), visibility, current details. */
    async function rawAroundHistory(workflowId: string): Promise<Uint8Array[]> {
      const { namespace } = stack.temporal;
      const described = await raw.workflowService.describeWorkflowExecution({ namespace, execution: { workflowId } });
      const listed = await raw.workflowService.listWorkflowExecutions({ namespace, query: `WorkflowId = '${workflowId}'` });
      expect(listed.executions).toHaveLength(1);
      const metadataQuery = await raw.workflowService.queryWorkflow({ namespace, execution: { workflowId }, query: { queryType: '__temporal_workflow_metadata' } });
      return [
        temporal.api.workflowservice.v1.DescribeWorkflowExecutionResponse.encode(described).finish(),
        temporal.api.workflowservice.v1.ListWorkflowExecutionsResponse.encode(listed).finish(),
        temporal.api.workflowservice.v1.QueryWorkflowResponse.encode(metadataQuery).finish(),
      ];
    }

    it('the finder finds the resident in a history written without the codec (the check can fail)', async () => {
      const plainClient = new Client({ connection: raw, namespace: stack.temporal.namespace });
      // On a task queue nobody polls: the workflow never runs, its start event holds the input as sent.
      const handle = await plainClient.workflow.start(caseWorkflow, {
        taskQueue: `nobody-polls-${process.pid}`,
        workflowId: caseWorkflowId('QG-20261207-9901'),
        args: [caseInput('QG-20261207-9901', { resident, demand: `ID card ${idNumber}` })],
      });
      try {
        const events = (await handle.fetchHistory()).events ?? [];
        expect(found(temporal.api.history.v1.History.encode({ events }).finish()).sort()).toEqual(['address', 'idNumber', 'name', 'phone']);
      } finally {
        await handle.terminate('control case of the payload encryption test');
      }
    });

    it("a case, its whistle and its partner notice's delivery carry no resident data in Temporal; the API shows it to the station's staff", async () => {
      const reg = await api(stack, 'POST', '/api/partners', {
        token: tokens.admin,
        body: { id: 'encrypted-plumbers', kind: 'service-agency', name: 'Encrypted Plumbers', nameZh: '加密水管工', services: ['home-plumbing-repair'], channels: [{ type: 'email', address: 'desk@encrypted-plumbers.example' }] },
      });
      expect(reg.status).toBe(201);

      const opened = await api(stack, 'POST', '/api/cases', {
        token: tokens.staff,
        body: { serviceCode: 'home-plumbing-repair', demand: `Burst pipe; the resident's ID card ${idNumber} is on file for the repair subsidy`, resident },
      });
      expect(opened.status).toBe(201);
      const caseId = opened.body.id as string;
      const view = () => api(stack, 'GET', `/api/cases/${caseId}`, { token: tokens.staff });
      await eventually(async () => {
        const r = await view();
        return r.status === 200 && r.body.live && r.body.timeline.length >= 2;
      }, 20_000, `case ${caseId} to be recorded`);
      const post = async (step: string, body: unknown) => {
        const r = await api(stack, 'POST', `/api/cases/${caseId}/${step}`, { token: tokens.staff, body });
        expect({ step, status: r.status, body: r.body }).toMatchObject({ status: 200 });
        return r.body;
      };
      await post('acceptance', { decision: 'accept' });
      const whistle = await api(stack, 'POST', `/api/cases/${caseId}/whistles`, {
        token: tokens.staff,
        body: { reason: 'prominent-problem', urgency: 'urgent', summary: 'Water main under the courtyard leaks', location: 'Courtyard gate', departments: ['housing'], lead: 'housing' },
      });
      expect({ status: whistle.status, body: whistle.body }).toMatchObject({ status: 201 });
      const housingCheckIn = await api(stack, 'POST', `/api/whistles/${whistle.body.id}/check-in`, { token: tokens.housing, body: {} });
      expect(housingCheckIn.status).toBe(200);
      await post('diagnosis', { findings: 'The trap is cracked' });
      await post('plan', { goals: ['Water tight'], tasks: [{ title: 'Replace the sink trap', assignee: { kind: 'partner', id: 'encrypted-plumbers' }, dueAt: new Date(Date.now() + 4 * 3_600_000).toISOString() }] });
      const notice = await pushedNotice(stack, caseId);
      await deliveryOf(stack, notice.notificationId, 'delivered');

      // The API, to the case's station: all of it.
      const shown = await view();
      expect(shown.status).toBe(200);
      expect(shown.body.resident).toEqual(resident);
      expect(shown.body.demand).toContain(idNumber);

      // The server: nothing of it, in the histories nor around them.
      const workflowIds = [caseWorkflowId(caseId), whistleWorkflowId(whistle.body.id), deliveryWorkflowId(notice.notificationId)];
      for (const workflowId of workflowIds) {
        expect({ workflowId, found: found(await rawHistory(workflowId)) }).toEqual({ workflowId, found: [] });
        for (const bytes of await rawAroundHistory(workflowId)) expect({ workflowId, found: found(bytes) }).toEqual({ workflowId, found: [] });
      }
      // …because its payloads are encrypted under the service's key, and `temporal workflow query --type caseState` gets ciphertext.
      const history = await raw.workflowService.getWorkflowExecutionHistory({ namespace: stack.temporal.namespace, execution: { workflowId: caseWorkflowId(caseId) } });
      const input = history.history!.events![0]!.workflowExecutionStartedEventAttributes!.input!.payloads![0]!;
      expect(metadata(input, 'encoding')).toBe(ENCRYPTED_ENCODING);
      expect(metadata(input, KEY_ID_METADATA_KEY)).toBe(stack.temporal.payloadKeys[0]!.id);
      const state = await raw.workflowService.queryWorkflow({ namespace: stack.temporal.namespace, execution: { workflowId: caseWorkflowId(caseId) }, query: { queryType: 'caseState' } });
      expect(state.queryResult!.payloads!.map((p) => metadata(p, 'encoding'))).toEqual([ENCRYPTED_ENCODING]);
      expect(found(temporal.api.workflowservice.v1.QueryWorkflowResponse.encode(state).finish())).toEqual([]);
    }, 120_000);
  });

  describe('activity failures (temporal/safe-failures.ts)', () => {
    const failedQuery = () => {
      const cause = Object.assign(new Error('new row for relation "cases" violates check constraint "x"'), { code: '23514', severity: 'ERROR', detail: `Failing row contains (${resident.name}, ${resident.phone}).` });
      return Object.assign(new Error(`Failed query: insert into "cases" ("resident") values ($1)\nparams: {"name":"${resident.name}","phone":"${resident.phone}"}`, { cause }), {
        name: 'DrizzleQueryError',
        query: 'insert into "cases" ("resident") values ($1)',
        params: [resident],
      });
    };

    it('a database failure leaves the activity without its statement, parameters or quoted values, under the same name', () => {
      const safe = safeFailure(failedQuery()) as Error & { cause: Error };
      expect(safe).toBeInstanceOf(Error);
      expect(safe.name).toBe('DrizzleQueryError');
      expect(safe.message).toBe('Failed query (its statement and parameters are not logged)');
      expect(safe.cause.message).toBe('new row for relation "…" violates check constraint "…"');
      for (const text of [safe.message, safe.stack!, safe.cause.message, safe.cause.stack!, JSON.stringify(safe)]) {
        expect(found(Buffer.from(text))).toEqual([]);
      }
    });

    it('an ApplicationFailure keeps its type and flags; other failures are left as they are', () => {
      const wrapped = ApplicationFailure.create({ type: 'RecordFailed', message: 'could not record', nonRetryable: true, cause: failedQuery() });
      const safe = safeFailure(wrapped) as ApplicationFailure;
      expect(safe).toBeInstanceOf(ApplicationFailure);
      expect({ type: safe.type, nonRetryable: safe.nonRetryable, message: safe.message }).toEqual({ type: 'RecordFailed', nonRetryable: true, message: 'could not record' });
      expect(found(Buffer.from(`${safe.cause?.message} ${safe.cause?.stack}`))).toEqual([]);
      const plainError = new Error('webhook answered 500');
      expect(safeFailure(plainError)).toBe(plainError);
      const cancelled = new CancelledFailure('cancelled');
      expect(safeFailure(cancelled)).toBe(cancelled);
    });
  });

  describe('the codec', () => {
    it('round-trips every payload, each under a fresh nonce, with the key id in the metadata', async () => {
      const codec = new EncryptionCodec([key('k1', 1)]);
      const values = [{ resident }, 'x', null, [1, 2, 3]];
      const encoded = await codec.encode(values.map(plain));
      for (const p of encoded) {
        expect(metadata(p, 'encoding')).toBe(ENCRYPTED_ENCODING);
        expect(metadata(p, KEY_ID_METADATA_KEY)).toBe('k1');
        expect(found(p.data!)).toEqual([]);
      }
      expect((await codec.decode(encoded)).map(valueOf)).toEqual(values);
      const [a, b] = await codec.encode([plain('same'), plain('same')]);
      expect(Buffer.from(a!.data!).equals(Buffer.from(b!.data!))).toBe(false);
      expect(await codec.encode([])).toEqual([]);
    });

    it('rotation: old payloads decrypt once a new key is put first; new payloads use the new key id', async () => {
      const before = await new EncryptionCodec([key('2026-01', 1)]).encode([plain({ resident })]);
      const rotated = new EncryptionCodec([key('2026-07', 2), key('2026-01', 1)]);
      expect((await rotated.decode(before)).map(valueOf)).toEqual([{ resident }]);
      const [after] = await rotated.encode([plain({ resident })]);
      expect(metadata(after!, KEY_ID_METADATA_KEY)).toBe('2026-07');
      // The old key alone cannot read what the new one wrote.
      await expect(new EncryptionCodec([key('2026-01', 1)]).decode([after!])).rejects.toThrow(PayloadDecryptionError);
    });

    it('a payload under an unknown key id: an error naming the id (and the known ones), never a key', async () => {
      const [p] = await new EncryptionCodec([key('retired', 9)]).encode([plain('x')]);
      const err = await new EncryptionCodec([key('current', 3)]).decode([p!]).catch((e: unknown) => e as Error);
      expect(err).toBeInstanceOf(PayloadDecryptionError);
      expect((err as Error).message).toMatch(/key id "retired", which is not in PAYLOAD_KEYS \(known: current\)/);
      expect((err as Error).message).not.toContain(Buffer.alloc(32, 3).toString('base64'));
    });

    it('refuses altered ciphertext, nonce or tag, a key id switched to another key, and a missing key id', async () => {
      const codec = new EncryptionCodec([key('a', 1), key('b', 2)]);
      const [p] = await codec.encode([plain({ resident })]);
      const data = Buffer.from(p!.data!);
      for (const at of [0, 12, data.length >> 1, data.length - 1]) {
        const altered = Buffer.from(data);
        altered[at] = altered[at]! ^ 0x01;
        await expect(codec.decode([{ ...p!, data: altered }])).rejects.toThrow(/key id "a" failed authentication/);
      }
      await expect(codec.decode([{ ...p!, data: data.subarray(0, 20) }])).rejects.toThrow(/too short/);
      await expect(codec.decode([{ ...p!, metadata: { ...p!.metadata, [KEY_ID_METADATA_KEY]: Buffer.from('b') } }])).rejects.toThrow(/key id "b" failed authentication/);
      const { [KEY_ID_METADATA_KEY]: _, ...noKeyId } = p!.metadata!;
      await expect(codec.decode([{ ...p!, metadata: noKeyId }])).rejects.toThrow(/no encryption-key-id/);
    });

    it('passes payloads without the encrypted encoding through decode: histories from before encryption', async () => {
      const codec = new EncryptionCodec([key('a', 1)]);
      const before = [plain({ resident }), plain(undefined), { metadata: { encoding: Buffer.from('binary/plain') }, data: Buffer.from([1, 2]) }, {}];
      expect(await codec.decode(before)).toEqual(before);
      expect(before.map(isEncryptedPayload)).toEqual([false, false, false, false]);
      // Mixed, as a history written across the upgrade: each decoded by its own kind.
      const [enc] = await codec.encode([plain('new')]);
      expect((await codec.decode([before[0]!, enc!])).map(valueOf)).toEqual([{ resident }, 'new']);
    });

    it('refuses key sets it cannot use', () => {
      expect(() => new EncryptionCodec([])).toThrow(/at least one key/);
      expect(() => new EncryptionCodec([{ id: 'short', key: Buffer.alloc(16) }])).toThrow(/"short" must be 32 bytes/);
      expect(() => new EncryptionCodec([key('a', 1), key('a', 2)])).toThrow(/"a" is listed twice/);
    });
  });

  describe('PAYLOAD_KEYS and the development key', () => {
    const k1 = key('2026-07', 7);
    const k0 = key('2026-01', 1);

    it('reads the keys newest first, and refuses malformed ones without echoing them', () => {
      const config = loadConfig({ PAYLOAD_KEYS: ` ${formatPayloadKeys([k1])} , ${formatPayloadKeys([k0])} ` });
      expect(payloadKeys(config)).toEqual([k1, k0]);
      const secret = Buffer.alloc(31, 5).toString('base64');
      for (const [value, message] of [
        [`k1:${secret}`, /PAYLOAD_KEYS entry 1 \("k1"\): the key must be 32 bytes .*got 31/],
        [`${formatPayloadKeys([k1])},${formatPayloadKeys([k1])}`, /entry 2 \("2026-07"\): key id "2026-07" is listed twice/],
        [`no-colon-${secret}`, /entry 1 must look like id:base64/],
        [`bad id:${secret}`, /the key id must be/],
        [`k1:not base64!`, /the key must be base64/],
        [',', /must list at least one key/],
      ] as const) {
        const err = (() => {
          try {
            loadConfig({ PAYLOAD_KEYS: value });
          } catch (e) {
            return e as Error;
          }
          throw new Error(`PAYLOAD_KEYS=${value} was accepted`);
        })();
        expect(err.message).toMatch(message);
        expect(err.message).not.toContain(secret);
      }
    });

    it('production refuses to start without PAYLOAD_KEYS', () => {
      const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'sf-keys-'));
      expect(() => payloadKeys(loadConfig({ NODE_ENV: 'production', DATA_DIR: dataDir }))).toThrow(/PAYLOAD_KEYS must be set in production/);
      expect(fs.readdirSync(dataDir)).toEqual([]);
    });

    it('development: one key generated in DATA_DIR/payload-keys (0600) that processes starting at once all agree on', async () => {
      const dataDir = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'sf-keys-')), 'data');
      // Four processes racing to create the file.
      const script = `const { payloadKeys } = require('./temporal/codec'); const [k] = payloadKeys({ NODE_ENV: 'development', dataDir: ${JSON.stringify(dataDir)} }); process.stdout.write(k.id + ':' + k.key.toString('base64'));`;
      const outputs = await Promise.all(
        Array.from({ length: 4 }, () => new Promise<string>((resolve, reject) => {
          const child = spawn(process.execPath, ['--import', 'tsx', '-e', script], { cwd: path.join(__dirname, '..'), stdio: ['ignore', 'pipe', 'pipe'] });
          let out = '';
          let err = '';
          child.stdout.on('data', (d: Buffer) => (out += d.toString()));
          child.stderr.on('data', (d: Buffer) => (err += d.toString()));
          child.on('error', reject);
          child.on('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`child exited ${code}: ${err}`))));
        })),
      );
      expect(new Set(outputs).size).toBe(1);
      const file = path.join(dataDir, 'payload-keys');
      expect(fs.statSync(file).mode & 0o777).toBe(0o600);
      expect(fs.statSync(dataDir).mode & 0o777).toBe(0o700);
      expect(fs.readdirSync(dataDir)).toEqual(['payload-keys']); // no temporary files left
      expect(`${formatPayloadKeys(payloadKeys({ NODE_ENV: 'development', dataDir }))}`).toBe(outputs[0]);
      // PAYLOAD_KEYS, when set, wins over the file.
      expect(payloadKeys({ NODE_ENV: 'development', dataDir, PAYLOAD_KEYS: formatPayloadKeys([k1]) })).toEqual([k1]);
    }, 60_000);

    it('a damaged key file is a clear configuration error naming the file', () => {
      const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'sf-keys-'));
      fs.writeFileSync(path.join(dataDir, 'payload-keys'), 'local-1:tooshort\n');
      expect(() => payloadKeys({ NODE_ENV: 'development', dataDir })).toThrow(new RegExp(`${path.join(dataDir, 'payload-keys')}: entry 1 \\("local-1"\\): the key must be 32 bytes`));
    });
  });
});
