import { spawn } from 'node:child_process';
import type { Readable } from 'node:stream';

/** An ffmpeg whose output is read from its stdout, killed (SIGKILL) when `signal` aborts. */
export interface PipedFfmpeg {
  stdout: Readable;
  /** How it ended: its exit code, or the error that kept it from starting. */
  exited: Promise<{ code: number | null; error?: Error }>;
  /** Whether the abort killed it. */
  readonly killed: boolean;
  kill(): void;
  /** Stops listening to the signal (call when done reading). */
  release(): void;
}

/** Starts ffmpeg with `args`; its stderr goes to `onStderr` as it comes. */
export function startPipedFfmpeg(o: {
  ffmpegPath: string;
  args: string[];
  cwd?: string | undefined;
  signal: AbortSignal;
  onStderr: (text: string) => void;
}): PipedFfmpeg {
  const child = spawn(o.ffmpegPath, o.args, { stdio: ['ignore', 'pipe', 'pipe'], ...(o.cwd ? { cwd: o.cwd } : {}) });
  child.stderr.on('data', (d: Buffer) => o.onStderr(d.toString()));
  const exited = new Promise<{ code: number | null; error?: Error }>((resolve) => {
    child.on('error', (error) => resolve({ code: null, error }));
    child.on('close', (code) => resolve({ code }));
  });
  let killed = false;
  const onAbort = () => {
    killed = true;
    child.kill('SIGKILL');
  };
  o.signal.addEventListener('abort', onAbort, { once: true });
  return {
    stdout: child.stdout,
    exited,
    get killed() {
      return killed;
    },
    kill: () => void child.kill('SIGKILL'),
    release: () => o.signal.removeEventListener('abort', onAbort),
  };
}
