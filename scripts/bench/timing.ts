/** The benches' timing of a query or a call: warm up untimed, time each call, read quantiles. One copy for every section. */

/** The q-quantile of ascending durations (nearest rank); NaN for none. */
export const quantile = (sorted: readonly number[], q: number): number =>
  sorted.length ? sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)]! : NaN;

/** Milliseconds as the benches print them: two decimals below 10 ms, whole ones above. */
export const fmt = (ms: number): string => (ms < 10 ? ms.toFixed(2) : ms.toFixed(0));

/** 100000 as "100 000". */
export const label = (k: number): string => k.toLocaleString('en').replace(/,/g, ' ');

export interface Timed {
  /** Each timed call's duration in milliseconds, ascending. */
  ms: number[];
  p50: number;
  p95: number;
  p99: number;
  /** How many timed calls answered something (truthy): e.g. lookups that found a row. */
  found: number;
}

/**
 * Calls `fn` on each input once, timed, after `warmups` untimed calls (plans, caches, JIT) — by default one
 * untimed pass over the inputs, so every size of a bench warms up alike.
 */
export async function time<T>(inputs: readonly T[], fn: (input: T) => Promise<unknown>, warmups = inputs.length): Promise<Timed> {
  for (let i = 0; i < warmups; i++) await fn(inputs[i % inputs.length]!);
  const ms: number[] = [];
  let found = 0;
  for (const input of inputs) {
    const t0 = process.hrtime.bigint();
    if (await fn(input)) found += 1;
    ms.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  ms.sort((a, b) => a - b);
  return { ms, p50: quantile(ms, 0.5), p95: quantile(ms, 0.95), p99: quantile(ms, 0.99), found };
}

/** `runs` timed calls of `fn` after two untimed ones. */
export const timeRuns = (runs: number, fn: () => Promise<unknown>): Promise<Timed> =>
  time(
    Array.from({ length: runs }, (_, i) => i),
    () => fn(),
    2,
  );
