/**
 * What went wrong, typed, each with the exit code it ends the process with:
 * 0 success, 1 the work failed or was cancelled (or the API refused the request), 2 usage error,
 * 3 authentication or permission refused, 4 the gateway unreachable or answering 5xx.
 */
export const EXIT = { ok: 0, failed: 1, usage: 2, auth: 3, unavailable: 4 } as const;
export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

export abstract class CliError extends Error {
  abstract readonly exitCode: ExitCode;
  /** The line printed to stderr (after `reelforge: `). */
  describe(): string {
    return this.message;
  }
}

/** Bad flags or arguments: a one-line reason, then the command's usage. */
export class UsageError extends CliError {
  readonly exitCode = EXIT.usage;
  /** The usage of the command that was misused (the general usage when undefined). */
  usage: string | undefined;
  constructor(message: string, usage?: string) {
    super(message);
    this.name = 'UsageError';
    this.usage = usage;
  }
}

/** No credentials in the environment or the config file. */
export class NotLoggedInError extends CliError {
  readonly exitCode = EXIT.auth;
  constructor(missing: string) {
    super(
      `not logged in (no ${missing}): run \`reelforge login --url <gateway url> --token <jwt>\` or set REELFORGE_URL and REELFORGE_TOKEN`,
    );
    this.name = 'NotLoggedInError';
  }
}

/** The config file exists but cannot be read or used. */
export class ConfigError extends CliError {
  readonly exitCode = EXIT.usage;
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'ConfigError';
  }
}

/** The gateway answered with an error (`{ error: { code, message } }`, or a bare HTTP status). */
export class ApiError extends CliError {
  readonly status: number;
  readonly code: string;
  readonly details: Record<string, unknown> | undefined;
  constructor(status: number, code: string, message: string, details?: Record<string, unknown>) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
    this.details = details;
  }
  get exitCode(): ExitCode {
    if (this.status === 401 || this.status === 403) return EXIT.auth;
    if (this.status >= 500) return EXIT.unavailable;
    return EXIT.failed;
  }
  override describe(): string {
    const field = typeof this.details?.field === 'string' ? ` [${this.details.field}]` : '';
    return `${this.code} (HTTP ${this.status}): ${this.message}${field}`;
  }
}

/** No answer from the gateway (refused, DNS, timeout), or an answer that is not the gateway's API. */
export class UnreachableError extends CliError {
  readonly exitCode = EXIT.unavailable;
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'UnreachableError';
  }
}

/** The work itself ended badly: a generation failed or was cancelled, a download came short. */
export class WorkFailedError extends CliError {
  readonly exitCode = EXIT.failed;
  constructor(message: string) {
    super(message);
    this.name = 'WorkFailedError';
  }
}

/** A local file could not be read or written. */
export class LocalFileError extends CliError {
  readonly exitCode = EXIT.failed;
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'LocalFileError';
  }
}
