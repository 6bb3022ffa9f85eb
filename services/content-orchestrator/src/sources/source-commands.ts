import { DomainError, UUID_PATTERN, uuidv7, type Principal, type SourceView } from '@reelforge/contracts';

const UUID = new RegExp(UUID_PATTERN);
import type { EntityManager } from '@reelforge/persistence';
import { findOwnedAccount } from '../accounts/account-commands.ts';
import { SourceVideo } from '../entities/index.ts';

function toSourceView(s: SourceVideo): SourceView {
  return {
    id: s.id,
    accountId: s.accountId,
    url: s.url,
    captionsUrl: s.captionsUrl ?? null,
    kind: s.kind as SourceView['kind'],
    state: s.state,
    createdAt: s.createdAt.toISOString(),
  };
}

export function createSourceCommands(deps: { fork: () => EntityManager }) {
  return {
    /** The account's library, newest first; the cursor is the last id (UUIDv7, time-ordered). */
    list: async (req: {
      principal: Principal;
      accountId: string;
      limit?: number;
      cursor?: string;
    }): Promise<{ items: SourceView[]; nextCursor: string | null }> => {
      const em = deps.fork();
      await findOwnedAccount(em, req.principal, req.accountId);
      if (req.cursor !== undefined && !UUID.test(req.cursor))
        throw new DomainError('VALIDATION_FAILED', 'cursor is not one this API returned', {
          field: 'querystring/cursor',
        });
      const limit = req.limit ?? 50;
      const rows = await em.find(
        SourceVideo,
        { accountId: req.accountId, ...(req.cursor ? { id: { $lt: req.cursor } } : {}) },
        { orderBy: { id: 'desc' }, limit: limit + 1 },
      );
      const page = rows.slice(0, limit);
      return { items: page.map(toSourceView), nextCursor: rows.length > limit ? page[page.length - 1]!.id : null };
    },
    /** Adds a source (a video by http(s) URL or upload, or an article page) to an account's library, available for generations. */
    register: async (req: {
      principal: Principal;
      accountId: string;
      body: { url: string; captionsUrl?: string; kind?: SourceView['kind'] };
    }): Promise<SourceView> => {
      const em = deps.fork();
      await findOwnedAccount(em, req.principal, req.accountId);
      const now = new Date();
      const source = em.create(SourceVideo, {
        id: uuidv7(),
        accountId: req.accountId,
        url: req.body.url,
        captionsUrl: req.body.captionsUrl ?? null,
        kind: req.body.kind ?? 'video',
        state: 'available',
        generationId: null,
        createdAt: now,
        updatedAt: now,
      });
      await em.flush();
      return toSourceView(source);
    },
  };
}
