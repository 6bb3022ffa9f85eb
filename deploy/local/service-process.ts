// One service of the local stack as a child process: its output goes to the terminal, labelled,
// and it is seen by the supervisor only as a ChildHandle.
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { join } from 'node:path';
import { stopChild } from '@reelforge/local-infra';
import { formatLine } from '@reelforge/telemetry';
import type { ChildExit, ChildHandle } from './supervise.ts';

export interface ServiceSpawnOptions {
  name: string;
  /** Position in the stack (picks the label colour). */
  index: number;
  root: string;
  env: Record<string, string>;
  color: boolean;
  say(line: string): void;
}

/** Starts `services/<name>/src/main.ts`. A process that cannot be spawned at all reads as exit 127. */
export function spawnService(options: ServiceSpawnOptions): ChildHandle {
  const child = spawn(process.execPath, [join(options.root, 'services', options.name, 'src', 'main.ts')], {
    cwd: options.root,
    env: options.env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  for (const stream of [child.stdout, child.stderr]) {
    createInterface({ input: stream }).on('line', (line) =>
      process.stdout.write(`${formatLine(options.name, options.index, line, options.color)}\n`),
    );
  }
  const exited = new Promise<ChildExit>((resolve) => {
    child.once('exit', (code, signal) => resolve({ code, signal }));
    child.once('error', (err) => {
      options.say(`${options.name}: cannot start: ${err.message}`);
      resolve({ code: 127, signal: null });
    });
  });
  // The launcher waits up to 25 s for a service to drain (the repurposer hands its renders back).
  return { pid: child.pid, exited, stop: () => stopChild(child, 25_000) };
}
