import crypto from 'node:crypto';
import net from 'node:net';
import type { RequestHandler } from 'express';
import { problem } from '../http/problems';

const digest = (s: string) => crypto.createHash('sha256').update(s, 'utf8').digest();

const loopback = new net.BlockList();
loopback.addSubnet('127.0.0.0', 8, 'ipv4');
loopback.addAddress('::1', 'ipv6');

/** 127.0.0.0/8 or ::1 (also IPv4-mapped, ::ffff:127.0.0.1). */
export function isLoopback(address: string | undefined): boolean {
  const family = net.isIP(address ?? '');
  return family !== 0 && loopback.check(address!, family === 6 ? 'ipv6' : 'ipv4');
}

/** Headers a reverse proxy adds: a request carrying one came from somewhere else, whatever the socket says. */
const relayHeaders = ['forwarded', 'x-forwarded-for', 'x-real-ip'];

/**
 * Who may scrape GET /metrics. With METRICS_TOKEN: `Authorization: Bearer <METRICS_TOKEN>` (compared in
 * constant time, as SHA-256 digests, so neither the length nor a prefix shows), else 401. Without it: a
 * loopback client only (the socket's address, never a header), and not a request relayed by a proxy on
 * the same machine (which would make every client look local), else 403.
 */
export function metricsAccess(token: string | undefined): RequestHandler {
  const expected = token === undefined ? undefined : digest(token);
  return (req, _res, next) => {
    if (expected) {
      const header = req.headers.authorization;
      const match = header?.match(/^Bearer +(\S+)$/i);
      const why = !header ? 'no Authorization header' : !match ? 'use "Authorization: Bearer <METRICS_TOKEN>"' : !crypto.timingSafeEqual(digest(match[1]!), expected) ? 'the token is not the metrics token' : undefined;
      if (why) return next(problem(401, `Authentication required: ${why}`, { type: 'unauthorized', headers: { 'WWW-Authenticate': 'Bearer realm="stationflow metrics"' } }));
      return next();
    }
    if (!isLoopback(req.socket.remoteAddress)) {
      return next(problem(403, 'Metrics are served to loopback clients only while METRICS_TOKEN is not set', { type: 'metrics-loopback-only' }));
    }
    if (relayHeaders.some((h) => req.headers[h] !== undefined)) {
      return next(problem(403, 'Metrics are not served through a proxy while METRICS_TOKEN is not set (the request carries a forwarding header)', { type: 'metrics-loopback-only' }));
    }
    next();
  };
}
