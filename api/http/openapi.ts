import { OpenAPIRegistry, OpenApiGeneratorV31 } from '@asteasolutions/zod-to-openapi';
import { z } from 'zod';
import { describeAccess } from './authorization';
import { describeWriteLimit } from './hardening';
import { allowEmptyOptionalQueryValues, forbidControlCharacters, markRequiredBodies } from './openapi-rules';

/** One registry for the whole API; each route file registers its own paths next to its handlers. */
export const registry = new OpenAPIRegistry();

export const bearerAuth = registry.registerComponent('securitySchemes', 'bearerAuth', {
  type: 'http',
  scheme: 'bearer',
  bearerFormat: 'JWT',
  description: 'A stationflow token: `npm run token -- --role staff --station qianggen`',
});

export const Problem = z
  .object({
    type: z.string(),
    title: z.string(),
    status: z.number().int(),
    detail: z.string(),
    instance: z.string().optional(),
    errors: z.array(z.object({ pointer: z.string(), detail: z.string() })).optional(),
  })
  .meta({ id: 'Problem', description: 'RFC 9457 problem details' });

const problemContent = { 'application/problem+json': { schema: Problem } };

/** Standard problem responses, to spread into a path's `responses`. */
export function problemResponses(...statuses: number[]) {
  const descriptions: Record<number, string> = {
    400: 'Invalid request (malformed JSON, unknown field, wrong type)',
    401: 'Missing or invalid bearer token',
    403: 'Wrong role or outside your scope',
    404: 'Not found',
    409: 'Conflict with the current state',
    413: 'Request body too large',
    415: 'Request body is not JSON',
    422: 'Well-formed but refers to something that does not exist or cannot be used',
    431: 'Request headers too large (answered by the HTTP server before routing, for every path)',
    503: 'A dependency is unavailable',
  };
  return Object.fromEntries(statuses.map((s) => [s, { description: descriptions[s] ?? 'Error', content: problemContent }]));
}

/**
 * The whole document; each operation's "Roles: …" line and `x-authorization` come from api/http/authorization.ts.
 * Always one server: PUBLIC_URL when set, else `/` — relative, so a client resolves it against wherever it
 * fetched /openapi.json from (OpenAPI 3.1 §4.8.5), and the exported file (scripts/openapi-export.ts) is the
 * same document whatever host served it.
 */
export function openApiDocument(serverUrl?: string) {
  const doc = new OpenApiGeneratorV31(registry.definitions).generateDocument({
    openapi: '3.1.0',
    info: {
      title: 'stationflow',
      version: '0.1.0',
      description:
        'Resident demands at community service stations, handled as durable cases: accept → diagnose → plan → execute → coordinate → close.',
      license: { name: 'UNLICENSED: proprietary, as package.json says', identifier: 'LicenseRef-Proprietary' },
    },
    servers: serverUrl
      ? [{ url: serverUrl.replace(/\/+$/, ''), description: 'This deployment (PUBLIC_URL)' }]
      : [{ url: '/', description: 'The host that serves this document (PUBLIC_URL names it when set)' }],
    security: [{ [bearerAuth.name]: [] }],
  });
  return describeWriteLimit(describeAccess(forbidControlCharacters(allowEmptyOptionalQueryValues(markRequiredBodies(doc)))));
}
