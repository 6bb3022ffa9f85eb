import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { arch, platform } from 'node:os';
import { join } from 'node:path';
import { toolVersion } from '@reelforge/local-infra';

/** Debian trixie's nats-server (bookworm ships 2.9, which has no sync_interval), pinned by its SHA-256. */
const DEB = {
  version: '2.10.27',
  url: 'http://deb.debian.org/debian/pool/main/n/nats-server/nats-server_2.10.27-1+b2_amd64.deb',
  sha256: '6d913ac987b78734c08537c2adeb1526cf735f216173a9170d94b185fcfe6f8a',
};
const CACHE = join(import.meta.dirname, '..', 'node_modules', '.cache', 'reelforge', `nats-server-${DEB.version}`);

export const HOW_TO_GET_SYNC_NATS = `set NATS_SYNC_SERVER to a nats-server 2.10 or later (e.g. from ${DEB.url}: dpkg-deb -x it and point at usr/sbin/nats-server)`;

/** The version a nats-server binary reports, or undefined when it is not one. */
export const natsServerVersion = (bin: string): string | undefined => /v(\d+\.\d+\.\d+)/.exec(toolVersion(bin))?.[1];

export function hasSyncInterval(version: string): boolean {
  const [major = 0, minor = 0] = version.split('.').map(Number);
  return major > 2 || (major === 2 && minor >= 10);
}

/**
 * A nats-server that has `sync_interval`: NATS_SYNC_SERVER, else the one on PATH when it is 2.10 or
 * later, else Debian trixie's package, fetched once (checked against its pinned SHA-256) and
 * unpacked under node_modules/.cache. Resolves to why not when none can be had.
 */
export async function syncCapableNatsServer(say: (line: string) => void): Promise<{ bin: string } | { why: string }> {
  const given = process.env.NATS_SYNC_SERVER;
  if (given) {
    const version = natsServerVersion(given);
    if (version && hasSyncInterval(version)) return { bin: given };
    return { why: `NATS_SYNC_SERVER=${given} is ${version ? `nats-server ${version}` : 'not a nats-server'}` };
  }
  for (const onPath of ['nats-server', '/usr/sbin/nats-server']) {
    const version = natsServerVersion(onPath);
    if (version && hasSyncInterval(version)) return { bin: onPath };
  }
  const cached = join(CACHE, 'usr', 'sbin', 'nats-server');
  if (existsSync(cached)) return { bin: cached };
  if (platform() !== 'linux' || arch() !== 'x64')
    return { why: `no nats-server 2.10+ here, and the Debian package is for linux x64 only` };
  try {
    say(`jetstream-sync: fetching nats-server ${DEB.version} (Debian trixie) into ${CACHE} …`);
    const res = await fetch(DEB.url);
    if (!res.ok) return { why: `${DEB.url} answered ${res.status}` };
    const deb = Buffer.from(await res.arrayBuffer());
    const sha256 = createHash('sha256').update(deb).digest('hex');
    if (sha256 !== DEB.sha256) return { why: `${DEB.url} has SHA-256 ${sha256}, not the pinned ${DEB.sha256}` };
    mkdirSync(CACHE, { recursive: true });
    const file = join(CACHE, 'nats-server.deb');
    writeFileSync(file, deb);
    execFileSync('dpkg-deb', ['-x', file, CACHE]);
    return existsSync(cached) ? { bin: cached } : { why: `the package held no usr/sbin/nats-server` };
  } catch (err) {
    return { why: `could not fetch or unpack it: ${err instanceof Error ? err.message : String(err)}` };
  }
}
