import { describe, expect, it } from 'vitest';
import { DomainError } from '@reelforge/contracts';
import { createMediaLinks, mediaLinkKey, type MediaLinkClaims } from '../src/auth/media-links.ts';

const SECRET = 'a-jwt-secret-of-at-least-32-characters!!';
const claims: MediaLinkClaims = {
  principal: { id: 'tenant-a', roles: ['member'] },
  contentId: '0b6f4c52-2f5e-4a39-9d43-2a4f8f1a1c11',
  kind: 'video',
  expiresAt: Date.parse('2026-11-28T12:00:00Z'),
};
const links = createMediaLinks(mediaLinkKey({ JWT_SECRET: SECRET }).key);

const refusal = (fn: () => unknown): { code: string; message: string } => {
  try {
    fn();
  } catch (err) {
    if (err instanceof DomainError) return { code: err.code, message: err.message };
    throw err;
  }
  throw new Error('accepted');
};

describe('signed media links', () => {
  it('carry who signed them, for which file, until when', () => {
    const token = links.sign(claims);
    expect(token).toMatch(/^[\w-]+\.[\w-]+$/); // safe in a path without escaping
    expect(links.verify(token, claims.expiresAt - 1)).toEqual(claims);
  });

  it('stop working at their expiry (403, saying when), not before', () => {
    const token = links.sign(claims);
    expect(links.verify(token, claims.expiresAt - 1000).contentId).toBe(claims.contentId);
    expect(refusal(() => links.verify(token, claims.expiresAt))).toEqual({
      code: 'FORBIDDEN',
      message: 'media link expired at 2026-11-28T12:00:00.000Z',
    });
  });

  it('cannot be altered: another file, kind, principal or expiry under the same signature is refused (401)', () => {
    const [body, signature] = links.sign(claims).split('.') as [string, string];
    const payload = JSON.parse(Buffer.from(body, 'base64url').toString()) as Record<string, unknown>;
    const variants = [
      { ...payload, c: '11111111-2f5e-4a39-9d43-2a4f8f1a1c11' },
      { ...payload, k: 'thumbnail' },
      { ...payload, p: { id: 'tenant-b', roles: ['member'] } },
      { ...payload, p: { id: 'tenant-a', roles: ['member', 'operator'] } },
      { ...payload, e: (payload.e as number) + 3600 },
    ];
    for (const v of variants) {
      const forged = `${Buffer.from(JSON.stringify(v)).toString('base64url')}.${signature}`;
      expect(refusal(() => links.verify(forged, 0)).code).toBe('UNAUTHENTICATED');
    }
  });

  it('signed with another key, or not a link at all, is refused (401)', () => {
    const other = createMediaLinks(mediaLinkKey({ JWT_SECRET: `${SECRET}-other` }).key);
    for (const token of [other.sign(claims), '', '.', 'a.b', 'a.b.c', `${links.sign(claims)}x`, 'x'.repeat(5000)])
      expect(refusal(() => links.verify(token, 0)).code, token.slice(0, 20)).toBe('UNAUTHENTICATED');
  });

  it('keys: MEDIA_LINK_SECRET wins; else derived from JWT_SECRET (never the secret itself); else random per process', () => {
    const derived = mediaLinkKey({ JWT_SECRET: SECRET });
    expect(derived.ephemeral).toBe(false);
    expect(derived.key.equals(mediaLinkKey({ JWT_SECRET: SECRET }).key)).toBe(true); // same on every replica
    expect(derived.key.includes(Buffer.from(SECRET))).toBe(false);
    const own = mediaLinkKey({ MEDIA_LINK_SECRET: 'x'.repeat(32), JWT_SECRET: SECRET });
    expect(own.key.equals(derived.key)).toBe(false);
    const none = mediaLinkKey({});
    expect(none.ephemeral).toBe(true);
    expect(none.key.equals(mediaLinkKey({}).key)).toBe(false);
  });
});
