import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { configSchema } from '../config';
// Importing the app registers every route's OpenAPI path (each route file registers its own at import); nothing starts.
import '../api/app';
import { openApiDocument } from '../api/http/openapi';

/**
 * Writes the API's OpenAPI document — the same bytes GET /openapi.json serves with the same PUBLIC_URL — to a
 * file, without Temporal, a database or a listening server:
 *   node --import tsx scripts/openapi-export.ts <outfile>
 * Used by `npm run lint:openapi` (Redocly) and by the console's typed client generation.
 */
const outfile = process.argv[2];
if (!outfile) {
  process.stderr.write('usage: node --import tsx scripts/openapi-export.ts <outfile>\n');
  process.exit(2);
}
const publicUrl = configSchema.shape.PUBLIC_URL.safeParse(process.env.PUBLIC_URL);
if (!publicUrl.success) {
  process.stderr.write(`PUBLIC_URL ${publicUrl.error.issues[0]?.message ?? 'is invalid'}\n`);
  process.exit(2);
}
mkdirSync(path.dirname(path.resolve(outfile)), { recursive: true });
writeFileSync(outfile, JSON.stringify(openApiDocument(publicUrl.data)));
