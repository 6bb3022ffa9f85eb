import { lookup } from 'node:dns/promises';
import { BlockList, isIP } from 'node:net';

// Addresses a server-side fetch must not reach unless allowed: loopback, private, link-local
// (cloud metadata lives there), CGNAT, unspecified, multicast, reserved, and their IPv6 twins.
const blocked = new BlockList();
for (const [net, prefix] of [['0.0.0.0', 8], ['10.0.0.0', 8], ['100.64.0.0', 10], ['127.0.0.0', 8], ['169.254.0.0', 16], ['172.16.0.0', 12], ['192.168.0.0', 16], ['224.0.0.0', 4], ['240.0.0.0', 4]] as const) {
  blocked.addSubnet(net, prefix, 'ipv4');
}
for (const [net, prefix] of [['::', 128], ['::1', 128], ['fc00::', 7], ['fe80::', 10], ['ff00::', 8]] as const) blocked.addSubnet(net, prefix, 'ipv6');

/** True for an address a fetch must refuse (anything that is not a public unicast address). */
export function isForbiddenAddress(address: string): boolean {
  const family = isIP(address);
  if (family === 0) return true;
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped) return blocked.check(mapped[1]!, 'ipv4');
  return blocked.check(address, family === 6 ? 'ipv6' : 'ipv4');
}

/**
 * Why a source URL may not be fetched, or undefined when it may: only http(s), no credentials in
 * it, and (unless private targets are allowed) a host that resolves to public addresses only.
 */
export async function sourceUrlProblem(raw: string, options: { allowPrivate: boolean; resolve?: (host: string) => Promise<string[]> }): Promise<string | undefined> {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return 'not a valid URL';
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return `only http and https sources are allowed, not ${url.protocol.replace(/:$/, '')}`;
  if (url.username || url.password) return 'credentials in the URL are not allowed';
  if (options.allowPrivate) return undefined;
  const host = url.hostname.replace(/^\[|\]$/g, '');
  let addresses: string[];
  try {
    addresses = isIP(host) ? [host] : await (options.resolve ?? ((h) => lookup(h, { all: true }).then((r) => r.map((a) => a.address))))(host);
  } catch {
    return `the host ${host} does not resolve`;
  }
  const bad = addresses.find(isForbiddenAddress);
  return bad ? `the host ${host} points at a private or loopback address (${bad})` : undefined;
}
