import type { ErrorRequestHandler, RequestHandler } from 'express';
import createError, { isHttpError } from 'http-errors';
import type { Logger } from 'pino';

/**
 * RFC 9457 problem details. Every error response of the API goes through `problemHandler`, so a
 * client always receives `application/problem+json` with a specific `detail`, never an HTML page or a bare 500.
 */
export interface ProblemExtras {
  /** A short slug naming the kind of problem; becomes the `type` URI. */
  type?: string;
  title?: string;
  /** Field-level errors, each with a JSON pointer into the request. */
  errors?: { pointer: string; detail: string }[];
  headers?: Record<string, string>;
  [extension: string]: unknown;
}

export const problemTypeBase = '/problems/';

/** Create an error that becomes a problem+json response: `throw problem(404, 'Case QG-… not found')`. */
export function problem(status: number, detail: string, extras: ProblemExtras = {}) {
  // Deliberate problems are always shown to the client, 5xx included (http-errors hides 5xx by default).
  return createError(status, detail, { problem: extras, expose: true });
}

const bodyParserProblems: Record<string, { status: number; type: string; detail: (err: Error & Record<string, unknown>) => string }> = {
  'entity.parse.failed': { status: 400, type: 'malformed-json', detail: (e) => `The request body is not valid JSON: ${e.message}` },
  'entity.too.large': {
    status: 413,
    type: 'body-too-large',
    detail: (e) => `The request body is ${String(e.length)} bytes; the limit is ${String(e.limit)} bytes`,
  },
  'encoding.unsupported': { status: 415, type: 'unsupported-encoding', detail: (e) => e.message },
  'charset.unsupported': { status: 415, type: 'unsupported-charset', detail: (e) => e.message },
  'request.aborted': { status: 400, type: 'request-aborted', detail: () => 'The request was aborted by the client' },
  'request.size.invalid': { status: 400, type: 'request-size-invalid', detail: () => 'The request body size does not match Content-Length' },
};

const slug = (title: string) => title.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/(^-|-$)/g, '');

/** The problem document itself, for `problemHandler` and for answers written below express (`api/http-server.ts`). */
export function problemDocument(status: number, detail: string, extras: Omit<ProblemExtras, 'headers'> = {}, instance?: string): Record<string, unknown> {
  const { type, title, ...extensions } = extras;
  const defaultTitle = createError(status).message;
  return {
    type: type ? `${problemTypeBase}${type}` : status >= 500 ? 'about:blank' : `${problemTypeBase}${slug(defaultTitle)}`,
    title: title ?? defaultTitle,
    status,
    detail,
    ...(instance === undefined ? {} : { instance }),
    ...extensions,
  };
}

/** Errors of express's own making that carry a client's mistake but are not http-errors. */
function clientMistake(err: unknown, req: { path: string }): { status: number; detail: string; extras: ProblemExtras } | undefined {
  if (err instanceof URIError && (err as { status?: unknown }).status === 400) {
    // The router could not percent-decode a path parameter (e.g. /api/cases/%E0%A4%A).
    return { status: 400, detail: `The path ${req.path} is not valid percent-encoded UTF-8`, extras: { type: 'malformed-path' } };
  }
  const code = (err as { code?: unknown } | null)?.code;
  if (isHttpError(err) && err.status === 400 && typeof code === 'string' && code.startsWith('Z_')) {
    // body-parser could not inflate a body sent with Content-Encoding gzip or deflate.
    return { status: 400, detail: `The request body does not match its Content-Encoding (${code})`, extras: { type: 'malformed-body' } };
  }
  return undefined;
}

export function problemHandler(log: Logger): ErrorRequestHandler {
  return (err, req, res, next) => {
    if (res.headersSent) return next(err);
    let status = 500;
    let detail = 'An unexpected error occurred; it has been logged.';
    let extras: ProblemExtras = {};
    const parserProblem = typeof err?.type === 'string' ? bodyParserProblems[err.type] : undefined;
    const mistake = clientMistake(err, req);
    if (mistake) {
      ({ status, detail, extras } = mistake);
    } else if (parserProblem) {
      status = parserProblem.status;
      detail = parserProblem.detail(err);
      extras = { type: parserProblem.type };
    } else if (isHttpError(err) && err.expose) {
      status = err.status;
      detail = err.message;
      extras = (err as { problem?: ProblemExtras }).problem ?? {};
    } else if (isHttpError(err) && err.status >= 400 && err.status < 500) {
      status = err.status;
      detail = createError(status).message;
    }
    if (status >= 500 && isHttpError(err) && err.expose) log.warn({ path: req.path, status, detail }, 'request could not be served');
    else if (status >= 500) log.error({ err, path: req.path }, 'request failed');
    const { headers, ...document } = extras;
    for (const [name, value] of Object.entries(headers ?? {})) res.setHeader(name, value);
    res
      .status(status)
      .type('application/problem+json')
      .json(problemDocument(status, detail, document, req.originalUrl.split('?')[0]));
  };
}

export const notFound: RequestHandler = (req, _res, next) => {
  next(problem(404, `No route for ${req.method} ${req.path}`, { type: 'route-not-found' }));
};

/** POST/PUT/PATCH bodies must be JSON: anything else is 415, not a confusing validation error. */
export const requireJsonBody: RequestHandler = (req, _res, next) => {
  const hasBody = req.headers['transfer-encoding'] !== undefined || Number(req.headers['content-length'] ?? 0) > 0;
  if (hasBody && ['POST', 'PUT', 'PATCH'].includes(req.method) && !req.is(['application/json', 'application/*+json'])) {
    return next(
      problem(415, `Send the request body as application/json (got ${req.headers['content-type'] ?? 'no Content-Type'})`, {
        type: 'unsupported-media-type',
        headers: { 'Accept-Post': 'application/json' },
      }),
    );
  }
  next();
};
