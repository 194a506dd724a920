/**
 * Preloaded into a service process by the bench (NODE_OPTIONS="--require …/memory-report.cjs", with
 * BENCH_MEMORY_DIR set): on SIGWINCH it writes what the process holds — process.memoryUsage(), the V8
 * heap limit and, once a worker exists, the SDK's count of cached workflows — to
 * $BENCH_MEMORY_DIR/<pid>.json, for memory.ts and scaling.ts (processes.ts readMemory) to read.
 * SIGWINCH, not SIGUSR2: the Temporal SDK's Runtime shuts its workers down on SIGUSR2. Plain CommonJS so it loads before tsx; nothing of the entry point changes.
 */
const { isMainThread } = require('node:worker_threads');
const fs = require('node:fs');
const path = require('node:path');
const v8 = require('node:v8');

const dir = process.env.BENCH_MEMORY_DIR;
if (isMainThread && dir) {
  const workers = [];
  // The same module instance the service's temporal/worker.ts gets: keep a handle on each worker it creates.
  const { Worker } = require('@temporalio/worker');
  const create = Worker.create.bind(Worker);
  Worker.create = async (options) => {
    const worker = await create(options);
    workers.push(worker);
    return worker;
  };
  process.on('SIGWINCH', () => {
    const m = process.memoryUsage();
    const report = {
      rss: m.rss,
      heapUsed: m.heapUsed,
      heapTotal: m.heapTotal,
      heapLimit: v8.getHeapStatistics().heap_size_limit,
      external: m.external,
      arrayBuffers: m.arrayBuffers,
      cachedWorkflows: workers.length ? workers.reduce((n, w) => n + w.getStatus().numCachedWorkflows, 0) : undefined,
      at: Date.now(),
    };
    const file = path.join(dir, `${process.pid}.json`);
    fs.writeFileSync(`${file}.tmp`, JSON.stringify(report));
    fs.renameSync(`${file}.tmp`, file);
  });
}
