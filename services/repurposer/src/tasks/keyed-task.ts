import { createHash } from 'node:crypto';
import { isDeepStrictEqual } from 'node:util';
import { UniqueConstraintViolationException } from '@mikro-orm/core';
import { DomainError, type RenderJobRequested } from '@reelforge/contracts';
import type { MikroORM } from '@reelforge/persistence';

/**
 * A UUID (version 8: name-based, SHA-256) derived from the caller, the command and the client's
 * Idempotency-Key: the same request retried gets the same id, another caller or key another one.
 */
export function keyedUuid(scope: string, principalId: string, key: string): string {
  const bytes = createHash('sha256').update(`${scope}\n${principalId}\n${key}`).digest().subarray(0, 16);
  bytes[6] = (bytes[6]! & 0x0f) | 0x80;
  bytes[8] = (bytes[8]! & 0x3f) | 0x80;
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/**
 * `POST /tasks` with an Idempotency-Key: the task's render job gets the keyed id, so its outbox row
 * (primary key = event id, kept 7 days after relay: longer than the gateway's 24 h key window) is
 * the record of the first request. A retry finds the task there instead of creating another; a
 * concurrent twin fails on that primary key, rolls back its task row, and finds the first one.
 * Task ids themselves stay UUIDv7, so lists keep their time order. The same key with another
 * request (account, source, options) is UNPROCESSABLE, as the gateway answers while it has the key.
 */
export function createKeyedTasks(deps: { orm: MikroORM; schema: string }) {
  const what = (job: RenderJobRequested) => ({
    accountId: job.accountId,
    sourceUrl: job.data.sourceUrl,
    captionsUrl: job.data.captionsUrl ?? null,
    options: job.data.options,
  });
  const find = async (job: RenderJobRequested): Promise<string | undefined> => {
    const [row] = await deps.orm.em
      .fork()
      .execute<{ envelope: RenderJobRequested }[]>(`select envelope from "${deps.schema}".outbox where id = ?`, [
        job.id,
      ]);
    if (!row) return undefined;
    if (!isDeepStrictEqual(what(row.envelope), what(job)))
      throw new DomainError('UNPROCESSABLE', 'this Idempotency-Key was used with a different request body');
    return row.envelope.data.taskId;
  };
  return {
    /** The task made for this keyed job before, or the one `create` makes now. */
    once: async (job: RenderJobRequested, create: () => Promise<void>): Promise<string> => {
      const existing = await find(job);
      if (existing) return existing;
      try {
        await create();
        return job.data.taskId;
      } catch (err) {
        if (!(err instanceof UniqueConstraintViolationException)) throw err;
        const first = await find(job);
        if (!first) throw err;
        return first;
      }
    },
  };
}
