import dns from 'node:dns';
import type { LookupFunction } from 'node:net';
import ipaddr from 'ipaddr.js';
import { Agent, fetch as undiciFetch, type RequestInit as UndiciRequestInit } from 'undici';

/**
 * Outbound URLs (README "Outbound URLs"): the service POSTs to partners' webhook URLs and to the SMS
 * gateway, URLs that an admin (or the environment) gives it. They must not reach into the service's own
 * network: loopback, link-local (169.254.169.254, the cloud metadata service), private (RFC 1918, CGNAT
 * 100.64/10, ULA fc00::/7), unspecified (0.0.0.0), multicast, reserved and every other special-purpose range
 * (IPv4 inside IPv6 — mapped, NAT64, 6to4, Teredo — counts as what it carries) are refused unless
 * OUTBOUND_ALLOW lists them: host names, addresses and CIDR ranges, comma-separated. Without OUTBOUND_ALLOW,
 * development and tests allow loopback and production nothing; `none` allows nothing anywhere.
 *
 * A URL is checked when it is registered and again at every delivery: its host name is resolved, every
 * address it resolves to must be allowed, and the connection is made to the addresses checked (the agent's
 * own lookup answers with them), so a DNS answer that changes between the check and the connection
 * (rebinding) cannot reach a refused address. Redirects are never followed (the channels answer a 3xx as a
 * refusal).
 */

type Address = ipaddr.IPv4 | ipaddr.IPv6;

/** Host name → its addresses (all of them, as `dns.lookup(host, { all: true })`). Tests replace it. */
export type Resolve = (host: string) => Promise<string[]>;

export interface OutboundPolicy {
  /** Ranges allowed although not public. */
  ranges: [Address, number][];
  /** Host names allowed whatever they resolve to (lower case). */
  hosts: string[];
  /** Name resolution; default `dns.lookup` (what the connection would use). */
  resolve?: Resolve;
}

/** What development and tests allow without OUTBOUND_ALLOW: loopback (local receivers and gateways). */
export const developmentOutboundAllow = '127.0.0.0/8,::1/128';

/** localhost and *.localhost are loopback by definition (RFC 6761). */
const isLocalhost = (host: string) => host === 'localhost' || host.endsWith('.localhost');

