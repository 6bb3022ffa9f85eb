/**
 * Server-side limits every pooled connection starts with, so a stuck query, a lock queue or a
 * forgotten open transaction cannot hold a connection (and its locks) forever. Milliseconds; 0
 * leaves the server's (or the role's) own setting in force.
 */
export interface DbTimeouts {
  /** Longest one statement may run (`statement_timeout`). */
  statementMs: number;
  /** Longest one statement may wait for a lock (`lock_timeout`). */
  lockMs: number;
  /** Longest a transaction may sit idle between statements before the server ends the session. */
  idleInTransactionMs: number;
}

/** Well above the gateway's 5 s command timeout, well below "forever". */
export const DEFAULT_DB_TIMEOUTS: DbTimeouts = { statementMs: 30_000, lockMs: 5_000, idleInTransactionMs: 60_000 };

/** Thrown when a timeout option is not a whole, non-negative number of milliseconds. */
export class DbTimeoutOptionError extends Error {
  constructor(name: keyof DbTimeouts, value: number) {
    super(`database timeout ${name}=${value} must be a whole number of milliseconds >= 0`);
    this.name = 'DbTimeoutOptionError';
  }
}

/**
 * The `pg` connection options for the timeouts. `pg` sends them as startup parameters, so they are
 * the session defaults: a `reset all` (which MikroORM runs on checkout with connection-scoped
 * session context) returns to them, and `set local` can still lift one for one transaction.
 */
export function timeoutConnectionOptions(t: Partial<DbTimeouts> = {}): {
  statement_timeout: number;
  lock_timeout: number;
  idle_in_transaction_session_timeout: number;
} {
  const full: DbTimeouts = { ...DEFAULT_DB_TIMEOUTS, ...t };
  for (const [name, value] of Object.entries(full) as [keyof DbTimeouts, number][]) {
    if (!Number.isInteger(value) || value < 0) throw new DbTimeoutOptionError(name, value);
  }
  return {
    statement_timeout: full.statementMs,
    lock_timeout: full.lockMs,
    idle_in_transaction_session_timeout: full.idleInTransactionMs,
  };
}

/** SQLSTATEs of the three limits (query_canceled, lock_not_available, idle_in_transaction_session_timeout). */
const TIMEOUT_SQLSTATES = { '57014': 'statement', '55P03': 'lock', '25P03': 'idle-in-transaction' } as const;
export type DbTimeoutKind = (typeof TIMEOUT_SQLSTATES)[keyof typeof TIMEOUT_SQLSTATES];

/**
 * Which limit an error from a query hit, or undefined. Lets a caller answer "try again later"
 * instead of a bare internal error. (57014 is also a manual cancel, 55P03 also `nowait`: both are
 * "gave up waiting" as well.)
 */
export function dbTimeoutKind(err: unknown): DbTimeoutKind | undefined {
  const code = err instanceof Error && 'code' in err && typeof err.code === 'string' ? err.code : undefined;
  return code !== undefined && Object.hasOwn(TIMEOUT_SQLSTATES, code)
    ? TIMEOUT_SQLSTATES[code as keyof typeof TIMEOUT_SQLSTATES]
    : undefined;
}
