import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { freePort, waitForPort } from './free-port.ts';
import { redisCommand } from './redis-command.ts';
import { stopChild } from './nats-server.ts';
import { ensureTool, TOOLS } from './tools.ts';

export interface RunningRedis {
  /** redis://127.0.0.1:<port>: no password, it listens on loopback only (benchmarks and tests). */
  url: string;
  port: number;
  /** The server's process id (for tests). */
  pid: number;
  stop(): Promise<void>;
}

/**
 * Starts a private `redis-server` on 127.0.0.1 (a free port unless given: never the machine's own
 * 6379) with its files in `dir`: append-only file on and fsync'd once a second (the usual durable
 * setup for a job queue; Redis's defaults are neither), no RDB snapshots. Resolves once it answers PING.
 */
export async function startRedisServer(options: {
  dir: string;
  port?: number;
  log?: (line: string) => void;
}): Promise<RunningRedis> {
  const bin = ensureTool(TOOLS.redisServer, options.log);
  mkdirSync(options.dir, { recursive: true });
  const port = options.port || (await freePort());
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--dir', options.dir];
  args.push('--appendonly', 'yes', '--appendfsync', 'everysec', '--save', '', '--daemonize', 'no');
  // Logs to stdout by default: kept (the tail) for the error when it exits early.
  const child: ChildProcess = spawn(bin, args, { detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const keep = (d: Buffer) => {
    output = (output + d.toString()).slice(-4000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const exited = new Promise<never>((_, reject) =>
    child.once('exit', (code) =>
      reject(new Error(`redis-server exited (${code}): ${output.trim().split('\n').slice(-3).join(' ')}`)),
    ),
  );
  exited.catch(() => undefined);
  const stop = () => stopChild(child);
  try {
    await Promise.race([waitForPort(port), exited]);
    await Promise.race([answersPing(port, 15_000), exited]);
  } catch (err) {
    // A server that never answered is not left behind.
    await stop();
    throw err;
  }
  // SIGTERM: redis-server fsyncs the append-only file and exits.
  return { url: `redis://127.0.0.1:${port}`, port, pid: child.pid ?? 0, stop };
}

/** PING until PONG (the port opens before the append-only file is loaded: -LOADING meanwhile). */
async function answersPing(port: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      if ((await redisCommand(port, 'PING')) === 'PONG') return;
    } catch (err) {
      last = err;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`redis-server on port ${port} did not answer PING in ${timeoutMs} ms: ${String(last)}`);
}
