import { execFile } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import net from 'node:net';
import path from 'node:path';
import tls from 'node:tls';
import { promisify } from 'node:util';
import { Connection } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { NativeConnection } from '@temporalio/worker';
import { parse } from 'yaml';
import { ConfigError, loadConfig } from '../config';
import { temporalSettings } from '../config/boot';
import { connectClient, connectWorkerConnection } from '../temporal/client';
import { temporalAccess } from '../temporal/connection';
import { startTestTemporal } from './helpers/stack';

/**
 * Issue 15, item 5: how the API and the worker reach a Temporal cluster other than the embedded dev
 * server — TLS, mTLS, an API key — from configuration (temporal/connection.ts), and the compose file that
 * keeps Temporal's gRPC port and UI off the network.
 */

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sf-tls-'));
const pem = (label: string, body: string) => `-----BEGIN ${label}-----\n${Buffer.from(body).toString('base64')}\n-----END ${label}-----\n`;
const ca = path.join(dir, 'ca.pem');
const cert = path.join(dir, 'client.pem');
const key = path.join(dir, 'client.key');
fs.writeFileSync(ca, pem('CERTIFICATE', 'the CA'));
fs.writeFileSync(cert, pem('CERTIFICATE', 'the client'));
fs.writeFileSync(key, pem('PRIVATE KEY', 'the key'), { mode: 0o600 });

const access = (env: NodeJS.ProcessEnv) => temporalAccess(loadConfig(env));
const failure = (fn: () => unknown): Error => {
  try {
    fn();
  } catch (err) {
    return err as Error;
  }
  throw new Error('no error');
};

describe('the Temporal connection from configuration', () => {
  it('plain gRPC when nothing is configured', () => {
    expect(access({})).toEqual({});
    expect(access({ TEMPORAL_TLS: 'false' })).toEqual({});
  });

  it('TLS with the system CAs, a given CA, a server name', () => {
    expect(access({ TEMPORAL_TLS: 'true' })).toEqual({ tls: {} });
    expect(access({ TEMPORAL_TLS: 'on', TEMPORAL_TLS_SERVER_NAME: 'temporal.internal' })).toEqual({ tls: { serverNameOverride: 'temporal.internal' } });
    // A CA file implies TLS.
    expect(access({ TEMPORAL_TLS_CA: ca })).toEqual({ tls: { serverRootCACertificate: fs.readFileSync(ca) } });
  });

  it('mTLS: the client certificate and its key, both or neither', () => {
    expect(access({ TEMPORAL_TLS_CA: ca, TEMPORAL_TLS_CERT: cert, TEMPORAL_TLS_KEY: key })).toEqual({
      tls: { serverRootCACertificate: fs.readFileSync(ca), clientCertPair: { crt: fs.readFileSync(cert), key: fs.readFileSync(key) } },
    });
    expect(() => loadConfig({ TEMPORAL_TLS_CERT: cert })).toThrow(/TEMPORAL_TLS_KEY must be set together with TEMPORAL_TLS_CERT and TEMPORAL_TLS_KEY/);
    expect(() => loadConfig({ TEMPORAL_TLS_KEY: key })).toThrow(/TEMPORAL_TLS_CERT must be set together/);
  });

  it('an API key (Temporal Cloud) implies TLS and is never sent in the clear', () => {
    expect(access({ TEMPORAL_API_KEY: 'cloud-api-key' })).toEqual({ apiKey: 'cloud-api-key', tls: {} });
    const err = failure(() => access({ TEMPORAL_API_KEY: 'cloud-api-key', TEMPORAL_TLS: 'false' }));
    expect(err).toBeInstanceOf(ConfigError);
    expect(err.message).toMatch(/TEMPORAL_TLS is false but TEMPORAL_API_KEY needs TLS/);
    expect(err.message).not.toContain('cloud-api-key');
    expect(() => access({ TEMPORAL_TLS: '0', TEMPORAL_TLS_CA: ca })).toThrow(/TEMPORAL_TLS is false but TEMPORAL_TLS_CA needs TLS/);
  });

  it('a file that cannot be read, or is no PEM of its kind, is a clear configuration error naming the variable', () => {
    const missing = path.join(dir, 'missing.pem');
    expect(failure(() => access({ TEMPORAL_TLS_CA: missing }))).toMatchObject({ name: 'ConfigError', message: `Invalid configuration: TEMPORAL_TLS_CA names ${JSON.stringify(missing)}, which cannot be read (ENOENT)` });
    expect(() => access({ TEMPORAL_TLS_CERT: cert, TEMPORAL_TLS_KEY: dir })).toThrow(/TEMPORAL_TLS_KEY names .*, which cannot be read \(EISDIR\)/);
    // Swapped certificate and key: each is checked for its own kind, and the key's content is not echoed.
    const swapped = failure(() => access({ TEMPORAL_TLS_CERT: key, TEMPORAL_TLS_KEY: cert }));
    expect(swapped.message).toMatch(/TEMPORAL_TLS_CERT names .*client\.key", which holds no PEM "CERTIFICATE"/);
    expect(swapped.message).not.toContain(Buffer.from('the key').toString('base64'));
    if (process.getuid?.() !== 0) {
      const unreadable = path.join(dir, 'unreadable.pem');
      fs.writeFileSync(unreadable, pem('CERTIFICATE', 'x'), { mode: 0o000 });
      expect(() => access({ TEMPORAL_TLS_CA: unreadable })).toThrow(/TEMPORAL_TLS_CA names .*, which cannot be read \(EACCES\)/);
    }
  });

  it('the API key is a secret: a rejected configuration never echoes it', () => {
    const apiKey = `secret-${crypto.randomBytes(8).toString('hex')}`;
    const err = failure(() => loadConfig({ TEMPORAL_API_KEY: apiKey, TEMPORAL_TLS: 'maybe' }));
    expect(err.message).toMatch(/TEMPORAL_TLS must be true or false \(got "maybe"\)/);
    expect(err.message).not.toContain(apiKey);
  });

  it('applies to a configured cluster only: the embedded dev server speaks plain gRPC', () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'sf-settings-'));
    const configured = temporalSettings(loadConfig({ TEMPORAL_ADDRESS: 'ns.acct.tmprl.cloud:7233', TEMPORAL_API_KEY: 'k', DATA_DIR: dataDir }), 'ns.acct.tmprl.cloud:7233');
    expect(configured.access).toEqual({ apiKey: 'k', tls: {} });
    const embedded = temporalSettings(loadConfig({ TEMPORAL_API_KEY: 'k', DATA_DIR: dataDir }), '127.0.0.1:7233');
    expect(embedded.access).toBeUndefined();
    expect(embedded.payloadKeys).toEqual(configured.payloadKeys); // both the development key in DATA_DIR
  });
});

