// The restart policy of deploy/local/supervise.ts with fake children and a fake clock (the real
// launcher, real processes and a real crash are in supervisor.test.ts), and the launcher lock
// (deploy/local/lock.ts) against real processes.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { acquireLock, StackAlreadyRunningError } from '../local/lock.ts';
import {
  restartDelay,
  supervise,
  DEFAULT_RESTART_POLICY,
  type ChildExit,
  type ChildHandle,
  type Clock,
  type RestartPolicy,
} from '../local/supervise.ts';

interface FakeChild extends ChildHandle {
  crash(exit?: ChildExit): void;
  stopped: boolean;
}

function fakeChild(pid: number): FakeChild {
  let resolveExit: (exit: ChildExit) => void = () => undefined;
  const exited = new Promise<ChildExit>((resolve) => (resolveExit = resolve));
  const child: FakeChild = {
    pid,
    exited,
    stopped: false,
    crash: (exit = { code: 1, signal: null }) => resolveExit(exit),
    stop: async () => {
      child.stopped = true;
      resolveExit({ code: 0, signal: 'SIGTERM' });
      await exited;
    },
  };
  return child;
}

/** A supervisor over fake children; time moves only when the test says (up time) or the supervisor sleeps. */
function harness(policy: Partial<RestartPolicy> = {}, options: { holdSleeps?: boolean } = {}) {
  let now = 0;
  const delays: number[] = [];
  const logs: string[] = [];
  const gaveUp: string[] = [];
  const children: FakeChild[] = [];
  let started: (() => void) | undefined;
  const clock: Clock = {
    now: () => now,
    sleep: (ms, signal) => {
      delays.push(ms);
      if (options.holdSleeps)
        return new Promise((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
      now += ms;
      return Promise.resolve();
    },
  };
  const supervisor = supervise({
    name: 'repurposer',
    start: () => {
      const child = fakeChild(1000 + children.length);
      children.push(child);
      started?.();
      return child;
    },
    log: (line) => logs.push(line),
    giveUp: (reason) => gaveUp.push(reason),
    policy,
    clock,
  });
  return {
    supervisor,
    delays,
    logs,
    gaveUp,
    children,
    /** The current child runs for `upMs`, then crashes; resolves once the supervisor has started the next one. */
    async crashAfter(upMs: number, exit?: ChildExit) {
      const next = new Promise<void>((resolve) => (started = resolve));
      now += upMs;
      children.at(-1)!.crash(exit);
      await next;
    },
    /** The same, for the crash after which no restart is expected. */
    async lastCrashAfter(upMs: number) {
      now += upMs;
      children.at(-1)!.crash();
      await supervisor.done;
    },
  };
}

describe('supervise (fake children, fake clock)', () => {
  it('restarts after 1 s, 2 s, 4 s … capped at 30 s, and says so', async () => {
    const h = harness({ crashLoopCount: 100 });
    for (let i = 0; i < 7; i++) await h.crashAfter(1000);
    expect(h.delays).toEqual([1000, 2000, 4000, 8000, 16_000, 30_000, 30_000]);
    expect(h.children).toHaveLength(8);
    expect(h.logs[0]).toBe(
      'repurposer exited with code 1 after 1 s; restarting in 1 s (crash 1 of 100 allowed within 120 s)',
    );
    expect(h.logs[1]).toBe('repurposer restarted (pid 1001)');
    await h.crashAfter(500, { code: null, signal: 'SIGKILL' });
    expect(h.logs.at(-2)).toMatch(/^repurposer killed by SIGKILL after 0\.5 s; restarting in 30 s/);
    await h.supervisor.stop();
  });

  it('goes back to 1 s after a run of 60 s or more', async () => {
    const h = harness({ crashLoopCount: 100 });
    await h.crashAfter(1000);
    await h.crashAfter(1000);
    await h.crashAfter(1000);
    await h.crashAfter(60_000);
    await h.crashAfter(1000);
    expect(h.delays).toEqual([1000, 2000, 4000, 1000, 2000]);
    await h.supervisor.stop();
  });

  it('gives up at the 5th crash within 2 minutes, with the reason, and starts nothing more', async () => {
    const h = harness();
    for (let i = 0; i < 4; i++) await h.crashAfter(1000);
    await h.lastCrashAfter(1000);
    expect(h.gaveUp).toEqual([
      'repurposer crashed 5 times within 120 s (last: exited with code 1 after 1 s): a crash loop',
    ]);
    expect(h.children).toHaveLength(5);
    expect(h.supervisor.current()).toBeUndefined();
    expect(h.supervisor.crashes()).toBe(5);
  });

  it('does not call crashes spread over more than 2 minutes a loop', async () => {
    const h = harness();
    for (let i = 0; i < 8; i++) await h.crashAfter(50_000);
    expect(h.gaveUp).toEqual([]);
    expect(h.children).toHaveLength(9);
    await h.supervisor.stop();
  });

  it('stop() stops the running instance and no restart follows', async () => {
    const h = harness();
    await h.crashAfter(1000);
    await h.supervisor.stop();
    expect(h.children.map((c) => c.stopped)).toEqual([false, true]);
    expect(h.children).toHaveLength(2);
    expect(h.logs.filter((l) => l.includes('restarting'))).toHaveLength(1);
  });

  it('stop() during the backoff cancels the restart', async () => {
    const h = harness({}, { holdSleeps: true });
    h.children[0]!.crash();
    await expect.poll(() => h.delays).toEqual([1000]);
    await h.supervisor.stop();
    expect(h.children).toHaveLength(1);
    expect(h.supervisor.current()).toBeUndefined();
  });

  it('has the documented defaults', () => {
    expect(DEFAULT_RESTART_POLICY).toEqual({
      initialDelayMs: 1000,
      maxDelayMs: 30_000,
      resetAfterMs: 60_000,
      crashLoopCount: 5,
      crashWindowMs: 120_000,
    });
    expect([1, 2, 3, 4, 5, 6, 7].map((n) => restartDelay(n, DEFAULT_RESTART_POLICY))).toEqual([
      1000, 2000, 4000, 8000, 16_000, 30_000, 30_000,
    ]);
  });
});

describe('launcher lock (real processes)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'reelforge-lock-'));
  const file = join(dir, 'launcher.lock');
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  /** A live node process with these extra arguments, once it runs its own code (its /proc cmdline is then its own). */
  const idleNode = async (...args: string[]) => {
    const child = spawn(process.execPath, ['-e', 'console.log("up"); setInterval(() => {}, 1000)', ...args], {
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    await new Promise((resolve) => child.stdout.once('data', resolve));
    return child;
  };

  it('is taken when free and released on stop', () => {
    const lock = acquireLock(file, 'stack.ts');
    expect(readFileSync(file, 'utf8').trim()).toBe(String(process.pid));
    expect(lock.tookOverFrom).toBeUndefined();
    lock.release();
    expect(() => readFileSync(file)).toThrow();
  });

  it('is refused, naming the PID, while its launcher lives, and taken over once it is gone', async () => {
    // Its command line names the launcher, as a running stack's does.
    const launcher = await idleNode('deploy/local/stack.ts');
    const exited = new Promise((resolve) => launcher.once('exit', resolve));
    writeFileSync(file, `${launcher.pid}\n`);
    let refusal: unknown;
    try {
      acquireLock(file, 'stack.ts');
    } catch (err) {
      refusal = err;
    }
    expect(refusal).toBeInstanceOf(StackAlreadyRunningError);
    expect((refusal as StackAlreadyRunningError).pid).toBe(launcher.pid);
    expect(String((refusal as Error).message)).toContain(`PID ${launcher.pid}`);
    expect(readFileSync(file, 'utf8').trim()).toBe(String(launcher.pid)); // untouched

    launcher.kill('SIGKILL');
    await exited;
    const lock = acquireLock(file, 'stack.ts');
    expect(lock.tookOverFrom).toBe(launcher.pid);
    lock.release();
  });

  it('treats a PID reused by an unrelated live process as stale', async () => {
    const unrelated = await idleNode();
    try {
      writeFileSync(file, `${unrelated.pid}\n`);
      const lock = acquireLock(file, 'stack.ts');
      expect(lock.tookOverFrom).toBe(unrelated.pid);
      lock.release();
    } finally {
      unrelated.kill('SIGKILL');
    }
  });
});
