/**
 * The page cannot be turned into a script: not worth retrying, and `reason` is written for the
 * person who submitted the URL (it ends up in their task's failure message).
 */
export class ArticleExtractionError extends Error {
  readonly reason: string;

  constructor(reason: string, options?: { cause?: unknown }) {
    super(`article extraction failed: ${reason}`, options);
    this.name = 'ArticleExtractionError';
    this.reason = reason;
  }
}

/**
 * The LLM script writer failed. `permanent` tells whether asking again could help (a rejected key
 * will not; a timeout, a 5xx or a malformed answer might), so callers can decide to retry later or
 * stop using the writer; the pipeline itself falls back to the extractive script either way.
 */
export class ScriptWriterError extends Error {
  readonly permanent: boolean;

  constructor(message: string, permanent: boolean, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ScriptWriterError';
    this.permanent = permanent;
  }
}
