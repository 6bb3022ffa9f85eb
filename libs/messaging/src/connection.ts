import { connect, type NatsConnection } from '@nats-io/transport-node';
import type { Logger } from 'pino';

/**
 * Connects to NATS. The first connect fails fast (a bad NATS_URL stops the boot with one line);
 * after that the client reconnects forever, and readiness reports the outage meanwhile.
 */
export async function connectNats(options: { url: string; name: string; log: Logger; timeoutMs?: number }): Promise<NatsConnection> {
  let nc: NatsConnection;
  try {
    nc = await connect({ servers: options.url.split(','), name: options.name, timeout: options.timeoutMs ?? 5000, maxReconnectAttempts: -1, reconnectTimeWait: 1000 });
  } catch (err) {
    throw new Error(`cannot connect to NATS at ${options.url}`, { cause: err });
  }
  void (async () => {
    for await (const s of nc.status()) {
      if (s.type === 'disconnect' || s.type === 'reconnect' || s.type === 'error') options.log.warn({ nats: s.type }, 'nats connection status');
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
