import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { connect, nkeys, type Authenticator, type NatsConnection } from '@nats-io/transport-node';
import {
  connectNats,
  natsConnectOptions,
  NatsAuthError,
  openNats,
  parseNatsUrl,
  redactNatsUrl,
} from '@reelforge/messaging';
import { memoryLogger } from '@reelforge/testing';

const dir = mkdtempSync(join(tmpdir(), 'nats-auth-test-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, contents: string): string {
  const path = join(dir, name);
  writeFileSync(path, contents, { mode: 0o600 });
  return path;
}

/** Every message along an error's cause chain. */
function messagesOf(err: unknown): string[] {
  const out: string[] = [];
  for (let e = err; e instanceof Error; e = e.cause) out.push(e.message);
  return out;
}

function caught(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  throw new Error('expected a throw');
}

const signWith = (auth: Authenticator | Authenticator[] | undefined) =>
  (auth as Authenticator)('nonce') as { jwt?: string; nkey?: string; sig?: string };

function credsFile(name: string, jwt: string, seed: string): string {
  return file(
    name,
    `-----BEGIN NATS USER JWT-----\n${jwt}\n------END NATS USER JWT------\n\n************************* IMPORTANT *************************\n\n-----BEGIN USER NKEY SEED-----\n${seed}\n------END USER NKEY SEED------\n`,
  );
}

describe('NATS_URL parsing', () => {
  it('takes user:password out of every server and gives the servers without them', () => {
    const parsed = parseNatsUrl('nats://alice:s3cr%40t@h1:4222, nats://alice:s3cr%40t@h2:4222');
    expect(parsed.servers).toEqual(['nats://h1:4222', 'nats://h2:4222']);
    expect(parsed.credentials).toEqual({ user: 'alice', pass: 's3cr@t' });
    expect(parsed.tls).toBe(false);
  });

  it('reads a lone userinfo as a token, and tls:// as "TLS required"', () => {
    const parsed = parseNatsUrl('tls://t0k3n@nats.example:4222');
    expect(parsed).toEqual({ servers: ['tls://nats.example:4222'], credentials: { token: 't0k3n' }, tls: true });
    expect(natsConnectOptions('tls://nats.example:4222').tls).toEqual({});
  });

  it('refuses different credentials for different servers, without echoing them', () => {
    const err = caught(() => parseNatsUrl('nats://a:pw1@h1:4222,nats://b:pw2@h2:4222'));
    expect(err).toBeInstanceOf(NatsAuthError);
    expect(String(err)).not.toMatch(/pw1|pw2/);
  });

  it('redacts passwords and tokens for printing', () => {
    expect(redactNatsUrl('nats://alice:s3cr3t@h1:4222,nats://alice:s3cr3t@h2:4222')).toBe(
      'nats://alice:***@h1:4222,nats://alice:***@h2:4222',
    );
    expect(redactNatsUrl('tls://t0k3n@h:4222')).toBe('tls://***@h:4222');
    expect(redactNatsUrl('nats://u:p@ss@h:4222')).toBe('nats://u:***@h:4222');
    expect(redactNatsUrl('nats://127.0.0.1:4222')).toBe('nats://127.0.0.1:4222');
  });
});

describe('natsConnectOptions', () => {
  it('passes URL credentials as user/pass; NATS_USER/NATS_PASSWORD win over them', () => {
    expect(natsConnectOptions('nats://alice:pw@h:4222')).toEqual({
      servers: ['nats://h:4222'],
      user: 'alice',
      pass: 'pw',
    });
    expect(natsConnectOptions('nats://alice:pw@h:4222', { NATS_USER: 'bob', NATS_PASSWORD: 'other' })).toMatchObject({
      user: 'bob',
      pass: 'other',
    });
  });

  it('passes NATS_TOKEN as the token', () => {
    expect(natsConnectOptions('nats://h:4222', { NATS_TOKEN: 'tk' })).toEqual({
      servers: ['nats://h:4222'],
      token: 'tk',
    });
  });

  it('names the variable when user or password is missing, or when two ways are given', () => {
    expect(caught(() => natsConnectOptions('nats://h:4222', { NATS_PASSWORD: 'pw-only' }))).toMatchObject({
      variable: 'NATS_PASSWORD',
    });
    expect(caught(() => natsConnectOptions('nats://h:4222', { NATS_USER: 'u' }))).toMatchObject({
      variable: 'NATS_PASSWORD',
    });
    const both = caught(() => natsConnectOptions('nats://u:pw@h:4222', { NATS_TOKEN: 'tk' }));
    expect(both).toBeInstanceOf(NatsAuthError);
    expect((both as Error).message).toContain('NATS_TOKEN');
    expect((both as Error).message).not.toMatch(/\bpw\b|\btk\b/);
  });

  it('reads a .creds file (and re-reads it at each connect, so a rotated file is used)', () => {
    const first = nkeys.createUser();
    const path = credsFile(
      'user.creds',
      'eyJhbGciOiJlZDI1NTE5In0.first.sig',
      new TextDecoder().decode(first.getSeed()),
    );
    const options = natsConnectOptions('nats://h:4222', { NATS_CREDS_FILE: path });
    expect(options.user).toBeUndefined();
    expect(signWith(options.authenticator)).toMatchObject({
      jwt: 'eyJhbGciOiJlZDI1NTE5In0.first.sig',
      nkey: first.getPublicKey(),
    });
    const second = nkeys.createUser();
    credsFile('user.creds', 'eyJhbGciOiJlZDI1NTE5In0.second.sig', new TextDecoder().decode(second.getSeed()));
    expect(signWith(options.authenticator)).toMatchObject({
      jwt: 'eyJhbGciOiJlZDI1NTE5In0.second.sig',
      nkey: second.getPublicKey(),
    });
  });

  it('reads an NKey seed file', () => {
    const user = nkeys.createUser();
    const path = file('user.nk', `${new TextDecoder().decode(user.getSeed())}\n`);
    const auth = signWith(natsConnectOptions('nats://h:4222', { NATS_NKEY_SEED_FILE: path }).authenticator);
    expect(auth.nkey).toBe(user.getPublicKey());
    expect(user.verify(new TextEncoder().encode('nonce'), nkeys.decode(auth.sig ?? ''))).toBe(true);
  });

  it('a missing or bad key file fails with the variable and path, never the contents', () => {
    const missing = join(dir, 'nope.creds');
    const err = caught(() => natsConnectOptions('nats://h:4222', { NATS_CREDS_FILE: missing }));
    expect(err).toBeInstanceOf(NatsAuthError);
    expect((err as Error).message).toBe(`NATS_CREDS_FILE: cannot read ${missing} (ENOENT)`);

    const garbage = file('garbage.creds', 'TOP-SECRET-NOT-A-CREDS-FILE');
    const bad = caught(() => natsConnectOptions('nats://h:4222', { NATS_CREDS_FILE: garbage }));
    expect(bad).toMatchObject({ variable: 'NATS_CREDS_FILE' });
    expect(messagesOf(bad).join(' ')).not.toContain('TOP-SECRET');

    const noSeed = file('noseed.nk', 'TOP-SECRET-NO-SEED');
    const badSeed = caught(() => natsConnectOptions('nats://h:4222', { NATS_NKEY_SEED_FILE: noSeed }));
    expect(badSeed).toMatchObject({ variable: 'NATS_NKEY_SEED_FILE' });
    expect(messagesOf(badSeed).join(' ')).not.toContain('TOP-SECRET');
  });

  it('checks the TLS files and pairs certificate with key', () => {
    const ca = file('ca.pem', 'not really a CA');
    expect(natsConnectOptions('nats://h:4222', { NATS_TLS_CA_FILE: ca }).tls).toEqual({ caFile: ca });
    expect(
      caught(() => natsConnectOptions('nats://h:4222', { NATS_TLS_CA_FILE: join(dir, 'missing.pem') })),
    ).toMatchObject({ variable: 'NATS_TLS_CA_FILE' });
    expect(caught(() => natsConnectOptions('nats://h:4222', { NATS_TLS_CERT_FILE: ca }))).toMatchObject({
      variable: 'NATS_TLS_KEY_FILE',
    });
  });
});

// Against the test run's NATS, which runs with authorization on (skipped for a given NATS_URL without credentials).
const natsUrl = inject('natsUrl');
const login = parseNatsUrl(natsUrl).credentials;
describe.skipIf(!login || !('user' in login))('a NATS server with authorization on', () => {
  const { servers } = parseNatsUrl(natsUrl);
  const user = login && 'user' in login ? login.user : '';
  const wrongPassword = 'Wr0ng-Passw0rd-xyzzy';
  const open: NatsConnection[] = [];
  afterAll(async () => {
    for (const nc of open) await nc.close();
  });

  it('refuses a connection without credentials', async () => {
    await expect(connect({ servers, timeout: 5000 })).rejects.toThrow(/Authorization Violation/);
  });

  it('refuses a wrong password', async () => {
    await expect(
      openNats(natsUrl, { timeout: 5000 }, { NATS_USER: user, NATS_PASSWORD: wrongPassword }),
    ).rejects.toThrow(/Authorization Violation/);
  });

  it('accepts the right credentials, from the URL or from NATS_USER/NATS_PASSWORD', async () => {
    const fromUrl = await openNats(natsUrl);
    open.push(fromUrl);
    await fromUrl.flush();
    const fromVariables = await openNats(
      servers.join(','),
      {},
      { NATS_USER: user, NATS_PASSWORD: login && 'pass' in login ? login.pass : '' },
    );
    open.push(fromVariables);
    await fromVariables.flush();
  });

  it('connectNats with a wrong password fails without the password in any message', async () => {
    const { log } = memoryLogger('nats-auth-test');
    const withWrongPassword = servers.map((s) => s.replace('://', `://${user}:${wrongPassword}@`)).join(',');
    const err = await connectNats({ url: withWrongPassword, name: 'nats-auth-test', log, timeoutMs: 5000 }).then(
      () => undefined,
      (e: unknown) => e,
    );
    const messages = messagesOf(err);
    expect(messages[0]).toBe(`cannot connect to NATS at ${redactNatsUrl(withWrongPassword)}`);
    expect(messages.join('\n')).toMatch(/Authorization Violation/);
    expect(messages.join('\n')).not.toContain(wrongPassword);

    const viaVariable = await connectNats({
      url: servers.join(','),
      auth: { NATS_USER: user, NATS_PASSWORD: wrongPassword },
      name: 'nats-auth-test',
      log,
      timeoutMs: 5000,
    }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(messagesOf(viaVariable).join('\n')).not.toContain(wrongPassword);
    expect(messagesOf(viaVariable).join('\n')).toMatch(/Authorization Violation/);
  });
});
