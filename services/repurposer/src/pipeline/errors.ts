import { PermanentError, RetryableError } from '@reelforge/messaging';

/** Codes a task can fail with. Permanent ones are not retried. */
export const TaskErrorCodes = {
  INVALID_INPUT: 'INVALID_INPUT',
  SOURCE_URL_FORBIDDEN: 'SOURCE_URL_FORBIDDEN',
  SOURCE_UNAVAILABLE: 'SOURCE_UNAVAILABLE',
  SOURCE_TOO_LARGE: 'SOURCE_TOO_LARGE',
  FETCH_FAILED: 'FETCH_FAILED',
  FFMPEG_FAILED: 'FFMPEG_FAILED',
  FFMPEG_KILLED: 'FFMPEG_KILLED',
  TIMED_OUT: 'TIMED_OUT',
} as const;

export const invalidInput = (message: string, cause?: unknown) => new PermanentError(TaskErrorCodes.INVALID_INPUT, message, { cause });
export const retryable = (code: string, message: string, cause?: unknown) => new RetryableError(code, message, { cause });
