import { performance } from 'node:perf_hooks';
import { caseWorkflowId } from '../../temporal/client';
import { type Bare, bareUpdateNames, startBare } from './bare';
import { apiGet, caseLifecycle, type LifecycleOptions, type LifecycleResult, type LifecycleStep, lifecycleSteps, lifecycleUpdates, stepEvents } from './lifecycle-driver';
import type { BenchOptions, Figure, Section, SectionResult } from './section';
import { type Service, startService } from './stack';

/**
 * Issue 13's P1, P2, read-model lag and history length: our lifecycle (npm start, through the HTTP API)
 * against bare Temporal (bare.ts) on the same dev server, interleaved A B A B so the machine's noise hits both.
 */

const sizes = (quick: boolean) =>
  quick
    ? { cases: 20, concurrency: 10, pairs: 1, serialCases: 3, serialPairs: 1, warmup: 1 }
    : { cases: 100, concurrency: 10, pairs: 3, serialCases: 10, serialPairs: 2, warmup: 3 };

/** Sampled cases of P1 whose read model is polled: one in `sampleEvery`. */
const sampleEvery = 5;
const pollIntervalMs = 20;
/** An event not visible this long after its answer counts as not visible (and the lag as at least this). */
const lagGiveUpMs = 60_000;

export function percentile(values: number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  // Nearest rank.
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}
export const median = (values: number[]) => {
  if (values.length === 0) return NaN;
  const s = [...values].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

/** Runs fn(0..n-1) with at most `concurrency` at once; the wall time of the whole. */
async function pool<T>(n: number, concurrency: number, fn: (i: number) => Promise<T>): Promise<{ results: T[]; wallMs: number }> {
  const results: T[] = new Array(n);
  let next = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: Math.min(concurrency, n) }, async () => {
      while (next < n) {
        const i = next++;
        results[i] = await fn(i);
      }
    }),
  );
  return { results, wallMs: performance.now() - t0 };
}

/**
 * How far the read model lags behind the answers. An answer that already carries the step's event in its
 * timeline (the API read it from the database before answering) had lag 0. Otherwise, on sampled cases,
 * the read model is polled (GET /api/cases/{id}, whose timeline is read from the database) every 20 ms:
 * the lag lies between the send of the last poll that did not show the event and the answer of the first
 * that did (both − the step's answer); the upper bound is what the figures report.
 */
class LagSampler {
  readonly lags: { step: LifecycleStep; ms: number; lowerMs: number; inAnswer: boolean }[] = [];
  readonly getMs: number[] = [];
  /** Answers without their event on cases not sampled: not measured. */
  unmeasured = 0;
  notVisible = 0;
  pollErrors = 0;
  private readonly loops: Promise<void>[] = [];

  constructor(
    private readonly apiUrl: string,
    private readonly token: string,
  ) {}

