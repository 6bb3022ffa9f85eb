import { SignJWT } from 'jose';

/** Signs a development token (the launcher prints one); same claims a real issuer would send. */
export async function signDevToken(
  secret: string,
  subject: string,
  options: { roles?: string[]; ttlSeconds?: number; issuer?: string; audience?: string } = {},
): Promise<string> {
  let jwt = new SignJWT({ roles: options.roles ?? [] })
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject(subject)
    .setIssuedAt()
    .setExpirationTime(`${options.ttlSeconds ?? 30 * 24 * 3600}s`);
  if (options.issuer) jwt = jwt.setIssuer(options.issuer);
  if (options.audience) jwt = jwt.setAudience(options.audience);
  return jwt.sign(new TextEncoder().encode(secret));
}
