import { PermanentError, RetryableError } from '@reelforge/messaging';

/** Codes a task can fail with. Permanent ones are not retried. */
export const TaskErrorCodes = {
  INVALID_INPUT: 'INVALID_INPUT',
  SOURCE_URL_FORBIDDEN: 'SOURCE_URL_FORBIDDEN',
  SOURCE_UNAVAILABLE: 'SOURCE_UNAVAILABLE',
  SOURCE_TOO_LARGE: 'SOURCE_TOO_LARGE',
  FETCH_FAILED: 'FETCH_FAILED',
  /** A program the task needs is not installed on this worker (yt-dlp): the source is not to blame. */
  TOOL_MISSING: 'TOOL_MISSING',
  FFMPEG_FAILED: 'FFMPEG_FAILED',
  FFMPEG_KILLED: 'FFMPEG_KILLED',
  TIMED_OUT: 'TIMED_OUT',
  /** The voice-over of an article video failed in a way that may pass (a speech API's 429 or 5xx, a crashed espeak-ng). */
  SPEECH_FAILED: 'SPEECH_FAILED',
  /** Storing the clips would take the account past its storage quota. */
  STORAGE_QUOTA_EXCEEDED: 'STORAGE_QUOTA_EXCEEDED',
  /** The worker shut down mid-attempt: recorded on the attempt, not counted against TASK_MAX_RETRIES. */
  INTERRUPTED: 'INTERRUPTED',
  /** Every allowed attempt started but none finished (the worker crashed or was killed each time). */
  MAX_DELIVERIES: 'MAX_DELIVERIES',
  /** A newer attempt of the task runs (its job was redelivered meanwhile): this one's result is dropped. */
  SUPERSEDED: 'SUPERSEDED',
} as const;

export const invalidInput = (message: string, cause?: unknown) =>
  new PermanentError(TaskErrorCodes.INVALID_INPUT, message, { cause });
export const retryable = (code: string, message: string, cause?: unknown) =>
  new RetryableError(code, message, { cause });
