import { type ChildProcess, execFile, spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { openTestDatabase, type TestDatabase } from './helpers/database';
import { api, eventually } from './helpers/stack';

const root = path.resolve(__dirname, '..');
const tsx = path.join(root, 'node_modules', '.bin', 'tsx');

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer().once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

const groupAlive = (pid: number) => {
  try {
    process.kill(-pid, 0);
    return true;
  } catch {
    return false;
  }
};

interface Running {
  child: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
}

/** `npm start` as a user runs it (tsx scripts/start.ts), in its own process group like a terminal job. */
function start(env: NodeJS.ProcessEnv): Running {
  const child = spawn(tsx, ['scripts/start.ts'], { cwd: root, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, output: () => out, exited };
}

async function stopWithCtrlC(running: Running): Promise<number | null> {
  // Ctrl-C in a terminal signals the whole foreground process group.
  process.kill(-running.child.pid!, 'SIGINT');
  const code = await Promise.race([running.exited, new Promise<'hung'>((r) => setTimeout(() => r('hung'), 40_000))]);
  if (code === 'hung') {
    process.kill(-running.child.pid!, 'SIGKILL');
    throw new Error(`npm start did not stop on Ctrl-C:\n${running.output()}`);
  }
  return code;
}

describe('npm start: the whole service on embedded defaults', () => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'stationflow-start-'));
  let database: TestDatabase | undefined;
  let env: NodeJS.ProcessEnv;
  let apiPort: number;
  let uiPort: number;
  const leftovers: Running[] = [];

  beforeAll(async () => {
    // Against real PostgreSQL when the suite runs there; the embedded PGlite otherwise.
    if (process.env.TEST_DATABASE_URL) database = await openTestDatabase({ seed: false });
    [apiPort, uiPort] = [await freePort(), await freePort()];
    env = {
      ...process.env,
      PORT: String(apiPort),
      TEMPORAL_DEV_PORT: String(await freePort()),
      TEMPORAL_UI_PORT: String(uiPort),
      DATA_DIR: dataDir,
      DATABASE_URL: database?.url ?? '',
      TEMPORAL_ADDRESS: '',
      AUTH_SECRET: '',
      LOG_LEVEL: 'warn',
    };
  });
  afterAll(async () => {
    for (const r of leftovers) if (r.child.pid && groupAlive(r.child.pid)) process.kill(-r.child.pid, 'SIGKILL');
    await database?.drop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  const stack = () => ({ url: `http://127.0.0.1:${apiPort}` });
  const waitReady = async (running: Running) => {
    await eventually(async () => {
      if (running.child.exitCode !== null) throw new Error(`npm start exited early:\n${running.output()}`);
      // Ready, and the banner is out (it is printed just after the API starts listening).
      return (await api(stack(), 'GET', '/readyz')).status === 200 && running.output().includes('stationflow is ready');
    }, 120_000, 'readiness');
  };

  let caseId: string;

  it('starts, becomes ready, opens a case with a minted token, shows it in the Temporal UI, and stops on Ctrl-C leaving no process', async () => {
    const running = start(env);
    leftovers.push(running);
    await waitReady(running);
    expect(running.output()).toContain('stationflow is ready');
    expect(running.output()).toContain(`http://localhost:${uiPort}`);

    const { stdout } = await promisify(execFile)(tsx, ['scripts/token.ts', '--role', 'staff', '--station', 'qianggen', '--sub', 'wang'], { cwd: root, env });
    const token = stdout.trim();
    const created = await api(stack(), 'POST', '/api/cases', {
      token,
      body: { serviceCode: 'legal-consultation', demand: 'Lease dispute with landlord', resident: { name: 'Zhao', phone: '13700000000' } },
    });
    expect(created.status).toBe(201);
    caseId = created.body.id;
    const shown = await eventually(async () => {
      const r = await api(stack(), 'GET', `/api/cases/${caseId}`, { token });
      return r.status === 200 && r.body.timeline.length === 2 && r;
    }, 20_000, 'the case with its commitments');
    expect(shown.body.stage).toBe('accept');

    const ui = await eventually(async () => {
      const res = await fetch(`http://127.0.0.1:${uiPort}/api/v1/namespaces/default/workflows`);
      const text = await res.text();
      return res.ok && text.includes(`case-${caseId}`) && text;
    }, 20_000, 'the Temporal UI to list the workflow');
    expect(ui).toContain('caseWorkflow');

    expect(await stopWithCtrlC(running)).toBe(0);
    await eventually(async () => !groupAlive(running.child.pid!), 10_000, 'every process of npm start to exit');
    await expect(fetch(`http://127.0.0.1:${uiPort}/`)).rejects.toThrow();
  });

  it('keeps earlier cases across a restart (both stores persist)', async () => {
    const running = start(env);
    leftovers.push(running);
    await waitReady(running);
    const { stdout } = await promisify(execFile)(tsx, ['scripts/token.ts', '--role', 'supervisor', '--subdistrict', 'xinjiekou'], { cwd: root, env });
    // The case is read back after the restart: from both stores (live: the workflow answered).
    const res = await eventually(async () => {
      const r = await api(stack(), 'GET', `/api/cases/${caseId}`, { token: stdout.trim() });
      return r.status === 200 && r.body.timeline.length >= 2 && r;
    }, 20_000, 'the case with its commitments');
    expect(res.body).toMatchObject({ id: caseId, live: true, stage: 'accept' });
    // Opened, and its commitments set; nothing lost or doubled by the restart.
    expect(res.body.timeline.map((e: { type: string }) => e.type)).toEqual(['case.opened', 'commitments.set']);
    expect(await stopWithCtrlC(running)).toBe(0);
    await eventually(async () => !groupAlive(running.child.pid!), 10_000, 'every process of npm start to exit');
  });

  it('refuses a bad configuration with one line naming the variable', async () => {
    const running = start({ ...env, PORT: 'eighty' });
    leftovers.push(running);
    expect(await running.exited).toBe(2);
    expect(running.output().trim()).toMatch(/^Invalid configuration: PORT .*\(got "eighty"\)$/);
  });

  it('mints tokens only for valid claims', async () => {
    await expect(promisify(execFile)(tsx, ['scripts/token.ts', '--role', 'staff'], { cwd: root, env })).rejects.toMatchObject({
      code: 2,
      stderr: expect.stringContaining('--station: a staff token needs a station'),
    });
  });
});
