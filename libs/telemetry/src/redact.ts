/**
 * Secrets must never reach a log line, whatever path they take: a password inside a connection
 * URL, a token in a query string (browsers pass the WebSocket token as `?token=`), a bearer
 * credential quoted in an error, an API key. These rules mask them inside any text.
 */
const RULES: [RegExp, string][] = [
  // scheme://user:password@host → scheme://user:***@host
  [/\b([a-z][a-z0-9+.-]*:\/\/[^\s/:@]*):[^\s/@]+@/gi, '$1:***@'],
  // ?token=… &access_token=… &api_key=… &password=…
  [/([?&](?:token|access_token|api_key|apikey|key|password|secret)=)[^&#\s"']+/gi, '$1***'],
  // A signed media link is a credential in a path: /api/v1/media/<token>
  [/(\/api\/v1\/media\/)[^/?#\s"']+/g, '$1***'],
  [/\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]+/g, '$1 ***'],
  // API keys (rf_ + 43 url-safe chars) and JWTs (three base64url parts, the first a JSON header).
  [/\brf_[A-Za-z0-9_-]{20,}/g, 'rf_***'],
  [/\beyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*/g, '[jwt]'],
];

export function redactSecrets(text: string): string {
  let out = text;
  for (const [pattern, replacement] of RULES) out = out.replace(pattern, replacement);
  return out;
}

/** Object paths pino censors outright, whatever their value (headers, config, bodies). */
export const REDACTED_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["sec-websocket-protocol"]',
  'headers.authorization',
  'headers.cookie',
  'authorization',
  'password',
  'token',
  'secret',
  'apiKey',
  '*.password',
  '*.token',
  '*.secret',
  '*.apiKey',
  '*.authorization',
];
