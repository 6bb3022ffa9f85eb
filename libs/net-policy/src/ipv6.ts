import { isIPv4, isIPv6 } from 'node:net';

/**
 * Reads an IPv6 address (any textual form: `::` compression, a trailing dotted quad, a `%zone`)
 * into its 16 bytes, or undefined when it is not one. Parsing to bytes, rather than matching
 * text, is what lets the policy see an IPv4 address however the IPv6 around it is spelled
 * (`::ffff:127.0.0.1` and `::ffff:7f00:1` are the same address).
 */
export function ipv6Bytes(address: string): Uint8Array | undefined {
  const text = stripZone(address);
  if (!isIPv6(text)) return undefined;
  let groups = text.toLowerCase();
  const dotted = /(\d+\.\d+\.\d+\.\d+)$/.exec(groups);
  if (dotted) {
    if (!isIPv4(dotted[1]!)) return undefined;
    const [a, b, c, d] = dotted[1]!.split('.').map(Number) as [number, number, number, number];
    groups = `${groups.slice(0, dotted.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head, tail] = groups.split('::') as [string, string | undefined];
  const left = head ? head.split(':') : [];
  const right = tail ? tail.split(':') : [];
  const words =
    tail === undefined ? left : [...left, ...Array<string>(8 - left.length - right.length).fill('0'), ...right];
  if (words.length !== 8) return undefined;
  const bytes = new Uint8Array(16);
  words.forEach((w, i) => {
    const v = Number.parseInt(w, 16);
    bytes[2 * i] = v >> 8;
    bytes[2 * i + 1] = v & 0xff;
  });
  return bytes;
}

/** The address without its `%zone` suffix (scoped addresses only name an interface there). */
export function stripZone(address: string): string {
  const i = address.indexOf('%');
  return i === -1 ? address : address.slice(0, i);
}

/** True when the first `bits` bits of `bytes` equal those of `prefix` (both 16 bytes). */
export function hasPrefix(bytes: Uint8Array, prefix: Uint8Array, bits: number): boolean {
  for (let i = 0; i < bits; i++) {
    const mask = 0x80 >> (i % 8);
    if ((bytes[i >> 3]! & mask) !== (prefix[i >> 3]! & mask)) return false;
  }
  return true;
}

/** The dotted quad held in bytes `at`..`at+3`. */
export function ipv4At(bytes: Uint8Array, at: number): string {
  return `${bytes[at]}.${bytes[at + 1]}.${bytes[at + 2]}.${bytes[at + 3]}`;
}
