import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { join, resolve } from 'node:path';

const root = resolve(import.meta.dirname, '..', '..', '..');

export interface LauncherProcess {
  child: ChildProcess;
  /** Every line it printed so far (stdout and stderr). */
  output: string[];
  /** Resolves with the first line (already printed or to come) matching `pattern`; rejects on exit or after `timeoutMs`. */
  waitForLine(pattern: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Runs `node deploy/local/start.ts` (what `npm start` runs) with exactly `env`. */
export function startLauncher(env: Record<string, string>): LauncherProcess {
  const child = spawn(process.execPath, [join(root, 'deploy', 'local', 'start.ts')], {
    cwd: root,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output: string[] = [];
  const waiters: { pattern: RegExp; resolve: (m: RegExpMatchArray) => void }[] = [];
  for (const stream of [child.stdout, child.stderr]) {
    createInterface({ input: stream }).on('line', (line) => {
      output.push(line);
      if (process.env.TEST_LOGS) process.stderr.write(`[launcher] ${line}\n`);
      for (const waiter of [...waiters]) {
        const match = line.match(waiter.pattern);
        if (!match) continue;
        waiters.splice(waiters.indexOf(waiter), 1);
        waiter.resolve(match);
      }
    });
  }
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((res) =>
    child.once('exit', (code, signal) => res({ code, signal })),
  );
  const tail = () => output.slice(-15).join('\n');
  return {
    child,
    output,
    exited,
    waitForLine(pattern, timeoutMs = 30_000) {
      for (const line of output) {
        const match = line.match(pattern);
        if (match) return Promise.resolve(match);
      }
      return new Promise((res, rej) => {
        const timer = setTimeout(
          () => rej(new Error(`launcher: no line matching ${pattern} in ${timeoutMs} ms; last lines:\n${tail()}`)),
          timeoutMs,
        );
        void exited.then(({ code, signal }) =>
          rej(new Error(`launcher exited (${signal ?? code}) before printing ${pattern}; last lines:\n${tail()}`)),
        );
        waiters.push({
          pattern,
          resolve: (m) => {
            clearTimeout(timer);
            res(m);
          },
        });
      });
    },
  };
}