  /** The onAnswer hook for one case; `sampled`: poll its read model for what the answers did not show. */
  follow(sampled: boolean): NonNullable<LifecycleOptions['onAnswer']> {
    const pending: { step: LifecycleStep; answeredAt: number; lastMissAt?: number }[] = [];
    let caseId = '';
    let finished = false;
    let started = false;
    const loop = async () => {
      while (!finished || pending.length > 0) {
        if (pending.length === 0) {
          await sleep(pollIntervalMs);
          continue;
        }
        const sentAt = performance.now();
        let types: Set<string> | undefined;
        try {
          const view = await apiGet(this.apiUrl, this.token, `/api/cases/${caseId}`);
          types = new Set((view.timeline as { type: string }[]).map((e) => e.type));
        } catch {
          this.pollErrors += 1;
        }
        const seenAt = performance.now();
        this.getMs.push(seenAt - sentAt);
        for (let i = pending.length - 1; i >= 0; i--) {
          const p = pending[i]!;
          if (p.answeredAt > sentAt) continue; // answered while this poll was under way
          if (types?.has(stepEvents[p.step])) {
            this.lags.push({ step: p.step, ms: seenAt - p.answeredAt, lowerMs: Math.max(0, (p.lastMissAt ?? p.answeredAt) - p.answeredAt), inAnswer: false });
            pending.splice(i, 1);
          } else if (seenAt - p.answeredAt > lagGiveUpMs) {
            this.notVisible += 1;
            this.lags.push({ step: p.step, ms: lagGiveUpMs, lowerMs: lagGiveUpMs, inAnswer: false });
            pending.splice(i, 1);
          } else if (types) {
            p.lastMissAt = sentAt;
          }
        }
        const wait = pollIntervalMs - (performance.now() - sentAt);
        if (wait > 0) await sleep(wait);
      }
    };
    return ({ caseId: id, step, answeredAt, body }) => {
      caseId = id;
      if (step === lifecycleSteps[lifecycleSteps.length - 1]) finished = true;
      const shown = Array.isArray(body?.timeline) && (body.timeline as { type: string }[]).some((e) => e.type === stepEvents[step]);
      if (shown) this.lags.push({ step, ms: 0, lowerMs: 0, inAnswer: true });
      else if (!sampled) this.unmeasured += 1;
      else pending.push({ step, answeredAt });
      if (sampled && !started) {
        started = true;
        this.loops.push(loop());
      }
    };
  }

