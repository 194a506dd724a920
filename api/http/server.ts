import crypto from 'node:crypto';
import http from 'node:http';
import type { Duplex } from 'node:stream';
import type { Logger } from 'pino';
import type { Config } from '../../config/index';
import { problemDocument } from './problems';

/**
 * The API's HTTP server, the one place its timeouts and Node-level client errors are set — for `npm start`,
 * `npm run api` and the tests alike.
 *
 * - `REQUEST_TIMEOUT`: the whole request (headers and body) must arrive within it; `HEADERS_TIMEOUT`: its
 *   headers within that. Past either, the client gets 408 and the connection is closed (Node's default would
 *   hold a slow client for 300 s, checked every 30 s).
 * - `KEEP_ALIVE_TIMEOUT`: how long an idle keep-alive connection is kept (announced in `Keep-Alive`).
 * - What Node refuses before express sees a request — a malformed request line or header (400), oversize
 *   headers (431), a timeout (408), an `Expect` it cannot meet (417) — is answered as `application/problem+json`
 *   too, like every other error.
 */
export type HttpServerOptions = Pick<Config, 'REQUEST_TIMEOUT' | 'HEADERS_TIMEOUT' | 'KEEP_ALIVE_TIMEOUT'> & { log?: Logger };

const duration = (ms: number) => (ms % 1000 === 0 ? `${ms / 1000} s` : `${ms} ms`);

export function createHttpServer(app: http.RequestListener, options: HttpServerOptions): http.Server {
  const { REQUEST_TIMEOUT: requestTimeout, HEADERS_TIMEOUT: headersTimeout, KEEP_ALIVE_TIMEOUT: keepAliveTimeout, log } = options;
  const server = http.createServer(
    {
      requestTimeout,
      headersTimeout,
      keepAliveTimeout,
      // How often Node looks for requests past their timeouts: a tenth of the shorter one, at most every second.
      connectionsCheckingInterval: Math.max(10, Math.min(1000, Math.floor(Math.min(requestTimeout, headersTimeout) / 10))),
    },
    app,
  );

  const answers: Record<string, { status: number; type: string; detail: string }> = {
    ERR_HTTP_REQUEST_TIMEOUT: {
      status: 408,
      type: 'request-timeout',
      detail: `The request did not arrive in time: its headers must arrive within ${duration(headersTimeout)} and the whole request within ${duration(requestTimeout)}`,
    },
    HPE_HEADER_OVERFLOW: {
      status: 431,
      type: 'request-header-fields-too-large',
      detail: `The request headers are larger than ${http.maxHeaderSize} bytes`,
    },
    HPE_CHUNK_EXTENSIONS_OVERFLOW: { status: 413, type: 'chunk-extensions-too-large', detail: 'The chunk extensions of the request body are too large' },
  };

  // An `Expect` other than 100-continue: Node would answer a bare 417.
  server.on('checkExpectation', (req: http.IncomingMessage, res: http.ServerResponse) => {
    const body = JSON.stringify(
      problemDocument(417, 'The server cannot meet the request\'s Expect header: only "Expect: 100-continue" is supported', { type: 'expectation-failed' }, req.url?.split('?')[0]),
    );
    res
      .writeHead(417, { 'Content-Type': 'application/problem+json; charset=utf-8', 'Content-Length': Buffer.byteLength(body), 'X-Request-Id': crypto.randomUUID(), Connection: 'close' })
      .end(body);
  });

  server.on('clientError', (err: NodeJS.ErrnoException, socket: Duplex) => {
    // Nothing to answer on a connection the client has already reset or closed.
    if (err.code === 'ECONNRESET' || !socket.writable) {
      socket.destroy();
      return;
    }
    // As Node itself does: never write into a response that has started (it would corrupt what the peer reads).
    const inFlight = (socket as Duplex & { _httpMessage?: http.ServerResponse })._httpMessage;
    if (inFlight?.headersSent) {
      socket.destroy();
      return;
    }
    const answer = answers[err.code ?? ''] ?? {
      status: 400,
      type: 'malformed-request',
      detail: `The request is not a valid HTTP/1.1 request (${err.code ?? 'parse error'})`,
    };
    log?.debug({ code: err.code, status: answer.status }, 'client error answered before routing');
    const body = JSON.stringify(problemDocument(answer.status, answer.detail, { type: answer.type }));
    socket.end(
      `HTTP/1.1 ${answer.status} ${http.STATUS_CODES[answer.status]}\r\n` +
        'Content-Type: application/problem+json; charset=utf-8\r\n' +
        `Content-Length: ${Buffer.byteLength(body)}\r\n` +
        // As every answer of the API: a request id, here a new one (the request's own could not be read).
        `X-Request-Id: ${crypto.randomUUID()}\r\n` +
        'Connection: close\r\n\r\n' +
        body,
    );
    // end() flushes the answer; a client that never reads must not keep the socket open.
    socket.once('finish', () => socket.destroy());
  });
  return server;
}
