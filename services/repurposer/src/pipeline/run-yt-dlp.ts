import { spawn } from 'node:child_process';
import { PermanentError, type RetryableError } from '@reelforge/messaging';
import { TaskErrorCodes, retryable } from './errors.ts';

export interface YtDlpRun {
  ytDlpPath: string;
  url: string;
  /** Every connection yt-dlp makes goes through this (the guarded proxy). */
  proxyUrl: string;
  /** yt-dlp runs here, with this as its HOME: nothing of it lands elsewhere. */
  cwd: string;
  timeoutMs: number;
  signal: AbortSignal;
}

// A YouTube answer is 1–3 MB of JSON; anything far beyond is not a video's description.
const MAX_STDOUT_BYTES = 32 * 1024 * 1024;
const STDERR_TAIL = 8000;
const SOCKET_TIMEOUT_SECONDS = 20;

/** The argument vector: metadata only, no config files, no cache, one video, through the proxy. */
export function ytDlpArgs(url: string, proxyUrl: string): string[] {
  return [
    '--ignore-config',
    '--no-cache-dir',
    '--dump-single-json',
    '--no-playlist',
    '--no-warnings',
    '--socket-timeout',
    String(SOCKET_TIMEOUT_SECONDS),
    '--proxy',
    proxyUrl,
    // The URL is an argument, never an option, whatever it looks like.
    '--',
    url,
  ];
}

/**
 * Runs `yt-dlp --dump-single-json` on a page URL and returns its parsed answer. A missing program,
 * an unsupported, private or removed video are permanent; a timeout, a network fault or a platform
 * outage is retryable. Aborting `signal` SIGKILLs yt-dlp (it runs no children for metadata).
 */
export function runYtDlp(o: YtDlpRun): Promise<unknown> {
  return new Promise((resolve, reject) => {
    if (o.signal.aborted) {
      reject(retryable(TaskErrorCodes.FETCH_FAILED, 'yt-dlp was stopped before it started', o.signal.reason));
      return;
    }
    const child = spawn(o.ytDlpPath, ytDlpArgs(o.url, o.proxyUrl), {
      cwd: o.cwd,
      stdio: ['ignore', 'pipe', 'pipe'],
      // No proxy variables, no user config: only what is on the command line applies.
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: o.cwd, LC_ALL: 'C.UTF-8' },
    });
    const stdout: Buffer[] = [];
    let stdoutBytes = 0;
    let stderr = '';
    let why: 'aborted' | 'timeout' | 'too-large' | null = null;
    const kill = (reason: NonNullable<typeof why>) => {
      why ??= reason;
      child.kill('SIGKILL');
    };
    const onAbort = () => kill('aborted');
    o.signal.addEventListener('abort', onAbort, { once: true });
    const timer = setTimeout(() => kill('timeout'), o.timeoutMs);
    child.stdout.on('data', (d: Buffer) => {
      stdoutBytes += d.length;
      if (stdoutBytes > MAX_STDOUT_BYTES) kill('too-large');
      else stdout.push(d);
    });
    child.stderr.on('data', (d: Buffer) => (stderr = (stderr + d.toString('utf8')).slice(-STDERR_TAIL)));
    let spawnError: NodeJS.ErrnoException | null = null;
    child.on('error', (err: NodeJS.ErrnoException) => (spawnError = err));
    child.on('close', (code) => {
      clearTimeout(timer);
      o.signal.removeEventListener('abort', onAbort);
      const result = outcome(code);
      if ('error' in result) reject(result.error);
      else resolve(result.value);
    });
    /** The run's answer, or its failure as a typed error. */
    const outcome = (code: number | null): { value: unknown } | { error: PermanentError | RetryableError } => {
      if (why === 'aborted')
        return { error: retryable(TaskErrorCodes.FETCH_FAILED, 'yt-dlp was stopped', o.signal.reason) };
      if (why === 'timeout') {
        const seconds = Math.round(o.timeoutMs / 1000);
        return { error: retryable(TaskErrorCodes.TIMED_OUT, `yt-dlp did not resolve the link within ${seconds} s`) };
      }
      if (why === 'too-large')
        return {
          error: new PermanentError(
            TaskErrorCodes.SOURCE_UNAVAILABLE,
            `yt-dlp's answer exceeded ${MAX_STDOUT_BYTES} bytes`,
          ),
        };
      const err: NodeJS.ErrnoException | null = spawnError;
      if (err) return { error: spawnFailure(o.ytDlpPath, err) };
      if (code !== 0) return { error: classifyYtDlpFailure(stderr) };
      try {
        return { value: JSON.parse(Buffer.concat(stdout).toString('utf8')) as unknown };
      } catch (parseError) {
        return {
          error: new PermanentError(TaskErrorCodes.SOURCE_UNAVAILABLE, "yt-dlp's answer was not JSON", {
            cause: parseError,
          }),
        };
      }
    };
  });
}

