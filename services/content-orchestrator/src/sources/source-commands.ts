import { uuidv7, type Principal, type SourceView } from '@reelforge/contracts';
import type { EntityManager } from '@reelforge/persistence';
import { findOwnedAccount } from '../accounts/account-commands.ts';
import { SourceVideo } from '../entities/index.ts';

export function toSourceView(s: SourceVideo): SourceView {
  return { id: s.id, accountId: s.accountId, url: s.url, state: s.state as SourceView['state'], createdAt: s.createdAt.toISOString() };
}

export function createSourceCommands(deps: { fork: () => EntityManager }) {
  return {
    /** Adds a source video (by http(s) URL) to an account's library, available for generations. */
    async register(req: { principal: Principal; accountId: string; body: { url: string } }): Promise<SourceView> {
      const em = deps.fork();
      await findOwnedAccount(em, req.principal, req.accountId);
      const now = new Date();
      const source = em.create(SourceVideo, { id: uuidv7(), accountId: req.accountId, url: req.body.url, state: 'available', generationId: null, createdAt: now, updatedAt: now });
      await em.flush();
      return toSourceView(source);
    },
  };
}
