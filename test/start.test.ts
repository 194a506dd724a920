import { type ChildProcess, execFile, spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { openTestDatabase, type TestDatabase } from './helpers/database';
import { freePort } from './helpers/ports';
import { api, eventually } from './helpers/stack';

const root = path.resolve(__dirname, '..');
const tsx = path.join(root, 'node_modules', '.bin', 'tsx');

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

/**
 * The processes of a Temporal dev server keeping its SQLite file in `dataDir`, whoever started them
 * (`--db-filename <dataDir>/temporal.db` is on each one's command line).
 */
function devServerProcesses(dataDir: string): number[] {
  const dbFile = path.join(dataDir, 'temporal.db');
  const pids: number[] = [];
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let cmdline: string[];
    try {
      cmdline = fs.readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0');
    } catch {
      continue; // exited meanwhile
    }
    if (cmdline.includes(dbFile) && cmdline.includes('start-dev')) pids.push(Number(entry));
  }
  return pids;
}

/** `npm start` as a user runs it (its script: node --import tsx scripts/start.ts), in its own process group like a terminal job. */
function start(env: NodeJS.ProcessEnv): Running {
  const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/start.ts'], { cwd: root, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
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
    // A dev server that outlived its npm start (the defect these tests catch) is not left running either.
    for (const pid of devServerProcesses(dataDir)) process.kill(pid, 'SIGKILL');
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

    // The web console is served by the same process, and the banner points at it.
    expect(running.output()).toContain(`:${apiPort}/console/`);
    const consolePage = await fetch(`${stack().url}/console/`);
    expect(consolePage.status).toBe(200);
    expect(await consolePage.text()).toContain('<div id="root">');
    expect((await api(stack(), 'GET', '/console/demo-identities')).body.items.length).toBeGreaterThan(3);

    await stopAndExpectNothingLeft(running);
    await expect(fetch(`http://127.0.0.1:${uiPort}/`)).rejects.toThrow();
    // Its waits (readiness 120 s, the case and the UI 20 s each, Ctrl-C 40 s) bound it, as the tests below.
  }, 300_000);

  /** Ctrl-C, exit code 0, and nothing left: neither npm start's processes nor its dev server (a group of its own). */
  const stopAndExpectNothingLeft = async (running: Running) => {
    expect(await stopWithCtrlC(running)).toBe(0);
    await eventually(async () => !groupAlive(running.child.pid!), 10_000, 'every process of npm start to exit');
    expect(devServerProcesses(dataDir)).toEqual([]);
  };

  /** The case the first test opened, read back after a restart: from both stores (live: the workflow answered). */
  const expectEarlierCase = async () => {
    const { stdout } = await promisify(execFile)(tsx, ['scripts/token.ts', '--role', 'supervisor', '--subdistrict', 'xinjiekou'], { cwd: root, env });
    const res = await eventually(async () => {
      const r = await api(stack(), 'GET', `/api/cases/${caseId}`, { token: stdout.trim() });
      return r.status === 200 && r.body.timeline.length >= 2 && r;
    }, 20_000, 'the case with its commitments');
    expect(res.body).toMatchObject({ id: caseId, live: true, stage: 'accept' });
    // Opened, and its commitments set; nothing lost or doubled by the restart.
    expect(res.body.timeline.map((e: { type: string }) => e.type)).toEqual(['case.opened', 'commitments.set']);
  };

  it('keeps earlier cases across a restart (both stores persist)', async () => {
    const running = start(env);
    leftovers.push(running);
    await waitReady(running);
    await expectEarlierCase();
    await stopAndExpectNothingLeft(running);
  }, 300_000);

  it('takes its dev server with it when killed (kill -9), and starts again on the same ports and data with the earlier case', async () => {
    const killed = start(env);
    leftovers.push(killed);
    await waitReady(killed);
    expect(devServerProcesses(dataDir)).toHaveLength(1);
    // kill -9 of the node process: no handler runs, nothing is stopped in order.
    process.kill(killed.child.pid!, 'SIGKILL');
    expect(await killed.exited).toBeNull();
    await eventually(async () => devServerProcesses(dataDir).length === 0, 10_000, `the dev server to die with npm start (left: ${devServerProcesses(dataDir).join(', ')})`);

    const again = start(env);
    leftovers.push(again);
    await waitReady(again);
    await expectEarlierCase();
    await stopAndExpectNothingLeft(again);
  }, 300_000);

  it('stops with one line and exit code 1 when its dev server dies under it', async () => {
    const running = start(env);
    leftovers.push(running);
    await waitReady(running);
    const [devServer] = devServerProcesses(dataDir);
    const before = running.output().length;
    process.kill(devServer!, 'SIGKILL');
    const code = await Promise.race([running.exited, new Promise<'still running'>((r) => setTimeout(() => r('still running'), 60_000))]);
    expect(code).toBe(1);
    // From the kill on, only log lines (LOG_LEVEL=warn: warnings of the stop), one of them an error: no crash, no stack.
    const after = running.output().slice(before).trim().split('\n').map((line) => JSON.parse(line) as { level: number; msg: string });
    expect(after.filter((l) => l.level >= 50).map((l) => l.msg)).toEqual(['the Temporal dev server exited unexpectedly (signal SIGKILL): stopping']);
    await eventually(async () => !groupAlive(running.child.pid!), 10_000, 'every process of npm start to exit');
  }, 300_000);

  it.each([
    ['TEMPORAL_DEV_PORT', 'the Temporal dev server'],
    ['TEMPORAL_UI_PORT', 'the Temporal UI'],
    ['PORT', 'the API'],
  ])('stops at once with one line and exit code 1 when %s is in use, attaching to nothing', async (variable, what) => {
    const port = Number(env[variable]);
    const squatter = net.createServer((socket) => socket.end());
    await new Promise<void>((resolve, reject) => squatter.once('error', reject).listen(port, '127.0.0.1', resolve));
    try {
      const running = start(env);
      leftovers.push(running);
      const code = await Promise.race([running.exited, new Promise<'still running'>((r) => setTimeout(() => r('still running'), 60_000))]);
      expect(code).toBe(1);
      const lines = running.output().trim().split('\n');
      expect(lines).toHaveLength(1);
      expect(JSON.parse(lines[0]!)).toMatchObject({
        level: 50,
        msg: `port ${port} (${variable}, ${what}) is already in use by another process — stop that process (an earlier npm start still running?) or set ${variable} to a free port`,
      });
      expect(devServerProcesses(dataDir)).toEqual([]);
    } finally {
      await new Promise((resolve) => squatter.close(resolve));
    }
  }, 120_000);

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
