import { spawn } from 'node:child_process';
import path from 'node:path';

const root = path.resolve(__dirname, '..');

/**
 * `npm run bench -- --quick` as CI runs it: it ends with exit code 0 and its last stdout line is the JSON of
 * the figures, each a number. No thresholds: the figures are printed, not asserted.
 */
describe('npm run bench -- --quick', () => {
  it('runs every section against npm start and prints their figures as JSON', async () => {
    const env = { ...process.env, DATABASE_URL: process.env.TEST_DATABASE_URL ?? '', BENCH_SECTIONS: '' };
    const child = spawn('npm', ['run', '-s', 'bench', '--', '--quick'], { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    if (code !== 0) throw new Error(`npm run bench exited with ${code}:\n${stderr.slice(-4000)}`);

    const last = stdout.trimEnd().split('\n').at(-1)!;
    const result = JSON.parse(last);
    expect(result).toMatchObject({ quick: true, database: process.env.TEST_DATABASE_URL ? 'postgresql' : 'pglite' });
    const l = result.bench.lifecycle;
    const numbers: Record<string, unknown> = {
      'p1.medianRatio': l.p1.medianRatio,
      'p1.pairs[0].ours': l.p1.pairs[0].ours,
      'p1.pairs[0].bare': l.p1.pairs[0].bare,
      'p1.serialMedianRatio': l.p1.serialMedianRatio,
      'p2.createP99': l.p2.createP99,
      'p2.bareStartP99': l.p2.bareStartP99,
      'p2.bareUpdateP50': l.p2.bareUpdateP50,
      ...Object.fromEntries(['accept', 'diagnose', 'plan', 'complete-task', 'close', 'evaluate'].map((s) => [`p2.transitions.${s}.ours`, l.p2.transitions[s]?.ours])),
      'readModelLag.p50': l.readModelLag.p50,
      'readModelLag.p99': l.readModelLag.p99,
      'readModelLag.max': l.readModelLag.max,
      'history.ours': l.history.ours,
      'history.bare': l.history.bare,
    };
    const { 'repeat-rule': repeat, timers, memory, scaling, transition } = result.bench;
    Object.assign(numbers, {
      'transition.apiP50': transition.apiP50,
      'transition.directP50': transition.directP50,
      'transition.workflowTaskP50': transition.workflowTaskP50,
      'transition.writeP50': transition.writeP50,
      'repeat-rule.ratioP50': repeat.ratioP50,
      'timers.firedMs.p99': timers.firedMs.p99,
      'memory.embedded.loaded.rssMb': memory.embedded.loaded.rssMb,
      ...(process.env.TEST_DATABASE_URL ? { 'scaling.ratio': scaling.ratio } : {}),
    });
    expect(timers.missing).toBe(0);
    if (!process.env.TEST_DATABASE_URL) expect(scaling).toEqual({ skipped: 'needs DATABASE_URL' });
    const notNumeric = Object.entries(numbers).filter(([, v]) => typeof v !== 'number' || !Number.isFinite(v));
    expect(notNumeric).toEqual([]);
    expect(l.updatesPerLifecycle).toBe(7);
    // One change, one write: the accept update's workflow task runs one local activity.
    expect(transition.localActivitiesPerUpdate).toBe(1);
    // The table is printed above the JSON line.
    expect(stdout).toContain('P1 lifecycle throughput ours/bare (median)');
  }, 600_000);
});
