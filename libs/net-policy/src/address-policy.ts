import { lookup } from 'node:dns/promises';
import { BlockList, isIP } from 'node:net';
import { hasPrefix, ipv4At, ipv6Bytes, stripZone } from './ipv6.ts';

// Addresses a server-side fetch must not reach unless allowed: loopback, private, link-local
// (cloud metadata lives there), CGNAT, unspecified, multicast, reserved, and their IPv6 twins.
const blockedV4 = new BlockList();
for (const [net, prefix] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.168.0.0', 16],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
] as const) {
  blockedV4.addSubnet(net, prefix, 'ipv4');
}
// Special-purpose IPv4 (RFC 6890): protocol assignments, documentation, the retired 6to4 relay
// anycast, and benchmarking (198.18/15, often reused as an internal range). Never a video host.
for (const [net, prefix] of [
  ['192.0.0.0', 24],
  ['192.0.2.0', 24],
  ['192.88.99.0', 24],
  ['198.18.0.0', 15],
  ['198.51.100.0', 24],
  ['203.0.113.0', 24],
] as const) {
  blockedV4.addSubnet(net, prefix, 'ipv4');
}

// IPv6 refused outright. Kept apart from the IPv4 list: node's BlockList also matches IPv4 rules
// against IPv4-mapped IPv6 text, and the policy wants one explicit rule for embedded IPv4 instead.
const blockedV6 = new BlockList();
for (const [net, prefix] of [
  ['::', 96], // unspecified, loopback, and the deprecated IPv4-compatible ::a.b.c.d (RFC 4291): no public use
  ['100::', 64], // discard-only (RFC 6666)
  ['2001::', 32], // Teredo: tunnels to an IPv4 host we cannot judge from here
  ['2001:db8::', 32], // documentation
  ['2002::', 16], // 6to4 (deprecated, RFC 7526): relays reach the embedded IPv4 from anywhere; no content host needs it
  ['64:ff9b:1::', 48], // local-use NAT64 (RFC 8215): site-specific, and where the IPv4 sits depends on the operator's prefix length
  ['fc00::', 7], // unique local
  ['fe80::', 10], // link-local
  ['fec0::', 10], // site-local (deprecated)
  ['ff00::', 8], // multicast
] as const) {
  blockedV6.addSubnet(net, prefix, 'ipv6');
}

// IPv6 prefixes that carry an IPv4 address in their last 32 bits: judged by that IPv4 address, so
// `::ffff:127.0.0.1` is loopback. The well-known NAT64 prefix is checked rather than refused because
// an IPv6-only host behind DNS64 resolves every public IPv4-only site to 64:ff9b::a.b.c.d.
const EMBEDS_IPV4: readonly { prefix: Uint8Array; bits: number }[] = [
  '::ffff:0:0', // IPv4-mapped (RFC 4291)
  '::ffff:0:0:0', // IPv4-translated (SIIT, RFC 2765)
  '64:ff9b::', // NAT64 well-known prefix (RFC 6052)
].map((net) => ({ prefix: ipv6Bytes(net)!, bits: 96 }));

/** True for an address a fetch must refuse (anything that is not a public unicast address). */
export function isForbiddenAddress(address: string): boolean {
  const family = isIP(address);
  if (family === 4) return blockedV4.check(address, 'ipv4');
  if (family !== 6) return true;
  const bytes = ipv6Bytes(address);
  if (!bytes) return true; // fail closed on anything we cannot read
  const embedding = EMBEDS_IPV4.find((e) => hasPrefix(bytes, e.prefix, e.bits));
  if (embedding) return blockedV4.check(ipv4At(bytes, 12), 'ipv4');
  // Without its zone: BlockList does not match `fe80::1%eth0` against fe80::/10.
  return blockedV6.check(stripZone(address), 'ipv6');
}

/**
 * Why a source URL may not be fetched, or undefined when it may: only http(s), no credentials in
 * it, and (unless private targets are allowed) a host that resolves to public addresses only.
 */
export async function sourceUrlProblem(
  raw: string,
  options: { allowPrivate: boolean; resolve?: (host: string) => Promise<string[]> },
): Promise<string | undefined> {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return 'not a valid URL';
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    return `only http and https sources are allowed, not ${url.protocol.replace(/:$/, '')}`;
  if (url.username || url.password) return 'credentials in the URL are not allowed';
  if (options.allowPrivate) return undefined;
  const host = url.hostname.replace(/^\[|\]$/g, '');
  let addresses: string[];
  try {
    addresses = isIP(host)
      ? [host]
      : await (options.resolve ?? ((h) => lookup(h, { all: true }).then((r) => r.map((a) => a.address))))(host);
  } catch {
    return `the host ${host} does not resolve`;
  }
  const bad = addresses.find(isForbiddenAddress);
  return bad ? `the host ${host} points at a private or loopback address (${bad})` : undefined;
}
