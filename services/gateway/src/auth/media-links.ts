import { createHash, createHmac, hkdfSync, randomBytes, timingSafeEqual } from 'node:crypto';
import { Type, type Static } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { DomainError, Principal } from '@reelforge/contracts';

/**
 * Signed, short-lived media links (Mux's signed playback URLs, S3's presigned GETs): a `<video>`
 * or `<img>` element cannot send a bearer header, and fetching a whole clip into a blob first
 * defeats Range requests. The link carries who signed it and for what, so serving it re-checks
 * ownership with the owner exactly as a bearer request would: a link outlives neither its expiry
 * nor the clip, and is only ever as strong as the principal who asked for it.
 */
export type MediaKind = 'video' | 'thumbnail';

export interface MediaLinkClaims {
  principal: Principal;
  contentId: string;
  kind: MediaKind;
  /** Epoch milliseconds. */
  expiresAt: number;
}

export interface MediaLinks {
  sign(claims: MediaLinkClaims): string;
  /** The claims of a genuine, unexpired link; a DomainError (401 forged, 403 expired) otherwise. */
  verify(token: string, now?: number): MediaLinkClaims;
}

const Payload = Type.Object(
  {
    v: Type.Literal(1),
    c: Type.String({ format: 'uuid' }),
    k: Type.Union([Type.Literal('video'), Type.Literal('thumbnail')]),
    e: Type.Integer({ minimum: 0 }),
    p: Principal,
  },
  { additionalProperties: false },
);
type Payload = Static<typeof Payload>;

/** Longer than any real link (a 200-character principal and a few roles), short of abuse. */
const MAX_TOKEN_LENGTH = 2048;

export function createMediaLinks(key: Buffer): MediaLinks {
  const mac = (body: string) => createHmac('sha256', key).update(body).digest();
  const forged = () => new DomainError('UNAUTHENTICATED', 'media link is not valid (ask for a new one)');
  return {
    sign: ({ principal, contentId, kind, expiresAt }) => {
      const payload: Payload = {
        v: 1,
        c: contentId,
        k: kind,
        e: Math.ceil(expiresAt / 1000),
        p: { id: principal.id, roles: [...principal.roles] },
      };
      const body = Buffer.from(JSON.stringify(payload)).toString('base64url');
      return `${body}.${mac(body).toString('base64url')}`;
    },
    verify: (token, now = Date.now()) => {
      if (token.length > MAX_TOKEN_LENGTH) throw forged();
      const [body, signature, extra] = token.split('.');
      if (!body || !signature || extra !== undefined) throw forged();
      const given = Buffer.from(signature, 'base64url');
      const expected = mac(body);
      if (given.length !== expected.length || !timingSafeEqual(given, expected)) throw forged();
      let payload: unknown;
      try {
        payload = JSON.parse(Buffer.from(body, 'base64url').toString('utf8'));
      } catch {
        throw forged();
      }
      // Signed by us, so a bad shape means a key shared with something else: refused all the same.
      if (!Value.Check(Payload, payload)) throw forged();
      const expiresAt = payload.e * 1000;
      if (expiresAt <= now)
        throw new DomainError('FORBIDDEN', `media link expired at ${new Date(expiresAt).toISOString()}`, {
          expiredAt: new Date(expiresAt).toISOString(),
        });
      return { principal: payload.p, contentId: payload.c, kind: payload.k, expiresAt };
    },
  };
}

/**
 * The signing key: MEDIA_LINK_SECRET when set; else derived from JWT_SECRET (HKDF, its own
 * purpose, so a link can never pass as a bearer token or the reverse); else a random key, which
 * holds only for this process (links die with a restart and do not cross gateway replicas).
 */
export function mediaLinkKey(source: { MEDIA_LINK_SECRET?: string | undefined; JWT_SECRET?: string | undefined }): {
  key: Buffer;
  ephemeral: boolean;
} {
  if (source.MEDIA_LINK_SECRET)
    return { key: createHash('sha256').update(source.MEDIA_LINK_SECRET).digest(), ephemeral: false };
  if (source.JWT_SECRET)
    return {
      key: Buffer.from(hkdfSync('sha256', source.JWT_SECRET, 'reelforge', 'media-links v1', 32)),
      ephemeral: false,
    };
  return { key: randomBytes(32), ephemeral: true };
}
