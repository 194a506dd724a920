import type { RequestHandler } from 'express';
import { problem } from './problems';

/**
 * 405 for a method the OpenAPI document does not list on a path it does (RFC 9110 §15.5.6): TRACE, PUT or
 * DELETE on /api/cases answer 405 with `Allow: GET, POST` instead of 404 — the resource is there, the method
 * is not. Mounted before authentication: the document says the same to anyone. HEAD is served wherever GET is
 * (express answers it with the GET route) and OPTIONS is left to CORS, so neither is refused here.
 */

type Paths = Record<string, Record<string, unknown> | undefined>;
const methods = ['get', 'put', 'post', 'delete', 'patch'];

interface Resource {
  pattern: RegExp;
  allow: string[];
}

function compile(paths: Paths): Resource[] {
  return Object.entries(paths).map(([path, item]) => ({
    // `{id}` is one path segment; everything else is literal.
    pattern: new RegExp(`^${path.split(/\{[^}]+\}/).map((s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('[^/]+')}/?$`),
    allow: methods.filter((m) => item?.[m] !== undefined).map((m) => m.toUpperCase()),
  }));
}

/** `document` is called once, on the first request (every router has registered its paths by then). */
export function refuseUndocumentedMethods(document: () => { paths?: object }): RequestHandler {
  let resources: Resource[] | undefined;
  return (req, _res, next) => {
    if (req.method === 'OPTIONS') return next();
    resources ??= compile((document().paths ?? {}) as Paths);
    const allow = [...new Set(resources.filter((r) => r.pattern.test(req.path)).flatMap((r) => r.allow))];
    const method = req.method === 'HEAD' ? 'GET' : req.method;
    if (allow.length === 0 || allow.includes(method)) return next();
    next(
      problem(405, `${req.method} is not a method of ${req.path}; it has ${allow.join(', ')}`, {
        type: 'method-not-allowed',
        headers: { Allow: allow.join(', ') },
      }),
    );
  };
}
