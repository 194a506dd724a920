import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { Router } from 'express';
import { z } from 'zod';
import { problemResponses, registry } from '../http/openapi';

/**
 * The API's browsable reference: GET /docs renders /openapi.json with Redoc's standalone bundle, served from
 * node_modules by the API itself (no CDN). The page has its own Content-Security-Policy, looser than the
 * API's `default-src 'none'` (api/http/hardening.ts) only as far as Redoc needs: its script and the document
 * from this origin, the inline <style> elements its styled-components write, data: images (its icons), and
 * the search index's web worker, which it starts from a blob: URL.
 */
export const referencePolicy = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "connect-src 'self'",
  'worker-src blob:',
  "frame-ancestors 'none'",
  "base-uri 'none'",
  "form-action 'none'",
].join('; ');

const scriptName = 'redoc.standalone.js';
/**
 * Redoc's bundle, read once. Its sidebar footer loads a logo from Redocly's CDN (unconditionally, in 2.5): the
 * page's CSP would block it with a console error, so the address is swapped for an empty data: image.
 */
let script: string | undefined;
const redocScript = () =>
  (script ??= readFileSync(createRequire(__filename).resolve(`redoc/bundles/${scriptName}`), 'utf8').replaceAll(
    'https://cdn.redoc.ly/redoc/logo-mini.svg',
    'data:image/svg+xml,%3Csvg xmlns=%22http://www.w3.org/2000/svg%22/%3E',
  ));

/** Relative links: /docs sits next to /openapi.json, wherever PUBLIC_URL mounts the API. */
const page = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>stationflow API reference</title>
<link rel="icon" href="data:,">
</head>
<body>
<redoc spec-url="openapi.json" hide-hostname="true" expand-responses="200" sort-tags-alphabetically="true"></redoc>
<script src="docs/${scriptName}"></script>
</body>
</html>
`;

export function referenceRouter(): Router {
  const router = Router({ strict: true });
  // `/docs/` would resolve the page's relative links below /docs/: send the browser to /docs.
  router.get('/docs/', (_req, res) => res.redirect(301, '../docs'));
  router.get('/docs', (_req, res) => {
    res.setHeader('Content-Security-Policy', referencePolicy);
    res.setHeader('Cache-Control', 'no-cache');
    res.type('html').send(page);
  });
  router.get(`/docs/${scriptName}`, (_req, res) => {
    res.setHeader('Cache-Control', 'public, max-age=3600');
    res.type('text/javascript').send(redocScript());
  });
  return router;
}

registry.registerPath({
  method: 'get',
  path: '/docs',
  operationId: 'getApiReference',
  summary: 'The browsable API reference (Redoc over /openapi.json)',
  security: [],
  responses: { 200: { description: 'The page', content: { 'text/html': { schema: z.string() } } }, ...problemResponses(431) },
});
registry.registerPath({
  method: 'get',
  path: `/docs/${scriptName}`,
  operationId: 'getApiReferenceScript',
  summary: "The reference page's script: Redoc's standalone bundle",
  security: [],
  responses: { 200: { description: 'The script', content: { 'text/javascript': { schema: z.string() } } }, ...problemResponses(431) },
});
