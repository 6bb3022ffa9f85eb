// A child process of the ws-fanout bench: holds WebSocket clients to the gateway and to the bare
// `ws` server, and reports publish→receive latencies per phase. Clients live outside the bench's
// process so the servers being measured do not share an event loop with their own clients.
import WebSocket from 'ws';
import type { ClientCommand, ClientReply } from './ws-fanout-protocol.ts';

/** Now on a clock every process on this machine shares (the publisher stamps payloads with it). */
const now = () => performance.timeOrigin + performance.now();

type Side = 'ours' | 'bare';
const sockets: Record<Side, Set<WebSocket>> = { ours: new Set(), bare: new Set() };
/** Phase id → latencies (ms) and the count received. */
const phases = new Map<number, { latencies: number[] }>();
let waiting: { phase: number; expected: number; resolve: () => void } | undefined;

/** The payload's `message` is `"<phase>:<scheduled publish time>"` on both sides. */
function onMessage(data: WebSocket.RawData) {
  const m = JSON.parse(data.toString()) as { type?: string; message?: unknown };
  if (m.type !== 'job_progress' || typeof m.message !== 'string') return;
  const at = now();
  const colon = m.message.indexOf(':');
  const phase = Number(m.message.slice(0, colon));
  let p = phases.get(phase);
  if (!p) phases.set(phase, (p = { latencies: [] }));
  p.latencies.push(at - Number(m.message.slice(colon + 1)));
  if (waiting && waiting.phase === phase && p.latencies.length >= waiting.expected) waiting.resolve();
}

async function open(side: Side, url: string, headers: Record<string, string>, subscribe?: unknown): Promise<void> {
  const ws = new WebSocket(url, { headers });
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  if (subscribe !== undefined) {
    await new Promise<void>((resolve) => {
      const onSub = (d: WebSocket.RawData) => {
        if ((JSON.parse(d.toString()) as { type: string }).type === 'subscribed') {
          ws.off('message', onSub);
          resolve();
        }
      };
      ws.on('message', onSub);
      ws.send(JSON.stringify(subscribe));
    });
  }
  ws.on('message', onMessage);
  ws.on('close', () => sockets[side].delete(ws));
  sockets[side].add(ws);
}

/** Tops each side up to `count` open, subscribed sockets (a slow socket the server dropped is replaced). */
async function ensure(cmd: Extract<ClientCommand, { cmd: 'ensure' }>) {
  for (const side of ['ours', 'bare'] as const) {
    const target = cmd[side];
    while (sockets[side].size < cmd.count) {
      const n = Math.min(100, cmd.count - sockets[side].size);
      await Promise.all(Array.from({ length: n }, () => open(side, target.url, target.headers, target.subscribe)));
    }
  }
}

/** Waits until every socket of the phase got every event, or `timeoutMs` passes; missing ones are counted. */
async function report(cmd: Extract<ClientCommand, { cmd: 'report' }>): Promise<ClientReply> {
  const got = () => phases.get(cmd.phase)?.latencies.length ?? 0;
  if (got() < cmd.expected) {
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, cmd.timeoutMs);
      waiting = {
        phase: cmd.phase,
        expected: cmd.expected,
        resolve: () => {
          clearTimeout(timer);
          resolve();
        },
      };
    });
    waiting = undefined;
  }
  const latencies = phases.get(cmd.phase)?.latencies ?? [];
  phases.delete(cmd.phase);
  return { reply: 'report', phase: cmd.phase, latencies: Float64Array.from(latencies) };
}

process.on('message', (cmd: ClientCommand) => {
  const answer = async (): Promise<ClientReply> => {
    if (cmd.cmd === 'ensure') {
      await ensure(cmd);
      return { reply: 'ready', ours: sockets.ours.size, bare: sockets.bare.size };
    }
    if (cmd.cmd === 'report') return report(cmd);
    for (const side of Object.values(sockets)) for (const ws of side) ws.terminate();
    process.disconnect();
    return { reply: 'bye' };
  };
  answer().then(
    (reply) => process.connected && process.send!(reply),
    (err: unknown) => process.connected && process.send!({ reply: 'error', error: String(err) }),
  );
});
