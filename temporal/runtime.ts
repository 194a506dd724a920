import type { LogLevel, LogMetadata } from '@temporalio/common';
import { Runtime } from '@temporalio/worker';
import type { Logger } from 'pino';

const levels: Record<LogLevel, 'trace' | 'debug' | 'info' | 'warn' | 'error'> = {
  TRACE: 'trace',
  DEBUG: 'debug',
  INFO: 'info',
  WARN: 'warn',
  ERROR: 'error',
};

let installed = false;
let metricsAddress: string | undefined;

/**
 * Sends the Temporal SDK's own logs (worker state, bundler, core) through our pino logger, so every log
 * line of the service is structured JSON at one configured level; with `metricsAddress` (WORKER_METRICS_ADDRESS,
 * `ip:port`) the runtime's own Prometheus exporter serves the worker's and its connections' metrics
 * (`temporal_*`) at `http://<metricsAddress>/metrics`, bound at once. Call once per process (the SDK allows one
 * install), before any NativeConnection or worker is created: later calls change nothing.
 */
export function installTemporalRuntime(log: Logger, opts: { metricsAddress?: string } = {}): void {
  if (installed) return;
  installed = true;
  const sdkLog = log.child({ component: 'temporal-sdk' });
  const write = (level: LogLevel, message: string, meta?: LogMetadata) => sdkLog[levels[level]](meta ?? {}, message);
  try {
    Runtime.install({
      logger: {
        log: write,
        trace: (m, meta) => write('TRACE', m, meta),
        debug: (m, meta) => write('DEBUG', m, meta),
        info: (m, meta) => write('INFO', m, meta),
        warn: (m, meta) => write('WARN', m, meta),
        error: (m, meta) => write('ERROR', m, meta),
      },
      ...(opts.metricsAddress ? { telemetryOptions: { metrics: { prometheus: { bindAddress: opts.metricsAddress } } } } : {}),
    });
  } catch (err) {
    // A taken port: "Failed to start prometheus metrics exporter: Address already in use (os error 98)".
    if (opts.metricsAddress) throw new Error(`WORKER_METRICS_ADDRESS ${opts.metricsAddress}: ${(err as Error).message}`, { cause: err });
    throw err;
  }
  metricsAddress = opts.metricsAddress;
}

/** Where this process's Temporal runtime serves its Prometheus metrics (WORKER_METRICS_ADDRESS), if it does. */
export function runtimeMetricsAddress(): string | undefined {
  return metricsAddress;
}
