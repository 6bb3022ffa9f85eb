import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { simpleParser } from 'mailparser';
import { afterAll, describe, expect, it } from 'vitest';
import { fileMailer } from '../src/mail/mailer.ts';
import { backoffMs } from '../src/delivery/retry-policy.ts';

describe('mail without an SMTP server', () => {
  const dir = join(mkdtempSync(join(tmpdir(), 'reelforge-mail-')), 'nested', 'mail');
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('writes each mail as a readable .eml file in MAIL_DIR (created when missing)', async () => {
    const mailer = fileMailer(dir);
    await mailer.send({
      id: '0190a0c0-0000-7000-8000-000000000001',
      from: 'Reelforge <no-reply@localhost>',
      to: 'me@example.com',
      subject: 'Hello',
      text: 'plain words',
      html: '<p>html words</p>',
    });
    mailer.close();
    expect(readdirSync(dir)).toEqual(['0190a0c0-0000-7000-8000-000000000001.eml']);
    const mail = await simpleParser(readFileSync(join(dir, '0190a0c0-0000-7000-8000-000000000001.eml')));
    expect(mail.subject).toBe('Hello');
    expect(mail.text?.trim()).toBe('plain words');
    expect(mail.html).toContain('<p>html words</p>');
    expect(JSON.stringify(mail.to)).toContain('me@example.com');
  });

  it('backs off by doubling from the first delay up to the cap', () => {
    const policy = { initialDelayMs: 1000, maxDelayMs: 5000, maxAttempts: 8 };
    expect([1, 2, 3, 4, 5].map((n) => backoffMs(policy, n))).toEqual([1000, 2000, 4000, 5000, 5000]);
  });
});
