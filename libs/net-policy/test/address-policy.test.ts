import { describe, expect, it } from 'vitest';
import { isForbiddenAddress, sourceUrlProblem } from '../src/address-policy.ts';

describe('isForbiddenAddress', () => {
  it('refuses loopback, private, link-local, CGNAT, multicast and their IPv6 twins', () => {
    for (const a of ['127.0.0.1', '10.1.2.3', '172.16.0.1', '172.31.255.255', '192.168.1.1', '169.254.169.254', '100.64.0.1', '0.0.0.0', '224.0.0.1', '::1', '::', 'fc00::1', 'fd12::1', 'fe80::1', '::ffff:127.0.0.1', '::ffff:10.0.0.1', 'not-an-ip']) {
      expect(isForbiddenAddress(a), a).toBe(true);
    }
  });
  it('allows public unicast addresses', () => {
    for (const a of ['8.8.8.8', '172.32.0.1', '100.128.0.1', '2606:4700:4700::1111', '::ffff:8.8.8.8']) expect(isForbiddenAddress(a), a).toBe(false);
  });
});

describe('sourceUrlProblem', () => {
  const resolveTo = (addresses: string[]) => async () => addresses;
  it('accepts a public http(s) URL', async () => {
    expect(await sourceUrlProblem('https://videos.example.com/a.mp4', { allowPrivate: false, resolve: resolveTo(['93.184.216.34']) })).toBeUndefined();
  });
  it('refuses other schemes, credentials, and hosts that resolve to a private address', async () => {
    expect(await sourceUrlProblem('ftp://x.example/a', { allowPrivate: false })).toMatch(/only http and https/);
    expect(await sourceUrlProblem('https://user:pw@x.example/a', { allowPrivate: false })).toMatch(/credentials/);
    expect(await sourceUrlProblem('http://rebind.example/a', { allowPrivate: false, resolve: resolveTo(['93.184.216.34', '10.0.0.5']) })).toMatch(/private or loopback address \(10\.0\.0\.5\)/);
    expect(await sourceUrlProblem('http://[::1]:8080/a', { allowPrivate: false })).toMatch(/::1/);
    expect(await sourceUrlProblem('http://169.254.169.254/latest/meta-data', { allowPrivate: false })).toMatch(/169\.254\.169\.254/);
    expect(await sourceUrlProblem('http://nowhere.invalid/a', { allowPrivate: false, resolve: () => Promise.reject(new Error('ENOTFOUND')) })).toMatch(/does not resolve/);
    // The real resolver: localhost is loopback.
    expect(await sourceUrlProblem('http://localhost/a', { allowPrivate: false })).toMatch(/loopback/);
  });
  it('lets private targets through only when allowed', async () => {
    expect(await sourceUrlProblem('http://127.0.0.1:9000/a.mp4', { allowPrivate: true })).toBeUndefined();
    expect(await sourceUrlProblem('file:///etc/passwd', { allowPrivate: true })).toMatch(/only http and https/);
  });
});
