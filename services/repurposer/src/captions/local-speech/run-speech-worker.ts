import { fork } from 'node:child_process';
import type { WorkerReply, WorkerRequest, WorkerStage } from './worker-protocol.ts';

const WORKER = new URL('./speech-worker.ts', import.meta.url);
/** stderr kept for messages (whisper.cpp logs why a model does not load there). */
const STDERR_TAIL_BYTES = 8 * 1024;

/**
 * The worker failed: `crashed` when it died without answering (a signal, an assertion in native
 * code), `stage` the last stage it reported before (null: none, e.g. while loading a model).
 */
export class SpeechWorkerError extends Error {
  override name = 'SpeechWorkerError';
  readonly crashed: boolean;
  readonly stage: string | null;
  constructor(message: string, crashed: boolean, stage: string | null) {
    super(message);
    this.crashed = crashed;
    this.stage = stage;
  }
}

/** The last line of native logging that says what went wrong, if any. */
function lastProblem(stderr: string): string | null {
  const lines = stderr.split('\n').map((l) => l.trim());
  return lines.reverse().find((l) => /fail|error|invalid|not found|bad magic|cannot|unable/i.test(l)) ?? null;
}

/**
 * Runs one request in a fresh speech worker process (speech-worker.ts) and resolves with its answer.
 * Aborting `signal` SIGKILLs the process at once and rejects with the signal's reason: that is how
 * a cancelled or timed-out task stops a transcription. A failure the worker reports, or its death
 * without an answer, is a SpeechWorkerError carrying its message and native log's last complaint.
 */
export function runSpeechWorker(request: WorkerRequest, signal: AbortSignal): Promise<WorkerReply & { ok: true }> {
  signal.throwIfAborted();
  return new Promise((resolve, reject) => {
    const child = fork(WORKER, [], {
      execArgv: [],
      serialization: 'advanced',
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
    });
    let stderr = '';
    child.stderr!.setEncoding('utf8');
    child.stderr!.on('data', (chunk: string) => {
      stderr = (stderr + chunk).slice(-STDERR_TAIL_BYTES);
    });
    let settled = false;
    const settle = (fn: () => void) => {
      if (settled) return;
      settled = true;
      signal.removeEventListener('abort', onAbort);
      fn();
    };
    const onAbort = () => {
      child.kill('SIGKILL');
      // The task's own abort reason, as every other step of the pipeline rejects with.
      // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors
      settle(() => reject(signal.reason));
    };
    signal.addEventListener('abort', onAbort, { once: true });
    let stage: string | null = null;
    child.on('message', (reply: WorkerReply | WorkerStage) => {
      if ('stage' in reply) {
        stage = reply.stage;
        return;
      }
      settle(() => {
        if (reply.ok) resolve(reply);
        else {
          const native = lastProblem(stderr);
          const detail = native && !reply.error.includes(native) ? ` (${native})` : '';
          reject(new SpeechWorkerError(`${reply.error}${detail}`, false, stage));
        }
      });
    });
    child.once('error', (err) => settle(() => reject(new SpeechWorkerError(err.message, true, stage))));
    child.once('exit', (code, sig) =>
      settle(() => {
        const native = lastProblem(stderr);
        reject(
          new SpeechWorkerError(
            `the speech worker stopped without answering (${sig ?? `exit code ${code}`})${native ? `: ${native}` : ''}`,
            true,
            stage,
          ),
        );
      }),
    );
    child.send(request);
  });
}
