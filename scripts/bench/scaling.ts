import { performance } from 'node:perf_hooks';
import { caseLifecycle } from './lifecycle-driver';
import { type Cluster, cpuSeconds, postgresCpuSeconds, startCluster } from './processes';
import type { BenchOptions, Figure, Section, SectionResult } from './section';

/**
 * Two worker processes on one task queue against one (issue 13: ≥ 1.6 × one worker's throughput, on
 * PostgreSQL). Topology as a cluster runs it: one Temporal dev server, one API process (`npm run api`),
 * one or two worker processes (`npm run worker`), a fresh PostgreSQL database. Throughput is whole case
 * lifecycles (create + 6 transitions through the HTTP API) per second, N at concurrency 20; 1-worker and
 * 2-worker rounds interleaved. Each process's CPU use over the round is reported as a share of one core,
 * with the machine's core count: on a small machine the API, the dev server and PostgreSQL share the
 * cores with the workers, and those figures show what bounds the ratio.
 */

const concurrency = 20;
const target = 1.6;

interface Round {
  workers: number;
  casesPerSecond: number;
  seconds: number;
  /** CPU seconds per wall second (1 = one core busy), per process. */
  cpu: Record<string, number>;
}

export const scaling: Section = {
  name: 'scaling',
  async run(o: BenchOptions): Promise<SectionResult> {
    if (!o.databaseUrl) {
      return { figures: [{ name: 'two workers / one worker throughput (PostgreSQL)', value: 'needs DATABASE_URL', target: `≥ ${target}` }], json: { skipped: 'needs DATABASE_URL' } };
    }
    const n = o.quick ? 20 : 100;
    const plan = o.quick ? [1, 2] : [1, 2, 1, 2];
    const cluster = await startCluster({ databaseUrl: o.databaseUrl, workers: 1, log: o.log });
    const rounds: Round[] = [];
    try {
      const staff = await cluster.token({ sub: 'bench-staff', role: 'staff', station: 'qianggen', name: 'Bench social worker' });
      // Warm-up: the workers' bundles, connections and caches, the database's plans.
      await lifecycles(cluster.apiUrl, staff, Math.min(n, 10));
      for (const workers of plan) {
        while (cluster.workers.length < workers) await cluster.addWorker();
        while (cluster.workers.length > workers) await cluster.removeWorker();
        const round = await measure(cluster, staff, n, workers);
        o.log(`scaling: ${workers} worker(s): ${round.casesPerSecond.toFixed(2)} lifecycles/s; CPU ${Object.entries(round.cpu).map(([k, v]) => `${k} ${(v * 100).toFixed(0)} %`).join(', ')}`);
        rounds.push(round);
      }
    } finally {
      await cluster.stop();
    }
    const median = (xs: number[]) => {
      const s = [...xs].sort((a, b) => a - b);
      return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
    };
    const one = median(rounds.filter((r) => r.workers === 1).map((r) => r.casesPerSecond));
    const two = median(rounds.filter((r) => r.workers === 2).map((r) => r.casesPerSecond));
    const ratio = two / one;
    // Each 2-worker round over the 1-worker round just before it: the machine's load drifts between pairs.
    const pairs = rounds.flatMap((r, i) => (r.workers === 2 && rounds[i - 1]?.workers === 1 ? [r.casesPerSecond / rounds[i - 1]!.casesPerSecond] : []));
    const cpuOf = (w: number) => {
      const rs = rounds.filter((r) => r.workers === w);
      const keys = [...new Set(rs.flatMap((r) => Object.keys(r.cpu)))];
      return keys.map((k) => `${k} ${Math.round((rs.reduce((s, r) => s + (r.cpu[k] ?? 0), 0) / rs.length) * 100)} %`).join(', ');
    };
    const cores = (await import('node:os')).availableParallelism();
    const figures: Figure[] = [
      { name: `two workers / one worker throughput (PostgreSQL, ${n} lifecycles, concurrency ${concurrency})`, value: ratio.toFixed(2), target: `≥ ${target}`, met: ratio >= target },
      { name: 'two workers / one worker, each interleaved pair', value: pairs.map((p) => p.toFixed(2)).join(', ') },
      { name: 'one worker: lifecycles/s (median)', value: one.toFixed(2) },
      { name: 'two workers: lifecycles/s (median)', value: two.toFixed(2) },
      // Lifecycles in flight / throughput: how long one lifecycle took; flat across rounds means latency bounds it, not the workers.
      { name: `one lifecycle's duration at concurrency ${concurrency}, 1 → 2 workers`, value: `${(concurrency / one).toFixed(1)} s → ${(concurrency / two).toFixed(1)} s` },
      { name: `one worker: CPU per process (% of a core, ${cores} cores)`, value: cpuOf(1) },
      { name: `two workers: CPU per process (% of a core, ${cores} cores)`, value: cpuOf(2) },
    ];
    return { figures, json: { n, concurrency, cores, ratio, pairs, oneWorker: one, twoWorkers: two, rounds } };
  },
};

async function lifecycles(apiUrl: string, staff: string, n: number): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, n) }, async () => {
      while (next < n) {
        next++;
        await caseLifecycle(apiUrl, staff);
      }
    }),
  );
}

async function measure(cluster: Cluster, staff: string, n: number, workers: number): Promise<Round> {
  const processes: Record<string, number> = { API: cluster.api.pid, 'dev server': cluster.devServer.pid };
  cluster.workers.forEach((w, i) => (processes[`worker ${i + 1}`] = w.pid));
  const cpuBefore = Object.fromEntries(Object.entries(processes).map(([k, pid]) => [k, cpuSeconds(pid)]));
  const pgBefore = postgresCpuSeconds();
  const started = performance.now();
  await lifecycles(cluster.apiUrl, staff, n);
  const seconds = (performance.now() - started) / 1000;
  const cpu = Object.fromEntries(Object.entries(processes).map(([k, pid]) => [k, (cpuSeconds(pid) - cpuBefore[k]!) / seconds]));
  // Every postgres process of the server (its backends for this database and whatever else uses it).
  cpu.PostgreSQL = (postgresCpuSeconds() - pgBefore) / seconds;
  return { workers, casesPerSecond: n / seconds, seconds, cpu };
}
