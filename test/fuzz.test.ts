import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Claims } from '../api/http/auth';
import { useStack } from './helpers/stack';

/**
 * Schemathesis (PyPI; scripts/install-schemathesis.sh) fuzzes the real API from its own /openapi.json, once
 * per role with a token of the demo data's scope, with every check it has (`--checks all`): no 5xx, every
 * error application/problem+json, every response as documented (status, headers, body schema), requests
 * valid per the document accepted and invalid ones refused, undocumented methods answered 405.
 *
 * Bounded and repeatable: a fixed seed, a fixed number of examples per operation, one worker (requests in a
 * fixed order against one stack; Schemathesis's threads also trip CPython 3.11's AST recursion check inside
 * Hypothesis, a runtime error, not a finding), no example database carried between runs. Admin runs last: it
 * is the one role that changes master data (calendar, urgencies, partners), in this file's own database.
 *
 * Phases: every role gets the explicit examples and the fuzzing phase (random requests, valid and invalid,
 * against every operation). The coverage phase — each schema's boundaries and each constraint broken in turn,
 * most of a run's time and the same values whatever the token — runs once, as admin, the role every operation
 * serves. test/fuzz/stationflow_hooks.py: a valid-per-document request leaves out a list's opaque cursor,
 * puts a period's ends in order and names a batch's cases once.
 */

const root = path.resolve(__dirname, '..');
const st = process.env.SCHEMATHESIS_PATH ?? path.join(root, '.tools/bin/st');
const seed = 20261123;
const maxExamples = Number(process.env.FUZZ_MAX_EXAMPLES ?? 8);
/** A run that has not finished in this long is stopped and fails (not retried). */
const runTimeoutMs = 150_000;

const everyRole = 'examples,fuzzing';
const roles: { name: string; phases: string; claims: Partial<Claims> & Pick<Claims, 'role'> }[] = [
  { name: 'staff', phases: everyRole, claims: { role: 'staff', station: 'qianggen', sub: 'wang' } },
  { name: 'department', phases: everyRole, claims: { role: 'department', department: 'housing', sub: 'housing-duty' } },
  { name: 'supervisor', phases: everyRole, claims: { role: 'supervisor', subdistrict: 'xinjiekou', sub: 'chen' } },
  { name: 'partner', phases: everyRole, claims: { role: 'partner', partner: 'anju-repair', sub: 'partner-anju-repair' } },
  { name: 'admin', phases: `${everyRole},coverage`, claims: { role: 'admin', sub: 'root' } },
];

interface Report {
  exit_code: number;
  operations: { total: number; selected: number; tested: number; errored: number };
  test_cases: { generated: number; with_failures: number };
  failures: { code: string; title: string; count: number; operations: string[] }[];
  errors: { title: string; count: number }[];
}

interface Run {
  code: number | null;
  output: string;
  report?: Report;
}

function runSchemathesis(url: string, token: string, phases: string, reportDir: string): Promise<Run> {
  const args = [
    '--config-file',
    path.join(root, 'test/fuzz/schemathesis.toml'),
    'run',
    `${url}/openapi.json`,
    '--url',
    url,
    '--checks',
    'all',
    '--phases',
    phases,
    '--max-examples',
    String(maxExamples),
    '--seed',
    String(seed),
    '--workers',
    '1',
    '--generation-database',
    'none',
    '--request-timeout',
    '30',
    '--no-color',
    '--output-sanitize',
    'true',
    '--report',
    'json',
    '--report-dir',
    reportDir,
    '-H',
    `Authorization: Bearer ${token}`,
  ];
  return new Promise((resolve, reject) => {
    // Asynchronous: the API under test answers from this very process.
    const child = spawn(st, args, {
      cwd: reportDir,
      env: { ...process.env, SCHEMATHESIS_HOOKS: 'stationflow_hooks', PYTHONPATH: path.join(root, 'test/fuzz'), NO_COLOR: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), runTimeoutMs);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      const file = fs.readdirSync(reportDir).find((f) => f.startsWith('json-') && f.endsWith('.json'));
      const report = file ? (JSON.parse(fs.readFileSync(path.join(reportDir, file), 'utf8')) as Report) : undefined;
      resolve({ code, output: output.split(token).join('[token]'), report });
    });
  });
}

/** Schemathesis's own account of what failed: the FAILURES and ERRORS sections (operation, check, response, curl). */
function findings(output: string): string {
  const start = output.search(/^=+ (ERRORS|FAILURES) =+$/m);
  const end = output.search(/^=+ (WARNINGS|SUMMARY) =+$/m);
  return start >= 0 ? output.slice(start, end > start ? end : undefined) : output.slice(-8000);
}

beforeAll(() => {
  // `npm test` installs it in pretest; a single file run on a fresh machine installs it here.
  if (!process.env.SCHEMATHESIS_PATH && !fs.existsSync(st)) execFileSync('bash', [path.join(root, 'scripts/install-schemathesis.sh')], { stdio: 'inherit' });
}, 300_000);

describe('Schemathesis against /openapi.json', () => {
  const { stack } = useStack({}, { timeout: 120_000 });

  it.each(roles)(
    '$name ($phases): no 5xx, problem+json errors, responses as documented, valid requests accepted, invalid refused',
    async ({ claims, phases }) => {
      const reportDir = fs.mkdtempSync(path.join(os.tmpdir(), 'stationflow-fuzz-'));
      try {
        const run = await runSchemathesis(stack.url, await stack.token(claims), phases, reportDir);
        if (run.code !== 0 || !run.report) throw new Error(`Schemathesis (exit ${String(run.code)}) found:\n${findings(run.output)}`);
        // It ran: every operation of the document was tested, with cases generated.
        expect(run.report.operations.tested).toBe(run.report.operations.total);
        expect(run.report.operations.total).toBeGreaterThan(40);
        expect(run.report.test_cases.generated).toBeGreaterThan(run.report.operations.total * 5);
        expect(run.report.failures).toEqual([]);
        expect(run.report.errors).toEqual([]);
      } finally {
        fs.rmSync(reportDir, { recursive: true, force: true });
      }
    },
    runTimeoutMs + 10_000,
  );
});
