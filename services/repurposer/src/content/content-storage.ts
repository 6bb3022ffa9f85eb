import { DomainError, accountStorageFull, type Principal, type StorageUsage } from '@reelforge/contracts';
import type { MediaStore } from '@reelforge/media-store';
import { executePrepared, type MikroORM } from '@reelforge/persistence';
import { PermanentError } from '@reelforge/messaging';
import type { Logger } from 'pino';
import { TaskErrorCodes } from '../pipeline/errors.ts';

interface StoredRow {
  id: string;
  media_key: string;
  thumbnail_key: string | null;
}

/**
 * What clips occupy and how they go: usage against each account's quota, deletion by the owner,
 * and expiry at the end of their retention. Files go first, then the row: a crash in between
 * leaves a row whose file is missing (answered 404 and deleted by the next expiry or delete),
 * never a file no row knows about.
 */
export function createContentStorage(deps: {
  orm: MikroORM;
  schema: string;
  store: MediaStore;
  quotaBytes: number;
  log: Logger;
}) {
  const s = `"${deps.schema}"`;
  /**
   * Scoped by owner when asked for a caller (another tenant's account reads as empty). Read from the
   * running totals the clips' triggers keep (migration m0010), not summed over the clips; prepared,
   * since every start asks.
   */
  const usedBytes = async (accountId: string, ownerId?: string): Promise<{ bytes: number; clips: number }> => {
    const [row] = await executePrepared<{ bytes: string | number; clips: number }>(
      deps.orm.em.fork(),
      `select coalesce(sum(bytes), 0) as bytes, coalesce(sum(clips), 0)::int as clips from ${s}.account_usage where account_id = ?${ownerId === undefined ? '' : ' and owner_id = ?'}`,
      ownerId === undefined ? [accountId] : [accountId, ownerId],
    );
    return { bytes: Number(row?.bytes ?? 0), clips: row?.clips ?? 0 };
  };
  const removeRows = async (rows: StoredRow[]): Promise<number> => {
    for (const r of rows) {
      await deps.store.remove(r.media_key);
      if (r.thumbnail_key) await deps.store.remove(r.thumbnail_key);
    }
    if (rows.length === 0) return 0;
    const deleted = await deps.orm.em
      .fork()
      .execute(`delete from ${s}.generated_content where id = any(?::uuid[]) returning id`, [
        `{${rows.map((r) => r.id).join(',')}}`,
      ]);
    return deleted.length;
  };
  return {
    usage: async (req: { principal: Principal; accountId: string }): Promise<StorageUsage> => {
      const { bytes, clips } = await usedBytes(req.accountId, req.principal.id);
      return { accountId: req.accountId, usedBytes: bytes, quotaBytes: deps.quotaBytes, clips };
    },
    /**
     * Refuses, permanently and saying why, clips that would take the account past its quota.
     * Checked before a task stores anything, so a refused task leaves nothing behind; tasks of one
     * account finishing at the same moment may overshoot by one task (a soft quota).
     */
    ensureRoom: async (accountId: string, newBytes: number): Promise<void> => {
      if (deps.quotaBytes <= 0) return;
      const { bytes } = await usedBytes(accountId);
      if (bytes + newBytes > deps.quotaBytes) {
        throw new PermanentError(
          TaskErrorCodes.STORAGE_QUOTA_EXCEEDED,
          `storing these clips (${newBytes} bytes) would take the account to ${bytes + newBytes} of its ${deps.quotaBytes} bytes; delete clips (DELETE /content/:id) or shorten their retention`,
        );
      }
    },
    /** Whether the caller's account may start new work (a 422 at the API before anything renders). */
    checkNotFull: async (accountId: string, ownerId: string): Promise<void> => {
      if (deps.quotaBytes <= 0) return;
      const full = accountStorageFull(accountId, (await usedBytes(accountId, ownerId)).bytes, deps.quotaBytes);
      if (full) throw full;
    },
    remove: async (req: { principal: Principal; contentId: string }): Promise<{ deleted: boolean }> => {
      const rows = await deps.orm.em
        .fork()
        .execute<StoredRow[]>(
          `select id, media_key, thumbnail_key from ${s}.generated_content where id = ? and owner_id = ?`,
          [req.contentId, req.principal.id],
        );
      if (rows.length === 0) throw new DomainError('NOT_FOUND', `content ${req.contentId} not found`);
      return { deleted: (await removeRows(rows)) > 0 };
    },
    /** Deletes clips past their retention, a batch at a time; returns how many went. */
    expire: async (batch = 500): Promise<number> => {
      let total = 0;
      for (;;) {
        const rows = await deps.orm.em
          .fork()
          .execute<StoredRow[]>(
            `select id, media_key, thumbnail_key from ${s}.generated_content where expires_at < now() order by expires_at limit ?`,
            [batch],
          );
        total += await removeRows(rows);
        if (rows.length < batch) break;
      }
      if (total > 0) deps.log.info({ clips: total }, 'expired clips deleted');
      return total;
    },
  };
}
