import type { Logger } from 'pino';

export interface Shutdown {
  /** Registers a step; steps run in reverse order of registration (last opened, first closed). `timeoutMs` overrides the per-step bound (a worker's drain). */
  add(name: string, step: () => Promise<void> | void, options?: { timeoutMs?: number }): void;
  /** Runs every step once, each bounded by `stepTimeoutMs`; later calls return the same promise. */
  run(reason: string): Promise<void>;
}

export function createShutdown(log: Logger, stepTimeoutMs = 30_000): Shutdown {
  const steps: { name: string; step: () => Promise<void> | void; timeoutMs: number }[] = [];
  let running: Promise<void> | undefined;
  return {
    add: (name, step, options) => void steps.push({ name, step, timeoutMs: options?.timeoutMs ?? stepTimeoutMs }),
    run: (reason) => {
      running ??= (async () => {
        log.info({ reason }, 'shutting down');
        for (const { name, step, timeoutMs } of [...steps].reverse()) {
          let timer: NodeJS.Timeout | undefined;
          try {
            await Promise.race([
              Promise.resolve().then(step),
              new Promise((_, reject) => {
                timer = setTimeout(() => reject(new Error(`timed out after ${timeoutMs} ms`)), timeoutMs);
              }),
            ]);
          } catch (err) {
            log.warn({ step: name, err }, 'shutdown step failed');
          } finally {
            clearTimeout(timer);
          }
        }
        log.info('stopped');
      })();
      return running;
    },
  };
}

/** SIGTERM/SIGINT run the shutdown then exit 0; a second signal exits at once. */
export function exitOnSignals(shutdown: Shutdown): void {
  let signalled = false;
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.on(signal, () => {
      if (signalled) process.exit(130);
      signalled = true;
      void shutdown.run(signal).then(() => process.exit(0));
    });
  }
}
