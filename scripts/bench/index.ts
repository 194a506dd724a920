import os from 'node:os';
import { parseArgs } from 'node:util';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { lifecycle } from './lifecycle';
import type { BenchOptions, Figure, Section } from './section';
import { stopAll } from './stack';
import { repeatRule } from './repeat-rule';
import { timers } from './timers';
import { memory } from './memory';
import { scaling } from './scaling';
import { transition } from './transition';
import { stuck } from './stuck';

/**
 * `npm run bench [-- --quick] [-- --only lifecycle,timers]`: issue 13's benchmark. Runs each section in turn
 * against `npm start` (embedded defaults; PostgreSQL with DATABASE_URL), prints one table of every figure
 * and a final JSON line. BENCH_SECTIONS=a,b does what --only does.
 */
const sections: Section[] = [
  lifecycle,
  transition,
  repeatRule,
  timers,
  memory,
  scaling,
  stuck,
];

const usage = 'npm run bench [-- --quick] [-- --only <section,…>]   sections: ' + sections.map((s) => s.name).join(', ');

function table(rows: { section: string; f: Figure }[]): string {
  const cells = rows.map(({ section, f }) => [section, f.name, f.value, f.target ?? '', f.met === undefined ? '' : f.met ? '✓' : '✗']);
  const header = ['section', 'figure', 'value', 'target', 'met'];
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i]!.length)));
  const line = (c: string[]) => c.map((v, i) => v.padEnd(widths[i]!)).join('  ').trimEnd();
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...cells.map(line)].join('\n');
}

async function main(): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({ options: { quick: { type: 'boolean', default: false }, only: { type: 'string' }, help: { type: 'boolean', short: 'h' } } }));
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n${usage}\n`);
    return 2;
  }
  if (values.help) {
    process.stdout.write(`${usage}\n`);
    return 0;
  }
  const only = (values.only ?? process.env.BENCH_SECTIONS ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const unknown = only.filter((n) => !sections.some((s) => s.name === n));
  if (unknown.length) {
    process.stderr.write(`unknown section ${unknown.join(', ')}\n${usage}\n`);
    return 2;
  }
  const chosen = only.length ? sections.filter((s) => only.includes(s.name)) : sections;

  // The SDK's own log lines (the bare worker's) at warnings only: progress goes to stderr, results to stdout.
  Runtime.install({ logger: new DefaultLogger('WARN') });
  const started = Date.now();
  const o: BenchOptions = {
    quick: values.quick ?? false,
    databaseUrl: process.env.DATABASE_URL || undefined,
    log: (line) => process.stderr.write(`[bench +${((Date.now() - started) / 1000).toFixed(0)}s] ${line}\n`),
  };
  o.log(`${o.quick ? 'quick' : 'full'} run on ${o.databaseUrl ? 'PostgreSQL (DATABASE_URL)' : 'embedded PGlite'}: ${chosen.map((s) => s.name).join(', ')}`);

  const rows: { section: string; f: Figure }[] = [];
  const json: Record<string, unknown> = {};
  let failed = false;
  for (const section of chosen) {
    const t0 = Date.now();
    try {
      const result = await section.run(o);
      rows.push(...result.figures.map((f) => ({ section: section.name, f })));
      json[section.name] = result.json;
      o.log(`${section.name} done in ${((Date.now() - t0) / 1000).toFixed(0)} s`);
    } catch (err) {
      failed = true;
      o.log(`${section.name} failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
      json[section.name] = { error: err instanceof Error ? err.message : String(err) };
    }
  }
  await stopAll();

  process.stdout.write(`\n${table(rows)}\n\n`);
  process.stdout.write(
    `${JSON.stringify({
      bench: json,
      quick: o.quick,
      database: o.databaseUrl ? 'postgresql' : 'pglite',
      machine: { cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model, mem: os.totalmem(), node: process.version },
      seconds: Math.round((Date.now() - started) / 1000),
    })}\n`,
  );
  return failed ? 1 : 0;
}

let interrupted = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (interrupted) return;
    interrupted = true;
    process.stderr.write(`\n${signal}: stopping the services the bench started\n`);
    void stopAll().finally(() => process.exit(130));
  });
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    void stopAll().finally(() => process.exit(1));
  },
);
