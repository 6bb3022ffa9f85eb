import { freePort } from '@reelforge/local-infra';
import { startServiceProcess, type ServiceProcess } from '@reelforge/testing';
import { BENCH_SECRET, benchEnv } from './bench-stack.ts';
import { signDevToken } from '../services/gateway/src/auth/dev-token.ts';

/** Each service's folder under services/. */
const DIRS = {
  orchestrator: 'content-orchestrator',
  repurposer: 'repurposer',
  gateway: 'gateway',
} as const;

/** Waits for the service's /readyz (it logs at warn: no "ready" line to wait for). */
async function untilReady(name: string, healthPort: number, p: ServiceProcess): Promise<void> {
  const deadline = Date.now() + 120_000;
  let exited = false;
  void p.exited.then(() => (exited = true));
  while (Date.now() < deadline && !exited) {
    const ok = await fetch(`http://127.0.0.1:${healthPort}/readyz`).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${name} did not become ready; its output:\n${p.output.slice(-20).join('\n')}`);
}

/**
 * Starts the named services as deployed: each its own process (its real main.ts), on its own NATS
 * namespace and schemas, with bench limits (benchEnv). So the services' Node work spreads over the
 * cores as it does in production, instead of sharing one event loop with each other and the load
 * generator. Stop it when done.
 */
export async function spawnBenchStack(options: {
  prefix: string;
  services: (keyof typeof DIRS)[];
  natsUrl: string;
  databaseUrl: string;
  env?: Record<string, string>;
}) {
  const token = `${options.prefix}${Date.now().toString(36)}`;
  const env = benchEnv(token, options);
  const port = await freePort();
  const running: ServiceProcess[] = [];
  const stop = async () => {
    for (const p of running.reverse()) {
      p.child.kill('SIGTERM');
      await p.exited;
    }
  };
  try {
    for (const name of options.services) {
      const healthPort = await freePort();
      const p = startServiceProcess(DIRS[name], {
        ...env,
        DB_SCHEMA: `${token}_${name}`,
        HEALTH_PORT: String(healthPort),
        ...(name === 'gateway' ? { PORT: String(port) } : {}),
      });
      running.push(p);
      await untilReady(name, healthPort, p);
    }
  } catch (err) {
    await stop();
    throw err;
  }
  return {
    token,
    /** Each service's process id (for its CPU time). */
    pids: Object.fromEntries(options.services.map((name, i) => [name, running[i]!.child.pid ?? 0])),
    baseUrl: options.services.includes('gateway') ? `http://127.0.0.1:${port}` : '',
    bearer: (subject: string, roles: string[] = []) => signDevToken(BENCH_SECRET, subject, { roles }),
    stop,
  };
}
