import type { Registry } from 'prom-client';
import type { AppDeps } from '../http/deps';

/** What a collector may read when it is scraped: the database (read model), the log and the stuck thresholds. */
export type MetricsDeps = Pick<AppDeps, 'database' | 'log'> & Partial<Pick<AppDeps, 'stuckThresholds'>>;

/**
 * A collector adds its metrics to one app's registry: it creates prom-client gauges or counters with
 * `registers: [registry]` and computes them in their `collect()` at scrape time (one indexed aggregate query
 * over the read model each, through `deps.database.db`; reset the metric first so label sets that
 * disappeared go too). It must never put personal data in a label: no names, phones, addresses, demand
 * text or case ids — ids of stations, departments, deadline classes and fixed vocabularies only.
 */
export type Collector = (registry: Registry, deps: MetricsDeps) => void;

const registered: Collector[] = [];

/**
 * The hook for other modules' figures on GET /metrics (e.g. supervision's stuck cases by reason):
 *
 *   registerCollector((registry, { database }) => {
 *     new Gauge({ name: 'stationflow_…', help: '…', labelNames: ['reason'], registers: [registry],
 *       async collect() { this.reset(); for (const r of await query(database.db)) this.set({ reason: r.reason }, r.n); } });
 *   });
 *
 * Call it at the module's top level. Every app's registry gets every collector once, also one registered
 * after the app was built (it joins at the next scrape). Metric names must be unique across collectors.
 */
export function registerCollector(collector: Collector): void {
  if (!registered.includes(collector)) registered.push(collector);
}

export function registeredCollectors(): readonly Collector[] {
  return registered;
}
