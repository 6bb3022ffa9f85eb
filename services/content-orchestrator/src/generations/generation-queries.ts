import { DomainError, type GenerationView, type Principal } from '@reelforge/contracts';
import type { EntityManager } from '@reelforge/persistence';
import { findOwnedAccount } from '../accounts/account-commands.ts';
import { loadGenerationView } from './generation-view.ts';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Read side of generations, scoped to the caller's accounts. Ids are UUIDv7 (time-ordered), so the cursor is the last id. */
export function createGenerationQueries(deps: { fork: () => EntityManager; schema: string }) {
  const s = `"${deps.schema}"`;
  return {
    get: async (req: { principal: Principal; generationId: string }): Promise<GenerationView> => {
      const em = deps.fork();
      const view = await loadGenerationView(em, deps.schema, req.generationId);
      if (
        !view ||
        !(await findOwnedAccount(em, req.principal, view.accountId).then(
          () => true,
          () => false,
        ))
      ) {
        throw new DomainError('NOT_FOUND', `generation ${req.generationId} not found`);
      }
      return view;
    },
    list: async (req: {
      principal: Principal;
      accountId: string;
      onlyOpen?: boolean;
      limit?: number;
      cursor?: string;
    }): Promise<{ items: GenerationView[]; nextCursor: string | null }> => {
      const em = deps.fork();
      await findOwnedAccount(em, req.principal, req.accountId);
      if (req.cursor !== undefined && !UUID.test(req.cursor))
        throw new DomainError('VALIDATION_FAILED', 'cursor is not one this API returned', {
          field: 'querystring/cursor',
        });
      const limit = req.limit ?? 20;
      const rows = await em.execute<{ id: string }[]>(
        `select id from ${s}.generations where account_id = ? ${req.onlyOpen ? "and status in ('queuing', 'processing')" : ''} ${req.cursor ? 'and id < ?' : ''} order by id desc limit ?`,
        [req.accountId, ...(req.cursor ? [req.cursor] : []), limit + 1],
      );
      const page = rows.slice(0, limit);
      const items = (await Promise.all(page.map((r) => loadGenerationView(em, deps.schema, r.id)))).filter(
        (v): v is GenerationView => v !== undefined,
      );
      return { items, nextCursor: rows.length > limit ? page[page.length - 1]!.id : null };
    },
  };
}
