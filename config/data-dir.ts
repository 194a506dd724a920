import fs from 'node:fs';
import path from 'node:path';
import type { Logger } from './logger';

/**
 * DATA_DIR holds resident data (the dev server's temporal.db, the embedded PGlite, development mail) and
 * secrets (auth-secret, payload keys): only the service's own user may read it. Sets the process's umask to
 * 077, so every file and directory this process and its children (the Temporal dev server) create from now
 * on is 0600 / 0700, then creates DATA_DIR 0700 (with `create`) and tightens what an earlier version left
 * there: directories to 0700, files to their owner's bits only (0644 → 0600). Symbolic links are not followed.
 * What it may not change (another user's file in a mounted volume) it leaves, with one warning naming it.
 * Call first thing at boot, before anything writes under DATA_DIR.
 */
export function protectDataDir(dataDir: string, { create, log }: { create: boolean; log: Pick<Logger, 'warn'> }): void {
  process.umask(0o077);
  if (create) fs.mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  if (!fs.existsSync(dataDir)) return;
  const left = makePrivate(dataDir);
  if (left.length > 0) log.warn({ paths: left.slice(0, 10), count: left.length }, 'DATA_DIR: could not make these private to the service (0700/0600); others may read them');
}

/**
 * Directories under `dir` (and itself) to 0700, files to their owner's bits: the paths it could not change.
 * Also for what a library writes with modes of its own (PGlite's first start: its initial files 0666).
 */
export function makePrivate(dir: string): string[] {
  const left: string[] = [];
  tighten(dir, left);
  return left;
}

function tighten(at: string, left: string[]): void {
  const stat = fs.lstatSync(at);
  if (stat.isSymbolicLink()) return;
  if ((stat.mode & 0o077) !== 0) {
    try {
      fs.chmodSync(at, stat.mode & 0o700);
    } catch {
      left.push(at);
    }
  }
  if (stat.isDirectory()) for (const entry of fs.readdirSync(at)) tighten(path.join(at, entry), left);
}
