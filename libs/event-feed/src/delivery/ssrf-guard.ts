/**
 * Keeps webhooks off the operator's own networks (SSRF): a receiver URL is chosen by a tenant, so
 * without a guard it could point at the cloud metadata service, a database or an admin port.
 * The check runs inside the socket's own DNS lookup, so the address judged is the address connected
 * to: a name that resolves to a public address when checked and a private one when connecting
 * (DNS rebinding) has no second resolution to exploit.
 */
import * as dns from 'node:dns';
import * as net from 'node:net';
import ipaddr from 'ipaddr.js';

/** IANA allocates global unicast IPv6 only from 2000::/3; everything else is special or unallocated. */
const IPV6_GLOBAL_UNICAST = ipaddr.parseCIDR('2000::/3');
/** RFC 6052's well-known NAT64 prefix, used by DNS64 on IPv6-only hosts: judged by the IPv4 it embeds. */
const NAT64_WELL_KNOWN = ipaddr.parseCIDR('64:ff9b::/96');

/** True only for a global unicast address; unparseable input is not public. */
export function isPublicAddress(address: string): boolean {
  let parsed: ipaddr.IPv4 | ipaddr.IPv6;
  try {
    // process() turns ::ffff:a.b.c.d into a.b.c.d, so the mapped form cannot dodge the IPv4 ranges.
    parsed = ipaddr.process(address);
  } catch {
    return false;
  }
  return isPublic(parsed);
}

function isPublic(ip: ipaddr.IPv4 | ipaddr.IPv6): boolean {
  if (ip.kind() === 'ipv4') return ip.range() === 'unicast';
  const v6 = ip as ipaddr.IPv6;
  const [, p1, p2, p3, , , p6, p7] = v6.parts;
  switch (v6.range()) {
    case 'unicast':
      // ipaddr.js calls 'unicast' whatever is in none of its ranges, including ::/96 (deprecated IPv4-compatible).
      return v6.match(IPV6_GLOBAL_UNICAST);
    case 'rfc6052':
      // The range also holds 64:ff9b:1::/48 (local-use NAT64, RFC 8215), whose embedding is site-defined: refused.
      return v6.match(NAT64_WELL_KNOWN) && isPublic(ipv4From(p6, p7));
    case '6to4':
      // 2002:AABB:CCDD::/48 is tunnelled to the IPv4 relay AA.BB.CC.DD.
      return isPublic(ipv4From(p1, p2));
    case 'teredo':
      // 2001:0:SSSS:SSSS:flags:port:CCCC:CCCC, the client address stored inverted (RFC 4380).
      return isPublic(ipv4From(p2, p3)) && isPublic(ipv4From(~p6 & 0xffff, ~p7 & 0xffff));
    default:
      return false;
  }
}

function ipv4From(high: number, low: number): ipaddr.IPv4 {
  return new ipaddr.IPv4([high >> 8, high & 0xff, low >> 8, low & 0xff]);
}

/** A receiver's address is not public and private networks are not allowed. */
export class BlockedAddressError extends Error {
  readonly code = 'WEBHOOK.ADDRESS_NOT_ALLOWED';
  constructor(
    readonly host: string,
    readonly address: string,
  ) {
    super(
      `Webhook host ${host} resolves to ${address}, which is not a public address; ` +
        'private networks are only reachable with WEBHOOK_ALLOW_PRIVATE_NETWORKS=on',
    );
    this.name = 'BlockedAddressError';
  }
}

/**
 * A `lookup` for net/http/https that refuses the connection when any address of the name is not
 * public. Every address is checked, not only the first: with autoSelectFamily (Node 20's default)
 * the socket may try them all, and a name mixing a public and a private address is hostile anyway.
 */
export function guardedLookup(allowPrivate: boolean, lookup: typeof dns.lookup = dns.lookup): net.LookupFunction {
  return (hostname, options, callback) => {
    lookup(hostname, { ...options, all: true }, (err, addresses) => {
      if (err) return callback(err, '');
      const blocked = allowPrivate ? undefined : addresses.find((entry) => !isPublicAddress(entry.address));
      if (blocked) return callback(new BlockedAddressError(hostname, blocked.address), '');
      if (addresses.length === 0) return callback(notFound(hostname), '');
      // Node asks for all addresses when it races families (autoSelectFamily), else for one.
      if (options?.all) return callback(null, addresses);
      callback(null, addresses[0].address, addresses[0].family);
    });
  };
}

function notFound(hostname: string): NodeJS.ErrnoException {
  const error: NodeJS.ErrnoException = new Error(`getaddrinfo ENOTFOUND ${hostname}`);
  error.code = 'ENOTFOUND';
  return error;
}

/**
 * Node connects to an IP-literal host without calling `lookup`, so such a host is judged here,
 * before connecting. A host name is left to guardedLookup.
 */
export function checkUrlTarget(url: URL, allowPrivate: boolean): void {
  if (allowPrivate) return;
  // URL keeps the brackets of an IPv6 literal; the WHATWG parser has already canonicalised IPv4 forms such as 0x7f.1.
  const host = url.hostname.startsWith('[') && url.hostname.endsWith(']') ? url.hostname.slice(1, -1) : url.hostname;
  if (net.isIP(host) !== 0 && !isPublicAddress(host)) throw new BlockedAddressError(url.hostname, host);
}
