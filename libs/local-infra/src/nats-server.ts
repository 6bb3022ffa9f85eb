import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { ensureTool, TOOLS } from './tools.ts';
import { freePort, waitForPort } from './free-port.ts';

export interface RunningNats {
  url: string;
  port: number;
  stop(): Promise<void>;
}

/**
 * Starts `nats-server -js` on 127.0.0.1 with its JetStream store in `storeDir` (kept between runs
 * when the directory is kept). Port 0 picks a free port.
 */
export async function startNatsServer(options: { storeDir: string; port?: number; log?: (line: string) => void }): Promise<RunningNats> {
  const bin = ensureTool(TOOLS.natsServer, options.log);
  mkdirSync(options.storeDir, { recursive: true });
  const port = options.port || (await freePort());
  const child: ChildProcess = spawn(bin, ['-js', '-a', '127.0.0.1', '-p', String(port), '-sd', options.storeDir], { detached: true, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => {
    stderr = (stderr + d.toString()).slice(-4000);
  });
  const exited = new Promise<never>((_, reject) => child.once('exit', (code) => reject(new Error(`nats-server exited (${code}): ${stderr.trim().split('\n').slice(-3).join(' ')}`))));
  await Promise.race([waitForPort(port), exited]);
  exited.catch(() => undefined);
  return {
    url: `nats://127.0.0.1:${port}`,
    port,
    stop: () => stopChild(child),
  };
}

/** Sends `signal` (SIGTERM), then SIGKILL after `graceMs`; resolves when the process is gone. */
export function stopChild(child: ChildProcess, graceMs = 5000, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill(signal);
  });
}
