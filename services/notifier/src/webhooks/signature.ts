import { createHmac, randomBytes } from 'node:crypto';

/** The header that carries the signature: `t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">`. */
export const SIGNATURE_HEADER = 'reelforge-signature';

/** A new signing secret, shown to its creator once. */
export const newWebhookSecret = (): string => `whsec_${randomBytes(32).toString('base64url')}`;

/**
 * Signs the exact bytes sent, with the time they were signed, as Stripe does: the receiver
 * recomputes the HMAC over `t.body` and refuses old timestamps, so a captured delivery cannot be
 * replayed later.
 */
export function signatureHeader(secret: string, body: string, at: Date): string {
  const t = Math.floor(at.getTime() / 1000);
  const v1 = createHmac('sha256', secret).update(`${t}.${body}`).digest('hex');
  return `t=${t},v1=${v1}`;
}
