import {
  ARTICLE_CONTENT_TYPE,
  DomainError,
  uuidv7,
  type ArticleGenerationOptions,
  type GenerationView,
  type Principal,
  type RenderOptions,
} from '@reelforge/contracts';
import { enqueueOutboxMany, executePrepared, type EntityManager } from '@reelforge/persistence';
import type { Logger } from 'pino';
import { findOwnedAccount } from '../accounts/account-commands.ts';
import { closeExpiredLock, findExpiredLocks } from './close-expired-lock.ts';
import { recordRenderTasks } from './enqueue-render-task.ts';
import { toGenerationView, type GenerationRow } from './generation-view.ts';
import { findKeyedStart, requestHashOf } from './keyed-start.ts';
import { realStatesOf, type TaskStatesLookup } from './recount-generation.ts';
import { startOnFastPath } from './start-fast-path.ts';
import { payForStart, startEntries, startTasksInput } from './start-parts.ts';

/** Thrown inside the fast path's transaction to roll it back when the start is not the common case. */
class NotTheFastPath extends Error {}

export interface StartGenerationRequest {
  principal: Principal;
  accountId: string;
  body: { type: string; count?: number; options?: RenderOptions; article?: ArticleGenerationOptions };
  /** The client's Idempotency-Key: a start with a key already used for this account returns that generation. */
  idempotencyKey?: string;
}

export interface StartGenerationDeps {
  fork: () => EntityManager;
  schema: string;
  service: string;
  defaultCount: number;
  lockExpiryMs: number;
  /** Credits each video of a generation costs (GENERATION_CREDIT_COST; 0 = free). */
  creditCostPerTask: number;
  /** The repurposer's task states, to close the generation of an expired lock as the cleanup job does. */
  taskStates: TaskStatesLookup;
  /** Called after commit so the relay publishes now instead of on its next tick. */
  afterCommit: () => void;
  log: Logger;
}

/**
 * Starts a generation in one transaction: takes the account+type lock (its primary key makes a
 * concurrent second start fail with GENERATION_LOCKED), reserves up to `count` available sources
 * with FOR UPDATE SKIP LOCKED (two generations never take the same source), records the generation
 * and its tasks, and puts one render job per task in the outbox. Fewer sources than asked: starts
 * with what there is and reports `shortBy`; none: NO_SOURCES_AVAILABLE (422). An expired lock is
 * taken over in the same transaction, its generation closed (closeExpiredLock). With an
 * idempotency key, a key this account already used returns that generation instead (the unique
 * (account, key) index makes a concurrent twin wait for the first and then find it).
 */
export function createStartGeneration(deps: StartGenerationDeps) {
  const s = `"${deps.schema}"`;
  return async function startGeneration(
    req: StartGenerationRequest,
  ): Promise<{ generation: GenerationView; shortBy: number }> {
    const count = req.body.count ?? deps.defaultCount;
    const options = req.body.options ?? {};
    const requestHash = requestHashOf({
      type: req.body.type,
      count,
      options,
      ...(req.body.article ? { article: req.body.article } : {}),
    });
    // The common case in two statements; any other goes through the full start below, from scratch.
    const fast = await deps
      .fork()
      .transactional(async (em) => {
        const started = await startOnFastPath(em, deps, { req, generationId: uuidv7(), count, requestHash });
        if (!started) throw new NotTheFastPath();
        return started;
      })
      .catch((err: unknown) => {
        if (err instanceof NotTheFastPath) return undefined;
        throw err;
      });
    if (fast) {
      deps.afterCommit();
      return fast;
    }
    // Read without locks first: the repurposer is asked outside the transaction, which re-checks the lock.
    const [expired] = await findExpiredLocks(deps.fork(), deps.schema, {
      accountId: req.accountId,
      contentType: req.body.type,
    });
    const real = expired
      ? await realStatesOf(deps.fork(), deps.schema, deps.taskStates, expired.generationId)
      : undefined;
    let tookOver: string | undefined;
    const result = await deps.fork().transactional(async (em) => {
      const account = await findOwnedAccount(em, req.principal, req.accountId);
      const generationId = uuidv7();
      // Lock first, sources second: a request that loses the lock must not hold (and so hide)
      // sources from the winner's SKIP LOCKED selection while it rolls back.
      const inserted = await executePrepared<{ id: string }>(
        em,
        `insert into ${s}.generations (id, account_id, content_type, status, total_requested, queued, options, idempotency_key, request_hash) values (?, ?, ?, 'queuing', 0, 0, ?::jsonb, ?, ?)
         on conflict (account_id, idempotency_key) where idempotency_key is not null do nothing returning id`,
        [generationId, req.accountId, req.body.type, JSON.stringify(options), req.idempotencyKey ?? null, requestHash],
      );
      if (inserted.length === 0)
        return findKeyedStart(em, deps.schema, {
          accountId: req.accountId,
          key: req.idempotencyKey!,
          requestHash,
          count,
        });
      if (expired && (await closeExpiredLock(em, deps, expired, real))) tookOver = expired.generationId;
      const locked = await executePrepared<{ generation_id: string }>(
        em,
        `insert into ${s}.generation_locks (account_id, content_type, generation_id, expires_at) values (?, ?, ?, now() + (? * interval '1 millisecond'))
         on conflict (account_id, content_type) do nothing returning generation_id`,
        [req.accountId, req.body.type, generationId, deps.lockExpiryMs],
      );
      if (locked.length === 0) {
        const [holder] = await em.execute<{ generation_id: string }[]>(
          `select generation_id from ${s}.generation_locks where account_id = ? and content_type = ?`,
          [req.accountId, req.body.type],
        );
        throw new DomainError(
          'GENERATION_LOCKED',
          `a ${req.body.type} generation is already running for this account`,
          { generationId: holder?.generation_id ?? null },
        );
      }
      // An article generation narrates article sources; every other type cuts videos.
      const article = req.body.type === ARTICLE_CONTENT_TYPE;
      const sources = await executePrepared<{ id: string; url: string; captions_url: string | null }>(
        em,
        `select id, url, captions_url from ${s}.source_videos where account_id = ? and state = 'available' and kind = ? order by created_at, id limit ? for update skip locked`,
        [req.accountId, article ? 'article' : 'video', count],
      );
      if (sources.length === 0)
        throw new DomainError(
          'NO_SOURCES_AVAILABLE',
          article
            ? 'the account has no available article sources (add one with kind "article")'
            : 'the account has no available source videos',
          { requested: count },
        );
      const [row] = await executePrepared<GenerationRow>(
        em,
        `update ${s}.generations set total_requested = ?, queued = ?, credits_per_task = ? where id = ? returning *`,
        [sources.length, sources.length, deps.creditCostPerTask, generationId],
      );
      if (!row) throw new Error('generation vanished inside its own transaction');
      await payForStart(em, deps.schema, {
        req,
        generationId,
        perTask: deps.creditCostPerTask,
        videos: sources.length,
      });
      const tasks = await recordRenderTasks(
        em,
        deps.schema,
        deps.service,
        startTasksInput(req, generationId, sources, account.mediaRetentionDays ?? null),
      );
      const view = toGenerationView(row, tasks.map((t) => t.taskId).sort());
      await enqueueOutboxMany(em, deps.schema, startEntries(deps.service, req, tasks, view));
      return { generation: view, shortBy: count - sources.length };
    });
    deps.afterCommit();
    if (tookOver)
      deps.log.warn(
        { generationId: tookOver, accountId: req.accountId, contentType: req.body.type, by: result.generation.id },
        'expired generation lock taken over; its generation closed',
      );
    return result;
  };
}