const hostNamePattern = /^(?=.{1,253}$)([a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?)(\.[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?)*\.?$/i;

/** One entry of OUTBOUND_ALLOW as a range or a host name; undefined when it is neither. */
function parseEntry(entry: string): { range: [Address, number] } | { host: string } | undefined {
  if (entry.includes('/')) {
    try {
      const [addr, bits] = ipaddr.parseCIDR(entry);
      return { range: [unwrap(addr), addr.kind() === 'ipv6' && unwrap(addr).kind() === 'ipv4' ? Math.max(0, bits - 96) : bits] };
    } catch {
      return undefined;
    }
  }
  const literal = entry.replace(/^\[(.*)\]$/, '$1');
  if (ipaddr.isValid(literal)) {
    const addr = unwrap(ipaddr.parse(literal));
    return { range: [addr, addr.kind() === 'ipv4' ? 32 : 128] };
  }
  return hostNamePattern.test(entry) ? { host: entry.toLowerCase().replace(/\.$/, '') } : undefined;
}

const entriesOf = (value: string) =>
  value
    .split(',')
    .map((e) => e.trim())
    .filter(Boolean);

/** Why OUTBOUND_ALLOW is not acceptable (undefined: it is). */
export function outboundAllowError(value: string): string | undefined {
  if (value.trim().toLowerCase() === 'none') return undefined;
  const bad = entriesOf(value).filter((e) => parseEntry(e) === undefined);
  return bad.length ? `must list host names, IP addresses or CIDR ranges, comma-separated, or be "none" (not ${bad.map((b) => JSON.stringify(b)).join(', ')})` : undefined;
}

/** The policy of OUTBOUND_ALLOW (see the module's comment for the defaults). */
export function outboundPolicy(allow: string | undefined, nodeEnv: 'development' | 'production' | 'test', resolve?: Resolve): OutboundPolicy {
  const value = allow ?? (nodeEnv === 'production' ? '' : developmentOutboundAllow);
  const policy: OutboundPolicy = { ranges: [], hosts: [], ...(resolve ? { resolve } : {}) };
  if (value.trim().toLowerCase() === 'none') return policy;
  for (const entry of entriesOf(value)) {
    const parsed = parseEntry(entry);
    if (!parsed) throw new Error(`OUTBOUND_ALLOW ${outboundAllowError(value)}`);
    if ('range' in parsed) policy.ranges.push(parsed.range);
    else policy.hosts.push(parsed.host);
  }
  return policy;
}

/** IPv4 carried in IPv6 (mapped, NAT64 64:ff9b::/96, 6to4 2002::/16, Teredo 2001::/32) is judged as the IPv4 it carries. */
function unwrap(addr: Address): Address {
  if (addr.kind() === 'ipv4') return addr;
  const v6 = addr as ipaddr.IPv6;
  if (v6.isIPv4MappedAddress()) return v6.toIPv4Address();
  const bytes = v6.toByteArray();
  const range = v6.range();
  if (range === 'rfc6052' || range === 'rfc6145') return ipaddr.fromByteArray(bytes.slice(12));
  if (range === '6to4') return ipaddr.fromByteArray(bytes.slice(2, 6));
  // Teredo's client address is the last four bytes, inverted.
  if (range === 'teredo') return ipaddr.fromByteArray(bytes.slice(12).map((b) => b ^ 0xff));
  return v6;
}

/** Why the address may not be reached (undefined: it may), e.g. `loopback`, `private`, `linkLocal`. */
export function refusedAddress(address: string, policy: OutboundPolicy): string | undefined {
  if (!ipaddr.isValid(address)) return 'not an IP address';
  const parsed = ipaddr.parse(address);
  const addr = unwrap(parsed);
  const allowed = policy.ranges.some(([range, bits]) => range.kind() === addr.kind() && addr.match(range, bits));
  if (allowed) return undefined;
  const range = addr.range();
  if (range !== 'unicast') return range;
  // Public IPv4 carried in IPv6 is still refused: a partner has no reason to be reached that way.
  return parsed.kind() !== addr.kind() ? (parsed as ipaddr.IPv6).range() : undefined;
}

/**
 * Why a URL is refused without resolving its name (for configuration checked at boot): an IP literal in a
 * refused range, or localhost, unless allowed. Undefined: it may pass (delivery checks it fully).
 */
export function refusedLiteralUrl(url: string, policy: OutboundPolicy): string | undefined {
  if (!URL.canParse(url)) return undefined;
  const host = new URL(url).hostname.replace(/^\[(.*)\]$/, '$1').toLowerCase().replace(/\.$/, '');
  if (ipaddr.isValid(host)) {
    const why = refusedAddress(host, policy);
    return why ? `reaches a ${why} address, which OUTBOUND_ALLOW does not allow` : undefined;
  }
  if (isLocalhost(host) && !policy.hosts.includes(host)) {
    return refusedAddress('127.0.0.1', policy) ? 'reaches localhost, which OUTBOUND_ALLOW does not allow' : undefined;
  }
  return undefined;
}

/** A URL the policy refuses: `reason` names the range (never the address itself). */
export class OutboundRefused extends Error {
  override name = 'OutboundRefused';
}

/** Its host name could not be resolved (possibly for a while: retried at delivery, accepted at registration). */
export class OutboundUnresolved extends Error {
  override name = 'OutboundUnresolved';
  constructor(readonly code: string) {
    super(`the host name could not be resolved (${code})`);
  }
}

const systemResolve: Resolve = async (host) => (await dns.promises.lookup(host, { all: true, verbatim: true })).map((a) => a.address);

/**
 * The addresses `url` may be reached at: every address its host resolves to, each allowed. Throws
 * OutboundRefused for a URL that is not http(s), carries credentials or reaches a refused address, and
 * OutboundUnresolved when the name does not resolve.
 */
export async function checkOutboundUrl(url: string, policy: OutboundPolicy): Promise<string[]> {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new OutboundRefused('is not a URL');
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw new OutboundRefused('is not an http(s) URL');
  if (parsed.username || parsed.password) throw new OutboundRefused('must not carry a user name or password');
  // The WHATWG parser has already turned 2130706433, 0x7f.1 and 017700000001 into 127.0.0.1.
  const host = parsed.hostname.replace(/^\[(.*)\]$/, '$1').toLowerCase().replace(/\.$/, '');
  if (host === '') throw new OutboundRefused('has no host');
  const literal = ipaddr.isValid(host);
  let addresses: string[];
  if (literal) addresses = [host];
  // localhost is loopback by definition (RFC 6761), whatever a resolver says.
  else if (isLocalhost(host)) addresses = ['127.0.0.1', '::1'];
  else {
    try {
      addresses = await (policy.resolve ?? systemResolve)(host);
    } catch (err) {
      throw new OutboundUnresolved((err as { code?: string }).code ?? 'EAI_FAIL');
    }
    if (addresses.length === 0) throw new OutboundUnresolved('ENODATA');
  }
  if (!literal && policy.hosts.includes(host)) return addresses;
  for (const address of addresses) {
    const why = refusedAddress(address, policy);
    if (why) throw new OutboundRefused(`reaches a ${why} address, which OUTBOUND_ALLOW does not allow`);
  }
  return addresses;
}

/** What a channel needs of an answer: its body is read and dropped (it is the receiver's business). */
export interface OutboundAnswer {
  ok: boolean;
  status: number;
  headers: { get(name: string): string | null };
}

/**
 * `fetch` to a URL checked with the policy, connecting only to the addresses checked; redirects are not
 * followed (a 3xx is the answer). Throws OutboundRefused / OutboundUnresolved as checkOutboundUrl, and
 * fetch's own errors (a timeout, a refused connection).
 */
export async function outboundFetch(url: string, init: Omit<UndiciRequestInit, 'dispatcher' | 'redirect'>, policy: OutboundPolicy): Promise<OutboundAnswer> {
  const addresses = await checkOutboundUrl(url, policy);
  const pinned = addresses.map((address) => ({ address, family: ipaddr.parse(address).kind() === 'ipv4' ? 4 : 6 }));
  const lookup: LookupFunction = (_host, options, callback) => {
    if (options.all) (callback as unknown as (err: null, all: typeof pinned) => void)(null, pinned);
    else callback(null, pinned[0]!.address, pinned[0]!.family);
  };
  const agent = new Agent({ connect: { lookup } });
  try {
    const res = await undiciFetch(url, { ...init, redirect: 'manual', dispatcher: agent });
    await res.arrayBuffer().catch(() => undefined);
    return { ok: res.ok, status: res.status, headers: res.headers };
  } finally {
    void agent.close().catch(() => undefined);
  }
}
