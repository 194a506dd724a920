import { type ChildProcess, spawn } from 'node:child_process';
import crypto from 'node:crypto';
import path from 'node:path';
import postgres from 'postgres';
import { openTestDatabase, type TestDatabase } from './helpers/database';

/**
 * Issue 11 D: `npm run worker` and `npm run api` started at the same moment against a fresh PostgreSQL
 * (as docker-compose.yml does, or several replicas) each apply the migrations and the seeds at boot. N
 * separate OS processes run that boot step (`prepareDatabase`) on the same cue against one empty database:
 * every one must come up, and the schema and master data must be whole — the same as one process leaves.
 *
 * Separate processes need a database they all reach: real PostgreSQL only (TEST_DATABASE_URL).
 */
const root = path.join(__dirname, '..');
const bootEntry = path.join(__dirname, 'helpers', 'boot-db.ts');
const N = 4;

const adminUrl = process.env.TEST_DATABASE_URL;
if (!adminUrl) console.log('boot-race.test.ts skipped: the racing boots are separate processes and need a database they all reach; PGlite is single-process (set TEST_DATABASE_URL)');

interface Boot {
  proc: ChildProcess;
  output: () => string;
  loaded: Promise<boolean>;
  exited: Promise<number | null>;
}

function boot(databaseUrl: string): Boot {
  const proc = spawn(process.execPath, ['--import', 'tsx', bootEntry], {
    cwd: root,
    env: { ...process.env, DATABASE_URL: databaseUrl, LOG_LEVEL: 'warn' },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let out = '';
  let onLoaded: () => void;
  // True once it is loaded and waits for its cue; false if it exited before.
  const loaded = new Promise<boolean>((resolve) => {
    onLoaded = () => resolve(true);
    proc.once('exit', () => resolve(false));
  });
  proc.stdout!.on('data', (d) => {
    out += d;
    if (out.includes('loaded\n')) onLoaded();
  });
  proc.stderr!.on('data', (d) => (out += d));
  const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));
  return { proc, output: () => out, loaded, exited };
}

/** Every column of every table in the public and drizzle schemas, and every table's row count. */
async function shape(url: string): Promise<{ columns: string[]; rows: Record<string, number> }> {
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  try {
    const columns = await sql<{ c: string }[]>`
      select table_schema || '.' || table_name || '.' || column_name || ' ' || data_type || ' ' || is_nullable || ' ' || coalesce(column_default, '') as c
      from information_schema.columns where table_schema in ('public', 'drizzle') order by 1`;
    const tables = await sql<{ t: string }[]>`
      select quote_ident(table_schema) || '.' || quote_ident(table_name) as t
      from information_schema.tables where table_schema in ('public', 'drizzle') and table_type = 'BASE TABLE' order by 1`;
    const rows: Record<string, number> = {};
    for (const { t } of tables) rows[t] = Number((await sql.unsafe(`select count(*) as n from ${t}`))[0]!.n);
    return { columns: columns.map((r) => r.c), rows };
  } finally {
    await sql.end();
  }
}

(adminUrl ? describe : describe.skip)('several processes booting at once against one empty PostgreSQL database', () => {
  let admin: postgres.Sql;
  let reference: TestDatabase;
  const name = `stationflow_boot_race_${process.pid}_${crypto.randomBytes(4).toString('hex')}`;
  let url: string;
  const boots: Boot[] = [];

  beforeAll(async () => {
    admin = postgres(adminUrl!, { max: 1, onnotice: () => {} });
    await admin.unsafe(`create database "${name}"`);
    const u = new URL(adminUrl!);
    u.pathname = `/${name}`;
    url = u.toString();
    // What one process alone leaves: migrated, demo data and calendar seeded.
    reference = await openTestDatabase();
  });

  afterAll(async () => {
    for (const b of boots) if (b.proc.exitCode === null && b.proc.signalCode === null) b.proc.kill('SIGKILL');
    await Promise.all(boots.map((b) => b.exited));
    await reference?.drop();
    await admin?.unsafe(`drop database if exists "${name}" with (force)`);
    await admin?.end();
  });

  it(`all ${N} come up, and the schema and master data are whole`, async () => {
    for (let i = 0; i < N; i++) boots.push(boot(url));
    const loaded = await Promise.all(boots.map((b) => b.loaded));
    if (!loaded.every(Boolean)) throw new Error(`a boot exited before its cue:\n${boots.map((b) => b.output()).join('\n')}`);
    // The cue: all at once.
    for (const b of boots) b.proc.stdin!.end('go\n');
    const codes = await Promise.all(boots.map((b) => b.exited));
    expect(boots.map((b, i) => ({ code: codes[i], output: b.output() }))).toEqual(boots.map(() => ({ code: 0, output: 'loaded\nprepared\n' })));

    const [raced, alone] = await Promise.all([shape(url), shape(reference.url!)]);
    expect(raced.columns.length).toBeGreaterThan(0);
    expect(raced.columns).toEqual(alone.columns);
    expect(raced.rows).toEqual(alone.rows);
  }, 120_000);
});
