import { connect, type NatsConnection, type NodeConnectionOptions } from '@nats-io/transport-node';
import type { Logger } from 'pino';
import { natsConnectOptions, redactNatsUrl, type NatsAuthSettings } from './nats-auth.ts';

/**
 * Connects to NATS. The first connect fails fast (a bad NATS_URL stops the boot with one line);
 * after that the client reconnects forever, and readiness reports the outage meanwhile.
 * Credentials come from `auth` or from the URL (see natsConnectOptions); the error names the
 * server without them.
 */
export async function connectNats(options: {
  url: string;
  auth?: NatsAuthSettings;
  name: string;
  log: Logger;
  timeoutMs?: number;
}): Promise<NatsConnection> {
  // Bad auth settings (a missing key file) throw their own NatsAuthError, naming the variable.
  const connectOptions = natsConnectOptions(options.url, options.auth);
  let nc: NatsConnection;
  try {
    // ignoreAuthErrorAbort: after a rotated password, keep retrying (readiness reports it) instead of
    // giving up for good after two refused logins. noAsyncTraces: nats.js would otherwise build two
    // Errors per request and PubAck, for their stacks, in case it fails; our spans and the errors we
    // raise from a failure already say where it came from.
    nc = await connect({
      ...connectOptions,
      name: options.name,
      timeout: options.timeoutMs ?? 5000,
      maxReconnectAttempts: -1,
      reconnectTimeWait: 1000,
      ignoreAuthErrorAbort: true,
      noAsyncTraces: true,
    });
  } catch (err) {
    throw new Error(`cannot connect to NATS at ${redactNatsUrl(options.url)}`, { cause: err });
  }
  void (async () => {
    for await (const s of nc.status()) {
      if (s.type === 'disconnect' || s.type === 'reconnect' || s.type === 'error')
        options.log.warn({ nats: s.type }, 'nats connection status');
    }
  })();
  return nc;
}

/** Readiness check: the connection is open and the server answers a round trip. */
export function natsCheck(nc: NatsConnection): () => Promise<void> {
  return async () => {
    if (nc.isClosed()) throw new Error('connection closed');
    await nc.flush();
  };
}

/**
 * A plain connection for tests, benchmarks and tools: the credentials embedded in `url` (or given
 * in `auth`) are applied as connectNats does, with the library's own reconnect defaults.
 */
export function openNats(
  url: string,
  extra: Omit<NodeConnectionOptions, 'servers'> = {},
  auth: NatsAuthSettings = {},
): Promise<NatsConnection> {
  return connect({ ...extra, ...natsConnectOptions(url, auth) });
}
