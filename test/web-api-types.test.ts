import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/**
 * The console's typed API client (web/src/shared/api-schema.d.ts) is generated from the API's own OpenAPI
 * document (`npm run web:api-types`). When the API changes and the client is not regenerated, this fails — and
 * once it is regenerated, `tsc -p web` (CI's type check) fails wherever a page uses the API as it was.
 */
const root = path.resolve(__dirname, '..');

test('web/src/shared/api-schema.d.ts is generated from the current /openapi.json', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sf-api-types-'));
  try {
    const { PUBLIC_URL: _publicUrl, ...env } = process.env;
    execFileSync(process.execPath, ['--import', 'tsx', 'scripts/openapi-export.ts', path.join(dir, 'openapi.json')], { cwd: root, env });
    execFileSync(process.execPath, [path.join(root, 'node_modules/openapi-typescript/bin/cli.js'), path.join(dir, 'openapi.json'), '-o', path.join(dir, 'schema.d.ts')], { cwd: root, stdio: 'pipe' });
    const fresh = fs.readFileSync(path.join(dir, 'schema.d.ts'), 'utf8');
    const committed = fs.readFileSync(path.join(root, 'web/src/shared/api-schema.d.ts'), 'utf8');
    if (fresh !== committed) throw new Error('web/src/shared/api-schema.d.ts is stale: run `npm run web:api-types` and fix what `npx tsc -p web` then reports');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}, 120_000);
