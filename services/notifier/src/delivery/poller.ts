import type { Logger } from 'pino';

export interface Poller {
  /** Look for due work now (after a commit that queued some). */
  kick(): void;
  /** No new pass starts; resolves when the running one has finished. */
  stop(): Promise<void>;
}

/** Runs `pass` every `pollMs` and on each kick, never two at once; a kick during a pass runs one more. */
export function startPoller(name: string, pass: () => Promise<unknown>, pollMs: number, log: Logger): Poller {
  let running: Promise<void> | undefined;
  let again = false;
  let stopped = false;
  const run = (): void => {
    if (stopped) return;
    if (running) {
      again = true;
      return;
    }
    running = pass()
      .then(
        () => undefined,
        (err: unknown) => log.error({ err }, `${name} pass failed`),
      )
      .finally(() => {
        running = undefined;
        if (again) {
          again = false;
          run();
        }
      });
  };
  const timer = setInterval(run, pollMs);
  timer.unref();
  return {
    kick: run,
    stop: async () => {
      stopped = true;
      clearInterval(timer);
      await running;
    },
  };
}
