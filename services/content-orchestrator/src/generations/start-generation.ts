import { DomainError, makeEnvelope, subjects, uuidv7, type GenerationView, type Principal, type RenderJobRequested, type RenderOptions } from '@reelforge/contracts';
import { enqueueOutbox, type EntityManager } from '@reelforge/persistence';
import { findOwnedAccount } from '../accounts/account-commands.ts';
import { loadGenerationView } from './generation-view.ts';

export interface StartGenerationRequest {
  principal: Principal;
  accountId: string;
  body: { type: string; count?: number; options?: RenderOptions };
}

export interface StartGenerationDeps {
  fork: () => EntityManager;
  schema: string;
  service: string;
  defaultCount: number;
  lockExpiryMs: number;
  /** Called after commit so the relay publishes now instead of on its next tick. */
  afterCommit: () => void;
}

/**
 * Starts a generation in one transaction: takes the account+type lock (its primary key makes a
 * concurrent second start fail with GENERATION_LOCKED), reserves up to `count` available sources
 * with FOR UPDATE SKIP LOCKED (two generations never take the same source), records the generation
 * and its tasks, and puts one render job per task in the outbox. Fewer sources than asked: starts
 * with what there is and reports `shortBy`; none: NO_SOURCES_AVAILABLE (422).
 */
export function createStartGeneration(deps: StartGenerationDeps) {
  const s = `"${deps.schema}"`;
  return async function startGeneration(req: StartGenerationRequest): Promise<{ generation: GenerationView; shortBy: number }> {
    const count = req.body.count ?? deps.defaultCount;
    const options = req.body.options ?? {};
    const result = await deps.fork().transactional(async (em) => {
      await findOwnedAccount(em, req.principal, req.accountId);
      const generationId = uuidv7();
      // Lock first, sources second: a request that loses the lock must not hold (and so hide)
      // sources from the winner's SKIP LOCKED selection while it rolls back.
      await em.execute(
        `insert into ${s}.generations (id, account_id, content_type, status, total_requested, queued, options) values (?, ?, ?, 'queuing', 0, 0, ?::jsonb)`,
        [generationId, req.accountId, req.body.type, JSON.stringify(options)],
      );
      const locked = await em.execute<{ generation_id: string }[]>(
        `insert into ${s}.generation_locks (account_id, content_type, generation_id, expires_at) values (?, ?, ?, now() + (? * interval '1 millisecond'))
         on conflict (account_id, content_type) do nothing returning generation_id`,
        [req.accountId, req.body.type, generationId, deps.lockExpiryMs],
      );
      if (locked.length === 0) {
        const [holder] = await em.execute<{ generation_id: string }[]>(`select generation_id from ${s}.generation_locks where account_id = ? and content_type = ?`, [req.accountId, req.body.type]);
        throw new DomainError('GENERATION_LOCKED', `a ${req.body.type} generation is already running for this account`, { generationId: holder?.generation_id ?? null });
      }
      const sources = await em.execute<{ id: string; url: string; captions_url: string | null }[]>(
        `select id, url, captions_url from ${s}.source_videos where account_id = ? and state = 'available' order by created_at, id limit ? for update skip locked`,
        [req.accountId, count],
      );
      if (sources.length === 0) throw new DomainError('NO_SOURCES_AVAILABLE', 'the account has no available source videos', { requested: count });
      await em.execute(`update ${s}.generations set total_requested = ?, queued = ? where id = ?`, [sources.length, sources.length, generationId]);
      for (const source of sources) {
        const taskId = uuidv7();
        await em.execute(`update ${s}.source_videos set state = 'reserved', generation_id = ?, updated_at = now() where id = ?`, [generationId, source.id]);
        await em.execute(`insert into ${s}.generation_tasks (task_id, generation_id, source_id, status) values (?, ?, ?, 'queued')`, [taskId, generationId, source.id]);
        const job: RenderJobRequested = makeEnvelope('render.job.requested.v1', deps.service, req.accountId, {
          taskId,
          generationId,
          sourceId: source.id,
          sourceUrl: source.url,
          captionsUrl: source.captions_url,
          contentType: req.body.type,
          options,
        });
        await enqueueOutbox(em, deps.schema, subjects.renderJob(req.accountId), job);
      }
      const view = await loadGenerationView(em, deps.schema, generationId);
      if (!view) throw new Error('generation vanished inside its own transaction');
      await enqueueOutbox(em, deps.schema, subjects.generation(req.accountId), makeEnvelope('content.generation.updated.v1', deps.service, req.accountId, view));
      return { generation: view, shortBy: count - sources.length };
    });
    deps.afterCommit();
    return result;
  };
}