/**
 * Certificates made with openssl: a CA, the server's (for the name temporal.test, not the address), and a
 * client's for mTLS; and an unknown CA's client certificate.
 */
async function makeCertificates(into: string): Promise<Record<'ca' | 'serverCert' | 'serverKey' | 'clientCert' | 'clientKey' | 'strangerCert' | 'strangerKey', string>> {
  const openssl = (...args: string[]) => promisify(execFile)('openssl', args, { cwd: into });
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'];
  const leaf = async (name: string, ca: string, ext: string) => {
    fs.writeFileSync(path.join(into, `${name}.ext`), ext);
    await openssl('req', ...ec, '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${name}`);
    await openssl('x509', '-req', '-in', `${name}.csr`, '-CA', `${ca}.pem`, '-CAkey', `${ca}.key`, '-CAcreateserial', '-out', `${name}.pem`, '-days', '1', '-extfile', `${name}.ext`);
  };
  for (const ca of ['ca', 'stranger-ca']) await openssl('req', '-x509', ...ec, '-keyout', `${ca}.key`, '-out', `${ca}.pem`, '-days', '1', '-subj', `/CN=${ca}`);
  await leaf('server', 'ca', 'subjectAltName=DNS:temporal.test\nextendedKeyUsage=serverAuth\n');
  await leaf('client', 'ca', 'extendedKeyUsage=clientAuth\n');
  await leaf('stranger', 'stranger-ca', 'extendedKeyUsage=clientAuth\n');
  const at = (f: string) => path.join(into, f);
  return { ca: at('ca.pem'), serverCert: at('server.pem'), serverKey: at('server.key'), clientCert: at('client.pem'), clientKey: at('client.key'), strangerCert: at('stranger.pem'), strangerKey: at('stranger.key') };
}

describe('over mTLS to a real Temporal server', () => {
  // The dev server speaks plain gRPC: a TLS terminator in front of it demands a client certificate of the CA.
  let env: TestWorkflowEnvironment;
  let proxy: tls.Server;
  let address: string;
  let certs: Awaited<ReturnType<typeof makeCertificates>>;
  const sockets = new Set<net.Socket>();
  beforeAll(async () => {
    certs = await makeCertificates(fs.mkdtempSync(path.join(os.tmpdir(), 'sf-mtls-')));
    env = await startTestTemporal();
    const [host, port] = env.address.split(':') as [string, string];
    proxy = tls.createServer(
      { key: fs.readFileSync(certs.serverKey), cert: fs.readFileSync(certs.serverCert), ca: fs.readFileSync(certs.ca), requestCert: true, rejectUnauthorized: true, ALPNProtocols: ['h2'] },
      (client) => {
        const upstream = net.connect(Number(port), host);
        for (const s of [client, upstream]) {
          sockets.add(s);
          s.on('error', () => s.destroy());
          s.on('close', () => sockets.delete(s));
        }
        client.pipe(upstream).pipe(client);
      },
    );
    proxy.on('tlsClientError', () => {});
    await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
    address = `127.0.0.1:${(proxy.address() as net.AddressInfo).port}`;
  }, 120_000);
  afterAll(async () => {
    for (const s of sockets) s.destroy();
    await new Promise((resolve) => proxy?.close(resolve));
    await env?.teardown();
  });

  const settings = (extra: NodeJS.ProcessEnv) =>
    temporalSettings(loadConfig({ TEMPORAL_ADDRESS: address, TEMPORAL_NAMESPACE: env.namespace ?? 'default', DATA_DIR: fs.mkdtempSync(path.join(os.tmpdir(), 'sf-mtls-data-')), ...extra }), address);
  const mtls = () => ({ TEMPORAL_TLS_CA: certs.ca, TEMPORAL_TLS_CERT: certs.clientCert, TEMPORAL_TLS_KEY: certs.clientKey, TEMPORAL_TLS_SERVER_NAME: 'temporal.test' });

  it("the API's client and the worker's connection reach it with the configured CA, client certificate and server name", async () => {
    const s = settings(mtls());
    const client = await connectClient(s);
    try {
      const { namespaceInfo } = await client.workflowService.describeNamespace({ namespace: s.namespace });
      expect(namespaceInfo?.name).toBe(s.namespace);
    } finally {
      await client.connection.close();
    }
    const worker = await connectWorkerConnection(s);
    try {
      const { namespaceInfo } = await worker.workflowService.describeNamespace({ namespace: s.namespace });
      expect(namespaceInfo?.name).toBe(s.namespace);
    } finally {
      await worker.close();
    }
  });

  it('is refused without a client certificate, with one of another CA, in plain gRPC, and under another server name', async () => {
    const attempt = async (extra: NodeJS.ProcessEnv) => {
      const { access } = settings(extra);
      const connection = await Connection.connect({ address, ...access, connectTimeout: 3_000 });
      try {
        await connection.workflowService.describeNamespace({ namespace: env.namespace ?? 'default' });
      } finally {
        await connection.close();
      }
    };
    const { TEMPORAL_TLS_CERT: _c, TEMPORAL_TLS_KEY: _k, ...caOnly } = mtls();
    await expect(attempt(caOnly)).rejects.toThrow();
    await expect(attempt({ ...mtls(), TEMPORAL_TLS_CERT: certs.strangerCert, TEMPORAL_TLS_KEY: certs.strangerKey })).rejects.toThrow();
    await expect(attempt({ TEMPORAL_TLS: 'false' })).rejects.toThrow();
    await expect(attempt({ ...mtls(), TEMPORAL_TLS_SERVER_NAME: 'elsewhere.test' })).rejects.toThrow();
    // The worker's (native) connection too.
    await expect(NativeConnection.connect({ address, ...settings(caOnly).access })).rejects.toThrow();
    // …while the right settings still pass through the same proxy (the refusals are theirs, not the proxy's).
    await expect(attempt(mtls())).resolves.toBeUndefined();
  }, 60_000);
});

describe('docker-compose.yml', () => {
  const root = path.join(__dirname, '..');
  type Service = { ports?: string[]; environment?: Record<string, string> };
  const compose = parse(fs.readFileSync(path.join(root, 'docker-compose.yml'), 'utf8'), { merge: true }) as { services: Record<string, Service> };
  const { services } = compose;

  it("publishes neither Temporal's gRPC port nor, beyond this machine, its UI", () => {
    expect(services.temporal!.ports).toBeUndefined();
    expect(services['temporal-ui']!.ports?.length).toBeGreaterThan(0);
    for (const p of services['temporal-ui']!.ports!) expect(p).toMatch(/^127\.0\.0\.1:\d+:\d+$/);
    // Nothing else publishes a Temporal port either.
    for (const [name, s] of Object.entries(services)) for (const p of s.ports ?? []) expect({ name, p }).not.toEqual({ name, p: expect.stringMatching(/:7233$/) });
  });

  it("points the UI's codec at the API's /codec with credentials and the access token, and requires PAYLOAD_KEYS like AUTH_SECRET", () => {
    expect(services['temporal-ui']!.environment).toMatchObject({
      TEMPORAL_CODEC_ENDPOINT: expect.stringMatching(/^http:\/\/localhost:3000\/codec$/),
      TEMPORAL_CODEC_INCLUDE_CREDENTIALS: 'true',
      TEMPORAL_CODEC_PASS_ACCESS_TOKEN: 'true',
    });
    for (const name of ['api', 'worker']) {
      expect(services[name]!.environment).toMatchObject({
        NODE_ENV: 'production',
        AUTH_SECRET: expect.stringMatching(/^\$\{AUTH_SECRET:\?/),
        PAYLOAD_KEYS: expect.stringMatching(/^\$\{PAYLOAD_KEYS:\?/),
      });
    }
  });

  it('is a valid compose file (docker compose config, where the compose client is installed)', async () => {
    const run = promisify(execFile);
    const present = await run('docker', ['compose', 'version']).then(() => true, () => false);
    if (!present) return; // checked by the YAML above; .ci/run runs `docker compose config` where it can
    const env = { ...process.env, AUTH_SECRET: 'x'.repeat(32), PAYLOAD_KEYS: `k:${Buffer.alloc(32).toString('base64')}` };
    await run('docker', ['compose', 'config', '-q'], { cwd: root, env });
    const { PAYLOAD_KEYS: _, ...withoutKeys } = env;
    await expect(run('docker', ['compose', 'config', '-q'], { cwd: root, env: withoutKeys })).rejects.toThrow(/PAYLOAD_KEYS/);
  });
});
