import { readFileSync } from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';

/**
 * Prints the web console's page weights from Vite's build manifest and fails the build when the first page —
 * the entry chunk with everything it imports statically, and its CSS — is over the budget (issue 16: 400 KB of
 * JavaScript gzipped). Lazy page chunks (one per area) are listed, loaded only when their page opens.
 *   node --import tsx scripts/web-size.ts [budgetKB]
 */
interface Chunk {
  file: string;
  isEntry?: boolean;
  isDynamicEntry?: boolean;
  imports?: string[];
  dynamicImports?: string[];
  css?: string[];
  src?: string;
}

const dist = path.resolve(process.env.CONSOLE_DIST ?? path.join(__dirname, '../web/dist'));
const budgetKb = Number(process.argv[2] ?? 400);
const manifest = JSON.parse(readFileSync(path.join(dist, '.vite/manifest.json'), 'utf8')) as Record<string, Chunk>;
const gz = (file: string) => gzipSync(readFileSync(path.join(dist, file)), { level: 9 }).length;
const kb = (bytes: number) => `${(bytes / 1024).toFixed(1)} KB`;

/** A chunk and its static imports, transitively. */
function closure(key: string, seen = new Set<string>()): Set<string> {
  if (seen.has(key)) return seen;
  seen.add(key);
  for (const i of manifest[key]?.imports ?? []) closure(i, seen);
  return seen;
}

const entry = Object.entries(manifest).find(([, c]) => c.isEntry);
if (!entry) throw new Error('web/dist/.vite/manifest.json has no entry chunk');
const first = closure(entry[0]);
const firstJs = [...first].reduce((sum, k) => sum + gz(manifest[k]!.file), 0);
const firstCss = [...first].flatMap((k) => manifest[k]!.css ?? []).reduce((sum, f) => sum + gz(f), 0);

const lines = ['Web console page weights (gzipped):', `  first page (sign-in and shell): ${kb(firstJs)} JavaScript in ${first.size} chunks, ${kb(firstCss)} CSS; budget ${budgetKb} KB`];
for (const [key, chunk] of Object.entries(manifest).filter(([, c]) => c.isDynamicEntry).sort(([a], [b]) => a.localeCompare(b))) {
  const own = [...closure(key)].filter((k) => !first.has(k));
  lines.push(`  + ${chunk.src ?? key}: ${kb(own.reduce((sum, k) => sum + gz(manifest[k]!.file), 0))} more when opened`);
}
process.stdout.write(`${lines.join('\n')}\n`);
if (firstJs > budgetKb * 1024) {
  process.stderr.write(`The first page's JavaScript is ${kb(firstJs)} gzipped, over the budget of ${budgetKb} KB\n`);
  process.exit(1);
}
