import { ARTICLE_CONTENT_TYPE, type GenerationView } from '@reelforge/contracts';
import { executePrepared, outboxInsert, type EntityManager } from '@reelforge/persistence';
import { planRenderTasks, renderTaskParams, renderTaskSteps } from './enqueue-render-task.ts';
import { toGenerationView, type GenerationRow } from './generation-view.ts';
import type { StartGenerationRequest } from './start-generation.ts';
import { payForStart, startEntries, startTasksInput } from './start-parts.ts';

export interface FastStartInput {
  req: StartGenerationRequest;
  generationId: string;
  count: number;
  requestHash: string;
}

export interface FastStartDeps {
  schema: string;
  service: string;
  lockExpiryMs: number;
  creditCostPerTask: number;
}

/** What the reserving statement found: one row, whatever happened. */
interface Reserved {
  account_found: boolean;
  retention: number | null;
  created_at: Date | null;
  locked: boolean;
  sources: { id: string; url: string; captions_url: string | null }[] | null;
}

/**
 * The account checked, the generation inserted, the account+type lock taken and the sources
 * reserved (FOR UPDATE SKIP LOCKED), in one statement. The sources are read only once the lock is
 * in (`exists (select 1 from locked)`): a start that loses the lock holds no source the winner's
 * SKIP LOCKED selection would then skip. A generation already keyed with this idempotency key
 * inserts nothing, so it takes no lock either.
 */
const reserveSql = (s: string) =>
  `with acct as (select media_retention_days from ${s}.accounts where id = ? and owner_id = ?),
gen as (
  insert into ${s}.generations (id, account_id, content_type, status, total_requested, queued, options, idempotency_key, request_hash, credits_per_task)
  select ?, ?, ?, 'queuing', 0, 0, ?::jsonb, ?, ?, ? from acct
  on conflict (account_id, idempotency_key) where idempotency_key is not null do nothing
  returning created_at
),
locked as (
  insert into ${s}.generation_locks (account_id, content_type, generation_id, expires_at)
  select ?, ?, ?, now() + (? * interval '1 millisecond') from gen
  on conflict (account_id, content_type) do nothing returning generation_id
),
picked as (
  select id, url, captions_url, created_at from ${s}.source_videos
   where account_id = ? and state = 'available' and kind = ? and exists (select 1 from locked)
   order by created_at, id limit ? for update skip locked
)
select exists (select 1 from acct) as account_found, (select media_retention_days from acct) as retention,
       (select created_at from gen) as created_at, exists (select 1 from locked) as locked,
       (select json_agg(json_build_object('id', id, 'url', url, 'captions_url', captions_url) order by created_at, id) from picked) as sources`;

/** The generation's counters, its sources reserved and its tasks recorded, in one statement (the outbox insert appended). */
const recordSql = (s: string, announce: string) =>
  `with counted as (update ${s}.generations set total_requested = ?, queued = ? where id = ?),
${renderTaskSteps(s)},
announced as (${announce})
select 1`;

/**
 * A start in two statements, in the caller's transaction: the common case (the account is the
 * caller's, no generation has this idempotency key, the lock is free, a source is available).
 * Anything else returns undefined having changed nothing the caller's rollback does not undo, and
 * the full start (createStartGeneration) then decides: NOT_FOUND, a keyed replay, an expired lock
 * taken over, GENERATION_LOCKED, NO_SOURCES_AVAILABLE, each from the code its tests cover.
 * PAYMENT_REQUIRED is thrown from here as from there (the same debit).
 */
export async function startOnFastPath(
  em: EntityManager,
  deps: FastStartDeps,
  input: FastStartInput,
): Promise<{ generation: GenerationView; shortBy: number } | undefined> {
  const s = `"${deps.schema}"`;
  const { req, generationId, count } = input;
  const options = req.body.options ?? {};
  const article = req.body.type === ARTICLE_CONTENT_TYPE;
  const [found] = await executePrepared<Reserved>(em, reserveSql(s), [
    req.accountId,
    req.principal.id,
    generationId,
    req.accountId,
    req.body.type,
    JSON.stringify(options),
    req.idempotencyKey ?? null,
    input.requestHash,
    deps.creditCostPerTask,
    req.accountId,
    req.body.type,
    generationId,
    deps.lockExpiryMs,
    req.accountId,
    article ? 'article' : 'video',
    count,
  ]);
  if (!found?.account_found || !found.created_at || !found.locked || !found.sources?.length) return undefined;
  const sources = found.sources;
  await payForStart(em, deps.schema, { req, generationId, perTask: deps.creditCostPerTask, videos: sources.length });
  const tasks = planRenderTasks(deps.service, startTasksInput(req, generationId, sources, found.retention));
  const row: GenerationRow = {
    id: generationId,
    account_id: req.accountId,
    content_type: req.body.type,
    status: 'queuing',
    total_requested: sources.length,
    queued: sources.length,
    processing: 0,
    completed: 0,
    failed: 0,
    cancelled: 0,
    created_at: found.created_at,
    finished_at: null,
  };
  const generation = toGenerationView(row, tasks.map((t) => t.taskId).sort());
  const announce = outboxInsert(deps.schema, startEntries(deps.service, req, tasks, generation));
  await executePrepared(em, recordSql(s, announce.sql), [
    sources.length,
    sources.length,
    generationId,
    ...renderTaskParams(generationId, tasks),
    ...announce.params,
  ]);
  return { generation, shortBy: count - sources.length };
}