  async settle(): Promise<void> {
    await Promise.all(this.loops);
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const round = (v: number, digits = 0) => Number(v.toFixed(digits));
const ms = (v: number) => `${v < 10 ? v.toFixed(1) : Math.round(v)} ms`;

function stepTimes(runs: { steps: { name: string; ms: number }[] }[]): Record<string, number[]> {
  const by: Record<string, number[]> = {};
  for (const r of runs) for (const s of r.steps) (by[s.name] ??= []).push(s.ms);
  return by;
}

async function run(o: BenchOptions): Promise<SectionResult> {
  const size = sizes(o.quick);
  const t0 = performance.now();
  let service: Service | undefined;
  let bare: Bare | undefined;
  try {
    service = await startService({ databaseUrl: o.databaseUrl, log: o.log });
    const svc = service;
    bare = await startBare({ address: svc.temporalAddress, namespace: svc.namespace });
    const b = bare;
    const token = await svc.token({ sub: 'wang', role: 'staff', station: 'qianggen', name: 'Bench staff' });
    const ours = (onAnswer?: LifecycleOptions['onAnswer']) =>
      caseLifecycle(svc.apiUrl, token, { stationId: 'qianggen', serviceCode: 'home-plumbing-repair', onAnswer });

    o.log(`lifecycle: warming up (${size.warmup} cases each, serially)`);
    for (let i = 0; i < size.warmup; i++) {
      await ours();
      await b.lifecycle();
    }

    // P1: throughput at concurrency, A B A B; the read model of every `sampleEvery`th of our cases polled.
    const sampler = new LagSampler(svc.apiUrl, token);
    const pairs: { ours: number; bare: number; ratio: number }[] = [];
    const p1Ours: LifecycleResult[] = [];
    const p1Bare: Awaited<ReturnType<Bare['lifecycle']>>[] = [];
    for (let pair = 0; pair < size.pairs; pair++) {
      const a = await pool(size.cases, size.concurrency, (i) => ours(sampler.follow(i % sampleEvery === 0)));
      const bb = await pool(size.cases, size.concurrency, () => b.lifecycle());
      p1Ours.push(...a.results);
      p1Bare.push(...bb.results);
      const oursRate = size.cases / (a.wallMs / 1000);
      const bareRate = size.cases / (bb.wallMs / 1000);
      pairs.push({ ours: round(oursRate, 2), bare: round(bareRate, 2), ratio: round(oursRate / bareRate, 3) });
      o.log(`lifecycle P1 pair ${pair + 1}/${size.pairs}: ours ${oursRate.toFixed(2)} cases/s, bare ${bareRate.toFixed(2)} cases/s, ratio ${(oursRate / bareRate).toFixed(3)}`);
    }
    await sampler.settle();

    // Serial: one case at a time, A B A B; P2's per-transition p50s come from here (no concurrency).
    const serialOurs: LifecycleResult[] = [];
    const serialBare: Awaited<ReturnType<Bare['lifecycle']>>[] = [];
    const serialPairs: { ours: number; bare: number; ratio: number }[] = [];
    for (let pair = 0; pair < size.serialPairs; pair++) {
      const a = await pool(size.serialCases, 1, () => ours());
      const bb = await pool(size.serialCases, 1, () => b.lifecycle());
      serialOurs.push(...a.results);
      serialBare.push(...bb.results);
      const oursRate = size.serialCases / (a.wallMs / 1000);
      const bareRate = size.serialCases / (bb.wallMs / 1000);
      serialPairs.push({ ours: round(oursRate, 2), bare: round(bareRate, 2), ratio: round(oursRate / bareRate, 3) });
      o.log(`lifecycle serial pair ${pair + 1}/${size.serialPairs}: ours ${oursRate.toFixed(2)} cases/s, bare ${bareRate.toFixed(2)} cases/s`);
    }

    // History length of one lifecycle each.
    const historyLength = async (workflowId: string) => (await b.client.workflow.getHandle(workflowId).fetchHistory()).events?.length ?? NaN;
    const oursEvents = await historyLength(caseWorkflowId(p1Ours.at(-1)!.caseId));
    const bareEvents = await historyLength(p1Bare.at(-1)!.workflowId);

    // Figures.
    const figures: Figure[] = [];
    const p1Median = median(pairs.map((p) => p.ratio));
    pairs.forEach((p, i) =>
      figures.push({ name: `P1 pair ${i + 1}: ours / bare cases/s (${size.cases} cases, concurrency ${size.concurrency})`, value: `${p.ours} / ${p.bare} = ${p.ratio}` }),
    );
    figures.push({ name: 'P1 lifecycle throughput ours/bare (median)', value: p1Median.toFixed(3), target: '≥ 0.75', met: p1Median >= 0.75 });
    const serialMedian = median(serialPairs.map((p) => p.ratio));
    figures.push({ name: 'P1 serial throughput ours/bare (median)', value: `${serialMedian.toFixed(3)} (${serialPairs.map((p) => `${p.ours}/${p.bare}`).join(', ')} cases/s)` });

    const p1OursSteps = stepTimes(p1Ours);
    const p1BareSteps = stepTimes(p1Bare);
    const createP99 = percentile(p1OursSteps.create!, 99);
    const startP99 = percentile(p1BareSteps.start!, 99);
    figures.push({
      name: `P2 create p99 ours vs bare workflow.start p99 (concurrency ${size.concurrency})`,
      value: `${ms(createP99)} vs ${ms(startP99)} = ${(createP99 / startP99).toFixed(2)} ×`,
      target: '≤ 1.5 ×',
      met: createP99 / startP99 <= 1.5,
    });
    const serialOursSteps = stepTimes(serialOurs);
    const serialBareSteps = stepTimes(serialBare);
    const sCreateP99 = percentile(serialOursSteps.create!, 99);
    const sStartP99 = percentile(serialBareSteps.start!, 99);
    figures.push({ name: 'P2 create p99 ours vs bare workflow.start p99 (serial)', value: `${ms(sCreateP99)} vs ${ms(sStartP99)} = ${(sCreateP99 / sStartP99).toFixed(2)} ×` });
    const bareUpdates = bareUpdateNames.flatMap((n) => serialBareSteps[n] ?? []);
    const bareUpdateP50 = median(bareUpdates);
    const transitions: Record<string, { ours: number; bare: number; ratio: number }> = {};
    for (const step of lifecycleSteps.slice(1)) {
      const oursP50 = median(serialOursSteps[step]!);
      transitions[step] = { ours: round(oursP50, 1), bare: round(bareUpdateP50, 1), ratio: round(oursP50 / bareUpdateP50, 2) };
      figures.push({
        name: `P2 ${step} p50 ours vs a bare update p50 (serial)`,
        value: `${ms(oursP50)} vs ${ms(bareUpdateP50)} = ${(oursP50 / bareUpdateP50).toFixed(1)} ×`,
        target: '≤ 2 ×',
        met: oursP50 / bareUpdateP50 <= 2,
      });
    }

    const lags = sampler.lags.map((l) => l.ms);
    const lagP50 = percentile(lags, 50);
    const lagP99 = percentile(lags, 99);
    const lagMax = Math.max(...lags);
    const lowerMax = Math.max(...sampler.lags.map((l) => l.lowerMs));
    const getP50 = percentile(sampler.getMs, 50);
    const inAnswer = sampler.lags.filter((l) => l.inAnswer).length;
    figures.push({
      name: `Read-model lag p50 / p99 (${lags.length} updates: ${inAnswer} shown in their answer, ${lags.length - inAnswer} polled)`,
      value: `${ms(lagP50)} / ${ms(lagP99)}`,
    });
    figures.push({
      name: `Read-model lag max (polled: upper bound, lower ${ms(lowerMax)}; poll GET p50 ${ms(getP50)})`,
      value: `${ms(lagMax)}${sampler.notVisible ? ` (${sampler.notVisible} not visible within ${lagGiveUpMs / 1000} s)` : ''}`,
      target: '≤ 1 s',
      met: lagMax <= 1000 && sampler.notVisible === 0,
    });
    figures.push({ name: `History events per lifecycle ours vs bare (start + ${lifecycleUpdates} updates)`, value: `${oursEvents} vs ${bareEvents}` });

    const p50s = (by: Record<string, number[]>) => Object.fromEntries(Object.entries(by).map(([k, v]) => [k, { p50: round(median(v), 1), p99: round(percentile(v, 99), 1), n: v.length }]));
    const lagByStep: Record<string, number[]> = {};
    for (const l of sampler.lags) (lagByStep[l.step] ??= []).push(l.ms);
    const json = {
      updatesPerLifecycle: lifecycleUpdates,
      sizes: size,
      p1: { pairs, medianRatio: round(p1Median, 3), serialPairs, serialMedianRatio: round(serialMedian, 3) },
      p2: {
        createP99: round(createP99, 1),
        bareStartP99: round(startP99, 1),
        createRatio: round(createP99 / startP99, 3),
        serialCreateP99: round(sCreateP99, 1),
        serialBareStartP99: round(sStartP99, 1),
        bareUpdateP50: round(bareUpdateP50, 1),
        transitions,
        serialSteps: { ours: p50s(serialOursSteps), bare: p50s(serialBareSteps) },
        concurrentSteps: { ours: p50s(p1OursSteps), bare: p50s(p1BareSteps) },
      },
      readModelLag: {
        samples: lags.length,
        p50: round(lagP50, 1),
        p99: round(lagP99, 1),
        max: round(lagMax, 1),
        lowerBoundMax: round(lowerMax, 1),
        shownInAnswer: inAnswer,
        polled: lags.length - inAnswer,
        unmeasured: sampler.unmeasured,
        notVisible: sampler.notVisible,
        pollErrors: sampler.pollErrors,
        pollGetP50: round(getP50, 1),
        byStep: p50s(lagByStep),
      },
      history: { ours: oursEvents, bare: bareEvents },
      seconds: round((performance.now() - t0) / 1000, 1),
    };
    return { figures, json };
  } finally {
    await bare?.stop().catch((err: Error) => o.log(`stopping the bare worker failed: ${err.message}`));
    await service?.stop();
  }
}

export const lifecycle: Section = { name: 'lifecycle', run };
