import type { Logger } from 'pino';
import { splitBindAddress } from '../../config/index';

/** The URL to read a runtime's metrics from, for its bind address: a wildcard bind is read on loopback. */
export function runtimeMetricsUrl(bindAddress: string): string {
  const bound = splitBindAddress(bindAddress);
  if (!bound) return `http://${bindAddress}/metrics`;
  const host = bound.host === '0.0.0.0' ? '127.0.0.1' : bound.host === '::' ? '::1' : bound.host;
  return `http://${host.includes(':') ? `[${host}]` : host}:${bound.port}/metrics`;
}

const upHeader = [
  '# HELP stationflow_worker_metrics_up 1 when this process\'s Temporal worker runtime answered this scrape (its temporal_* series follow), 0 when it did not',
  '# TYPE stationflow_worker_metrics_up gauge',
].join('\n');

/**
 * The Temporal runtime's own exposition (the worker's and its connections' `temporal_*` series), read at
 * scrape time, after a `stationflow_worker_metrics_up` line; when it does not answer within `timeoutMs`,
 * only `stationflow_worker_metrics_up 0` (the API's own figures are served all the same).
 */
export async function scrapeRuntimeMetrics(url: string, log: Pick<Logger, 'warn'>, timeoutMs = 3_000): Promise<string> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs), redirect: 'error' });
    if (!res.ok) throw new Error(`it answered ${res.status}`);
    const text = await res.text();
    return `${upHeader}\nstationflow_worker_metrics_up 1\n${text.endsWith('\n') || text === '' ? text : `${text}\n`}`;
  } catch (err) {
    log.warn({ url, err: (err as Error).message }, "the worker's Temporal runtime metrics could not be read");
    return `${upHeader}\nstationflow_worker_metrics_up 0\n`;
  }
}
