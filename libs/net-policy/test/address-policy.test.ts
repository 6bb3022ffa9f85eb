import { describe, expect, it } from 'vitest';
import { isForbiddenAddress, sourceUrlProblem } from '../src/address-policy.ts';

describe('isForbiddenAddress', () => {
  it('refuses loopback, private, link-local, CGNAT, multicast and their IPv6 twins', () => {
    for (const a of [
      '127.0.0.1',
      '10.1.2.3',
      '172.16.0.1',
      '172.31.255.255',
      '192.168.1.1',
      '169.254.169.254',
      '100.64.0.1',
      '0.0.0.0',
      '224.0.0.1',
      '::1',
      '::',
      'fc00::1',
      'fd12::1',
      'fe80::1',
      '::ffff:127.0.0.1',
      '::ffff:10.0.0.1',
      'not-an-ip',
    ]) {
      expect(isForbiddenAddress(a), a).toBe(true);
    }
  });
  it('allows public unicast addresses', () => {
    for (const a of ['8.8.8.8', '172.32.0.1', '100.128.0.1', '2606:4700:4700::1111', '::ffff:8.8.8.8'])
      expect(isForbiddenAddress(a), a).toBe(false);
  });
  it('judges an IPv4 address embedded in IPv6 by the IPv4 address, however it is written', () => {
    // Mapped (hex too: that is how URL prints it), SIIT-translated, and NAT64 well-known prefix.
    for (const a of [
      '::ffff:7f00:1',
      '::FFFF:127.0.0.1',
      '::ffff:a9fe:a9fe',
      '::ffff:0:10.0.0.1',
      '::ffff:0:7f00:1',
      '64:ff9b::127.0.0.1',
      '64:ff9b::a9fe:a9fe',
      '64:ff9b::c0a8:101',
      '64:ff9b::0:0',
    ]) {
      expect(isForbiddenAddress(a), a).toBe(true);
    }
    // DNS64 maps public IPv4-only sites into 64:ff9b::/96; those stay reachable.
    for (const a of ['::ffff:808:808', '::ffff:0:8.8.8.8', '64:ff9b::8.8.8.8', '64:ff9b::5db8:d822'])
      expect(isForbiddenAddress(a), a).toBe(false);
  });
  it('refuses IPv6 ranges that tunnel to IPv4 or are never a public host, whatever they embed', () => {
    for (const a of [
      '::8.8.8.8', // IPv4-compatible (deprecated)
      '::7f00:1',
      '2002:808:808::1', // 6to4 of a public address
      '2002:7f00:1::1', // 6to4 of loopback
      '64:ff9b:1::808:808', // local-use NAT64
      '64:ff9b:1:ffff::1',
      '2001:0:4136:e378:8000:63bf:3fff:fdd2', // Teredo
      '2001:db8::1', // documentation
      '100::1', // discard-only
      'fec0::1', // site-local
      'fe80::1%eth0', // a zone id must not hide link-local
      '::1%1',
    ]) {
      expect(isForbiddenAddress(a), a).toBe(true);
    }
    // Neighbours of those ranges are ordinary public addresses.
    for (const a of ['2001:4860:4860::8888', '2003::1', '64:ff9b:2::1', '2001:1::1'])
      expect(isForbiddenAddress(a), a).toBe(false);
  });
  it('refuses special-purpose IPv4 ranges (documentation, benchmarking, 6to4 relay)', () => {
    for (const a of [
      '192.0.0.8',
      '192.0.2.1',
      '192.88.99.1',
      '198.18.0.1',
      '198.19.255.255',
      '198.51.100.7',
      '203.0.113.9',
      '255.255.255.255',
    ])
      expect(isForbiddenAddress(a), a).toBe(true);
    for (const a of ['198.17.255.255', '198.20.0.1', '192.0.3.1']) expect(isForbiddenAddress(a), a).toBe(false);
  });
});

describe('sourceUrlProblem', () => {
  const resolveTo = (addresses: string[]) => async () => addresses;
  it('accepts a public http(s) URL', async () => {
    expect(
      await sourceUrlProblem('https://videos.example.com/a.mp4', {
        allowPrivate: false,
        resolve: resolveTo(['93.184.216.34']),
      }),
    ).toBeUndefined();
  });
  it('refuses other schemes, credentials, and hosts that resolve to a private address', async () => {
    expect(await sourceUrlProblem('ftp://x.example/a', { allowPrivate: false })).toMatch(/only http and https/);
    expect(await sourceUrlProblem('https://user:pw@x.example/a', { allowPrivate: false })).toMatch(/credentials/);
    expect(
      await sourceUrlProblem('http://rebind.example/a', {
        allowPrivate: false,
        resolve: resolveTo(['93.184.216.34', '10.0.0.5']),
      }),
    ).toMatch(/private or loopback address \(10\.0\.0\.5\)/);
    expect(await sourceUrlProblem('http://[::1]:8080/a', { allowPrivate: false })).toMatch(/::1/);
    // URL normalises a mapped literal to hex (`[::ffff:7f00:1]`); it is still loopback.
    expect(await sourceUrlProblem('http://[::ffff:127.0.0.1]/a', { allowPrivate: false })).toMatch(
      /private or loopback address \(::ffff:7f00:1\)/,
    );
    expect(
      await sourceUrlProblem('http://[64:ff9b::169.254.169.254]/latest/meta-data', { allowPrivate: false }),
    ).toMatch(/private or loopback/);
    expect(
      await sourceUrlProblem('http://nat64.example/a', { allowPrivate: false, resolve: resolveTo(['64:ff9b::a00:5']) }),
    ).toMatch(/64:ff9b::a00:5/);
    expect(await sourceUrlProblem('http://169.254.169.254/latest/meta-data', { allowPrivate: false })).toMatch(
      /169\.254\.169\.254/,
    );
    expect(
      await sourceUrlProblem('http://nowhere.invalid/a', {
        allowPrivate: false,
        resolve: () => Promise.reject(new Error('ENOTFOUND')),
      }),
    ).toMatch(/does not resolve/);
    // The real resolver: localhost is loopback.
    expect(await sourceUrlProblem('http://localhost/a', { allowPrivate: false })).toMatch(/loopback/);
  });
  it('lets private targets through only when allowed', async () => {
    expect(await sourceUrlProblem('http://127.0.0.1:9000/a.mp4', { allowPrivate: true })).toBeUndefined();
    expect(await sourceUrlProblem('file:///etc/passwd', { allowPrivate: true })).toMatch(/only http and https/);
  });
});
