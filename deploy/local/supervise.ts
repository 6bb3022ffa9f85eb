// Keeps one service running: a crashed process is started again after a backoff, and a service that
// keeps crashing is given up on (the caller then stops the stack). Knows nothing about processes
// beyond the ChildHandle below, so the policy is tested with fake children and a fake clock.

export interface ChildExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** One running instance of a service. */
export interface ChildHandle {
  readonly pid: number | undefined;
  /** Resolves when the process has exited, for whatever reason. */
  readonly exited: Promise<ChildExit>;
  /** Asks it to stop and resolves once it has. */
  stop(): Promise<void>;
}

export interface RestartPolicy {
  /** First delay before a restart; doubled after each crash in a row. */
  initialDelayMs: number;
  maxDelayMs: number;
  /** A run that lasted this long counts as healthy: the next crash waits initialDelayMs again. */
  resetAfterMs: number;
  /** This many crashes within `crashWindowMs` is a crash loop: the service is given up on. */
  crashLoopCount: number;
  crashWindowMs: number;
}

export const DEFAULT_RESTART_POLICY: RestartPolicy = {
  initialDelayMs: 1000,
  maxDelayMs: 30_000,
  resetAfterMs: 60_000,
  crashLoopCount: 5,
  crashWindowMs: 120_000,
};

export interface Clock {
  now(): number;
  /** Resolves after `ms`, or at once when `signal` aborts. */
  sleep(ms: number, signal: AbortSignal): Promise<void>;
}

const realClock: Clock = {
  now: () => Date.now(),
  sleep: (ms, signal) =>
    new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        signal.removeEventListener('abort', done);
        resolve();
      }
      signal.addEventListener('abort', done, { once: true });
    }),
};

export interface SuperviseOptions {
  name: string;
  /** Starts a new instance. */
  start(): ChildHandle;
  /** An instance already running (the stack's first start, once ready); else `start` is called at once. */
  first?: ChildHandle;
  log(line: string): void;
  /** Called once when the service crash-loops, with the reason; the supervisor has stopped restarting it. */
  giveUp(reason: string): void;
  policy?: Partial<RestartPolicy>;
  clock?: Clock;
}

export interface Supervisor {
  /** The running instance, or undefined while waiting to restart (or after giving up). */
  current(): ChildHandle | undefined;
  /** Crashes seen so far. */
  crashes(): number;
  /** Stops the instance (or cancels a pending restart); no restart follows. */
  stop(): Promise<void>;
  /** Resolves when supervision has ended: stopped, or given up. */
  readonly done: Promise<void>;
}

export const describeExit = ({ code, signal }: ChildExit): string =>
  signal ? `killed by ${signal}` : `exited with code ${code}`;

/** Delay before the restart that follows the `inARow`-th crash in a row (1-based): 1 s, 2 s, 4 s … capped. */
export function restartDelay(inARow: number, policy: RestartPolicy): number {
  return Math.min(policy.initialDelayMs * 2 ** Math.max(0, inARow - 1), policy.maxDelayMs);
}

const seconds = (ms: number) => `${Number((ms / 1000).toFixed(1))} s`;

/** Runs `options.start()` again each time the instance exits without being asked to, until `stop()` or a crash loop. */
export function supervise(options: SuperviseOptions): Supervisor {
  const policy = { ...DEFAULT_RESTART_POLICY, ...options.policy };
  const clock = options.clock ?? realClock;
  const stopping = new AbortController();
  let current: ChildHandle | undefined = options.first ?? options.start();
  let crashCount = 0;

  const loop = async () => {
    const recent: number[] = [];
    let inARow = 0;
    let startedAt = clock.now();
    while (current) {
      const exit = await current.exited;
      if (stopping.signal.aborted) return;
      current = undefined;
      const now = clock.now();
      const upMs = now - startedAt;
      crashCount++;
      recent.push(now);
      while (recent.length && recent[0]! <= now - policy.crashWindowMs) recent.shift();
      if (recent.length >= policy.crashLoopCount) {
        options.giveUp(
          `${options.name} crashed ${recent.length} times within ${seconds(policy.crashWindowMs)} (last: ${describeExit(exit)} after ${seconds(upMs)}): a crash loop`,
        );
        return;
      }
      inARow = upMs >= policy.resetAfterMs ? 1 : inARow + 1;
      const delay = restartDelay(inARow, policy);
      options.log(
        `${options.name} ${describeExit(exit)} after ${seconds(upMs)}; restarting in ${seconds(delay)} (crash ${recent.length} of ${policy.crashLoopCount} allowed within ${seconds(policy.crashWindowMs)})`,
      );
      await clock.sleep(delay, stopping.signal);
      if (stopping.signal.aborted) return;
      current = options.start();
      startedAt = clock.now();
      options.log(`${options.name} restarted (pid ${current.pid ?? '?'})`);
    }
  };
  const done = loop();

  return {
    current: () => current,
    crashes: () => crashCount,
    done,
    async stop() {
      stopping.abort();
      await current?.stop();
      await done;
    },
  };
}
