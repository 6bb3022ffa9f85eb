import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { join, resolve } from 'node:path';

const repoRoot = resolve(import.meta.dirname, '..', '..', '..');

export interface ServiceProcess {
  child: ChildProcess;
  output: string[];
  /** Resolves with the first output line that matches; rejects if the process exits first. */
  waitForLine(pattern: RegExp, timeoutMs?: number): Promise<string>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Runs a service's real main.ts as its own process (to kill it, or to see it refuse to start). */
export function startServiceProcess(service: string, env: Record<string, string>): ServiceProcess {
  const child = spawn(process.execPath, [join(repoRoot, 'services', service, 'src', 'main.ts')], {
    // SERVICE_NODE_OPTIONS reaches the services alone (e.g. `--cpu-prof --cpu-prof-dir=…` to profile them in a benchmark).
    env: {
      PATH: process.env.PATH ?? '',
      ...(process.env.SERVICE_NODE_OPTIONS ? { NODE_OPTIONS: process.env.SERVICE_NODE_OPTIONS } : {}),
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output: string[] = [];
  const waiters: { pattern: RegExp; resolve: (l: string) => void }[] = [];
  for (const stream of [child.stdout, child.stderr]) {
    createInterface({ input: stream }).on('line', (line) => {
      output.push(line);
      if (process.env.TEST_LOGS) process.stderr.write(`[${service}] ${line}\n`);
      for (const w of [...waiters])
        if (w.pattern.test(line)) {
          waiters.splice(waiters.indexOf(w), 1);
          w.resolve(line);
        }
    });
  }
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((res) =>
    child.once('exit', (code, signal) => res({ code, signal })),
  );
  return {
    child,
    output,
    exited,
    waitForLine: (pattern, timeoutMs = 30_000) => {
      const seen = output.find((l) => pattern.test(l));
      if (seen) return Promise.resolve(seen);
      return new Promise((res, rej) => {
        const timer = setTimeout(
          () =>
            rej(
              new Error(
                `${service}: no line matching ${pattern} in ${timeoutMs} ms; output:\n${output.slice(-10).join('\n')}`,
              ),
            ),
          timeoutMs,
        );
        void exited.then(({ code, signal }) =>
          rej(
            new Error(
              `${service} exited (${signal ?? code}) before printing ${pattern}; output:\n${output.slice(-10).join('\n')}`,
            ),
          ),
        );
        waiters.push({
          pattern,
          resolve: (l) => {
            clearTimeout(timer);
            res(l);
          },
        });
      });
    },
  };
}
