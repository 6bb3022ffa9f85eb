import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { isForbiddenAddress } from './address-policy.ts';

type LookupCallback = (err: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;

/** The code a refused lookup's error carries, so callers can tell a blocked target from a network fault. */
export const FORBIDDEN_ADDRESS = 'EFORBIDDEN';

/**
 * A `lookup` for node's http(s) request options that refuses names resolving to a private,
 * loopback or otherwise non-public address. The check runs inside the socket's own DNS lookup, so
 * a name cannot resolve to a public address when checked and a private one when connected (DNS
 * rebinding). `allowPrivate` is for local development and tests only.
 */
export function guardedLookup(allowPrivate: boolean) {
  return (hostname: string, options: object, cb: LookupCallback): void => {
    dnsLookup(hostname, { ...options, all: true }, (err, addresses) => {
      if (err) {
        cb(err, '', 0);
        return;
      }
      const list = addresses;
      const bad = !allowPrivate && list.find((a) => isForbiddenAddress(a.address));
      if (bad) {
        cb(Object.assign(new Error(`refusing to connect to ${bad.address}`), { code: FORBIDDEN_ADDRESS }), '', 0);
        return;
      }
      cb(null, list);
    });
  };
}
