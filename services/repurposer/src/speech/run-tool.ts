import { spawn } from 'node:child_process';
import { SpeechError } from './speech.ts';

export interface ToolResult {
  code: number | null;
  stdout: string;
  /** The last few kB: enough for an error message. */
  stderr: string;
}

export interface ToolRunOptions {
  signal: AbortSignal;
  /** Written to the program's standard input (text never goes on the command line). */
  stdin?: string;
  /** A hung program is SIGKILLed after this long and the run fails (retryable). */
  timeoutMs: number;
  /** Names the program in messages ("espeak-ng"). */
  name: string;
}

const STDERR_TAIL = 4000;

/**
 * Runs a program from an argument vector (no shell: nothing in it is interpreted) and resolves with
 * its exit code and output, whatever the code. Aborting `signal` SIGKILLs it at once and rejects
 * with an 'aborted' SpeechError once the process is gone (so callers can then delete its files
 * knowing nothing writes them any more). A missing binary is permanent, a timeout retryable.
 */
export function runTool(path: string, args: string[], o: ToolRunOptions): Promise<ToolResult> {
  return new Promise((resolve, reject) => {
    if (o.signal.aborted) {
      reject(new SpeechError('aborted', `${o.name} was stopped before it started`, { cause: o.signal.reason }));
      return;
    }
    const child = spawn(path, args, { stdio: [o.stdin === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'] });
    const stdout: Buffer[] = [];
    let stderr = '';
    let why: 'aborted' | 'timeout' | null = null;
    const kill = (reason: 'aborted' | 'timeout') => {
      why ??= reason;
      child.kill('SIGKILL');
    };
    const onAbort = () => kill('aborted');
    o.signal.addEventListener('abort', onAbort, { once: true });
    const timer = setTimeout(() => kill('timeout'), o.timeoutMs);
    child.stdout!.on('data', (d: Buffer) => stdout.push(d));
    child.stderr!.on('data', (d: Buffer) => (stderr = (stderr + d.toString('utf8')).slice(-STDERR_TAIL)));
    if (child.stdin) {
      // The program may exit before reading everything (a bad option): that shows in its exit code.
      child.stdin.on('error', () => undefined);
      child.stdin.end(o.stdin, 'utf8');
    }
    let spawnError: NodeJS.ErrnoException | null = null;
    child.on('error', (err: NodeJS.ErrnoException) => (spawnError = err));
    child.on('close', (code) => {
      clearTimeout(timer);
      o.signal.removeEventListener('abort', onAbort);
      if (why === 'aborted') {
        reject(new SpeechError('aborted', `${o.name} was stopped`, { cause: o.signal.reason }));
        return;
      }
      if (why === 'timeout') {
        reject(new SpeechError('failed', `${o.name} did not finish within ${o.timeoutMs} ms`));
        return;
      }
      const err = spawnError;
      if (err) {
        const missing = err.code === 'ENOENT' || err.code === 'EACCES';
        reject(
          new SpeechError(
            missing ? 'unavailable' : 'failed',
            missing
              ? `${o.name} is not installed at "${path}" (install the Debian package, or set its path)`
              : `${o.name} could not be started: ${err.message}`,
            { cause: err },
          ),
        );
        return;
      }
      resolve({ code, stdout: Buffer.concat(stdout).toString('utf8'), stderr: stderr.trim() });
    });
  });
}