function spawnFailure(path: string, err: NodeJS.ErrnoException): PermanentError | RetryableError {
  if (err.code === 'ENOENT' || err.code === 'EACCES')
    // Permanent, under its own code: the worker lacks a program, the source itself is not to blame.
    return new PermanentError(
      TaskErrorCodes.TOOL_MISSING,
      `yt-dlp is needed for video-platform links but is not installed at "${path}": ` +
        'install it (apt-get install yt-dlp) or set YT_DLP_PATH to its path',
      { cause: err },
    );
  return retryable(TaskErrorCodes.FETCH_FAILED, `yt-dlp could not be started: ${err.message}`, err);
}

/** yt-dlp's own reason: its last `ERROR:` line without the prefix and the `[extractor] id:` part. */
export function ytDlpReason(stderr: string): string {
  const lines = stderr.split('\n').map((l) => l.trim());
  const error = lines.filter((l) => l.startsWith('ERROR:')).at(-1) ?? lines.filter(Boolean).at(-1) ?? '';
  return error
    .replace(/^ERROR:\s*/, '')
    .replace(/^\[[^\]]+\]\s*(?:[^\s:]+:\s+)?/, '')
    .replace(/;\s*please report this issue.*$/i, '')
    .slice(0, 300)
    .trim();
}

const PERMANENT: readonly [RegExp, string][] = [
  [/unsupported url/i, 'no video was found at this address'],
  [/\bprivate\b/i, 'the video is private'],
  [/\bdrm\b/i, 'the video is DRM-protected'],
  [
    /sign in|log ?in|login required|members?[- ]only|confirm your age|age[- ]restricted|registered users|cookies/i,
    'the platform shows this video only to signed-in viewers',
  ],
  [/\blive event will begin|premieres? in|is_upcoming/i, 'the video has not been published yet'],
  [
    /unavailable|not available|removed|deleted|terminated|does not exist|no longer|not found|HTTP Error (?:401|403|404|410)|blocked it in your country|geo[- ]?restrict/i,
    'the video is unavailable',
  ],
  [/no video formats|no formats|requested format is not available/i, 'the page offers no downloadable video'],
];
// Checked first: "HTTP Error 503: Service Unavailable" is an outage, not an unavailable video.
const OUTAGE = /HTTP Error (?:5\d\d|408|429)/i;
const TRANSIENT =
  /timed? ?out|connection (?:refused|reset|aborted)|temporary failure|name or service not known|network is unreachable|remote end closed|incompleteread|ssl|urlopen error|tunnel connection failed/i;

/** Turns a failed run's stderr into a typed error: permanent for the video's own state, retryable for the network. */
export function classifyYtDlpFailure(stderr: string): PermanentError | RetryableError {
  const reason = ytDlpReason(stderr) || 'yt-dlp failed without saying why';
  if (OUTAGE.test(reason))
    return retryable(TaskErrorCodes.FETCH_FAILED, `the video platform could not be reached (yt-dlp: ${reason})`);
  for (const [pattern, what] of PERMANENT)
    if (pattern.test(reason))
      return new PermanentError(TaskErrorCodes.SOURCE_UNAVAILABLE, `${what} (yt-dlp: ${reason})`);
  if (TRANSIENT.test(reason))
    return retryable(TaskErrorCodes.FETCH_FAILED, `the video platform could not be reached (yt-dlp: ${reason})`);
  // An extractor breaking on a changed page is the usual unknown: worth the retries, not a verdict on the video.
  return retryable(TaskErrorCodes.FETCH_FAILED, `yt-dlp could not resolve the link: ${reason}`);
}
