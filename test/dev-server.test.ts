import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { eventually } from './helpers/stack';

/**
 * Issue 11 B: the Temporal dev server `npm start` runs dies with the process that started it, however that
 * process dies — here by SIGKILL, where no handler of its own can run. Both guards: the kernel's
 * parent-death signal (setpriv, Linux) and the watchdog used where setpriv is missing.
 */
const root = path.join(__dirname, '..');
const childEntry = path.join(__dirname, 'helpers', 'dev-server-child.ts');

/** Alive and not a zombie: a zombie's command line is empty. */
const running = (pid: number) => {
  try {
    return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').length > 0;
  } catch {
    return false;
  }
};

describe('the Temporal dev server dies with the process that started it', () => {
  const started: number[] = [];
  afterAll(() => {
    for (const pid of started) if (running(pid)) process.kill(pid, 'SIGKILL');
  });

  it.each(['pdeathsig', 'watchdog'])('%s: SIGKILL of its parent leaves no dev server', async (guard) => {
    const parent = spawn(process.execPath, ['--import', 'tsx', childEntry], { cwd: root, env: { ...process.env, PARENT_GUARD: guard }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    parent.stdout!.on('data', (d) => (out += d));
    parent.stderr!.on('data', (d) => (out += d));
    const exited = new Promise((resolve) => parent.once('exit', resolve));
    const devServer = await eventually(async () => {
      if (parent.exitCode !== null) throw new Error(`the parent exited:\n${out}`);
      const m = out.match(/^ready (\d+)$/m);
      return m ? Number(m[1]) : undefined;
    }, 60_000, 'the dev server');
    started.push(devServer);
    expect(running(devServer)).toBe(true);
    expect(fs.readFileSync(`/proc/${devServer}/cmdline`, 'utf8').split('\0')).toContain('start-dev');

    parent.kill('SIGKILL');
    await exited;
    await eventually(async () => !running(devServer), 10_000, `the dev server (pid ${devServer}) to die with its parent`);
  }, 90_000);
});
