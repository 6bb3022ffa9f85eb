import {
  coalesceByKey,
  executePrepared,
  outboxInsertKeyed,
  type KeyedOutboxRow,
  type MikroORM,
} from '@reelforge/persistence';
import { batchAdoptionSteps } from './owner-backfill.ts';

/** A new task's row as the tasks table takes it (jsonb_to_recordset reads these names). */
export interface FreshTaskRow {
  id: string;
  account_id: string;
  generation_id: string | null;
  source_id: string | null;
  source_url: string;
  content_type: string;
  options: unknown;
  inputs: unknown;
  kind: string;
  owner_id: string | null;
}

/** A first delivery: the row to create, running attempt 1, and its `processing` event. */
export interface FreshStart {
  task: FreshTaskRow;
  event: KeyedOutboxRow;
}

/** A clip row as generated_content takes it (owner_id is copied from the task row). */
export interface ClipRow {
  id: string;
  task_id: string;
  account_id: string;
  clip_index: number;
  media_key: string;
  duration_seconds: number;
  size_bytes: number;
  width: number;
  height: number;
  checksum_sha256: string;
  segment: unknown;
  score: number | null;
  reason: string;
  captioned: boolean;
  title: string | null;
  thumbnail_key: string;
  expires_at: string | null;
  kind: string;
  source_url: string | null;
  script: unknown;
}

/** A completion of the task's current attempt: its clips and its `completed` event. */
export interface Completion {
  taskId: string;
  attempt: number;
  clips: ClipRow[];
  event: KeyedOutboxRow;
}

const UNIQUE_VIOLATION = '23505';

/**
 * The items of a batch that go in its statement: the first per task. Events and clips are matched
 * to the written rows by task id, so a task twice in one statement (a redelivery beside its first
 * delivery, a stale attempt's completion beside the current one's) could announce twice; its later
 * items answer false and take the transaction, as they would have one statement later.
 */
function firstPerTask<T>(items: T[], taskOf: (item: T) => string): T[] {
  const seen = new Set<string>();
  return items.filter((x) => !seen.has(taskOf(x)) && seen.add(taskOf(x)));
}

/**
 * The two transitions every task makes once, each one statement, group-committed: the first
 * deliveries (and completions) of all tasks that arrive while one such statement runs go together
 * in the next, with their rows as one JSON parameter (one prepared plan for any batch size).
 * Each answers per item whether it wrote it; an item it did not write (the task exists, a cancel
 * awaits it, the attempt was superseded, a clip row already exists) is left to the task store's
 * transaction, which decides every such corner. A batch that fails (a constraint) is run again
 * item by item by coalesceByKey, so one bad item cannot hold the others back.
 */
export function createFastTransitions(deps: { orm: MikroORM; schema: string; afterCommit: () => void }) {
  const s = `"${deps.schema}"`;

  // With the task rows, the accounts' ownerless rows adopt the owner their jobs name (owner-backfill.ts).
  const BEGIN_SQL = `with v as (
       select * from jsonb_to_recordset(?::jsonb) as v (id uuid, account_id uuid, generation_id uuid, source_id uuid,
         source_url text, content_type text, options jsonb, inputs jsonb, kind text, owner_id text)
     ), fresh as (
       insert into ${s}.tasks (id, account_id, generation_id, source_id, source_url, content_type, options, inputs, kind, owner_id, status, stage, percent, attempt, started_at)
       select v.id, v.account_id, v.generation_id, v.source_id, v.source_url, v.content_type, v.options, v.inputs, v.kind, v.owner_id, 'processing', 'downloading', 0, 1, now()
         from v where not exists (select 1 from ${s}.task_cancellations c where c.task_id = v.id)
       on conflict (id) do nothing returning id
     ), attempt as (
       insert into ${s}.task_attempts (task_id, attempt, series) select id, 1, 0 from fresh
     ), announced as (${outboxInsertKeyed(deps.schema, 'fresh')})${batchAdoptionSteps(s, 'v')}
     select id from fresh`;

  // The rows are locked in id order first (`locked`), as a cancel of many tasks takes them: two
  // writers of several task rows then never hold one each of two rows the other waits for.
  const COMPLETE_SQL = `with v as (
       select * from jsonb_to_recordset(?::jsonb) as v (id uuid, attempt int)
     ), locked as (
       select t.id from ${s}.tasks t where t.id in (select id from v) order by t.id for update
     ), done as (
       update ${s}.tasks t set status = 'completed', stage = 'completed', percent = 100, error_code = null, error_message = null, finished_at = now(), updated_at = now()
         from v where t.id = v.id and t.attempt = v.attempt and t.status not in ('completed', 'failed', 'cancelled')
          and t.id in (select id from locked)
       returning t.id, t.attempt
     ), finished as (
       update ${s}.task_attempts a set finished_at = now() from done d where a.task_id = d.id and a.attempt = d.attempt
     ), stored as (
       insert into ${s}.generated_content (id, task_id, account_id, clip_index, media_key, duration_seconds, size_bytes, width, height, checksum_sha256, segment, score, reason, captioned, title, thumbnail_key, owner_id, expires_at, kind, source_url, script)
       select c.id, c.task_id, c.account_id, c.clip_index, c.media_key, c.duration_seconds, c.size_bytes, c.width, c.height, c.checksum_sha256, c.segment, c.score, c.reason, c.captioned, c.title, c.thumbnail_key,
              (select owner_id from ${s}.tasks where id = c.task_id), c.expires_at, c.kind, c.source_url, c.script
         from jsonb_to_recordset(?::jsonb) as c (id uuid, task_id uuid, account_id uuid, clip_index int, media_key text, duration_seconds float8,
           size_bytes int8, width int, height int, checksum_sha256 text, segment jsonb, score float8, reason text, captioned boolean, title text,
           thumbnail_key text, expires_at timestamptz, kind text, source_url text, script jsonb)
        where c.task_id in (select id from done)
     ), announced as (${outboxInsertKeyed(deps.schema, 'done')})
     select id, attempt from done`;

  /** True per start whose task it created. */
  async function beginAll(starts: FreshStart[]): Promise<boolean[]> {
    const sent = firstPerTask(starts, (x) => x.task.id);
    const rows = await executePrepared<{ id: string }>(deps.orm.em.fork(), BEGIN_SQL, [
      JSON.stringify(sent.map((x) => x.task)),
      JSON.stringify(sent.map((x) => x.event)),
    ]);
    if (rows.length > 0) deps.afterCommit();
    const created = new Set(rows.map((r) => r.id));
    const inStatement = new Set(sent);
    return starts.map((x) => inStatement.has(x) && created.has(x.task.id));
  }

  /** True per completion it wrote. A clip row already there fails the statement: nothing is written. */
  async function completeAll(completions: Completion[]): Promise<boolean[]> {
    const sent = firstPerTask(completions, (x) => x.taskId);
    const rows = await executePrepared<{ id: string; attempt: number }>(deps.orm.em.fork(), COMPLETE_SQL, [
      JSON.stringify(sent.map((x) => ({ id: x.taskId, attempt: x.attempt }))),
      JSON.stringify(sent.flatMap((x) => x.clips)),
      JSON.stringify(sent.map((x) => x.event)),
    ]);
    if (rows.length > 0) deps.afterCommit();
    const written = new Set(rows.map((r) => `${r.id}:${r.attempt}`));
    const inStatement = new Set(sent);
    return completions.map((x) => inStatement.has(x) && written.has(`${x.taskId}:${x.attempt}`));
  }

  const begin = coalesceByKey<FreshStart, boolean>({
    runBatch: (_key, starts) => beginAll(starts),
    runOne: async (_key, start) => (await beginAll([start]))[0]!,
    maxBatch: 200,
  });
  const complete = coalesceByKey<Completion, boolean>({
    runBatch: (_key, completions) => completeAll(completions),
    runOne: async (_key, completion) => {
      try {
        return (await completeAll([completion]))[0]!;
      } catch (err) {
        // A clip row already there (a crash after an earlier completion's commit?): the transaction decides.
        if ((err as { code?: unknown }).code === UNIQUE_VIOLATION) return false;
        throw err;
      }
    },
    maxBatch: 200,
  });

  return {
    /** Creates the task running attempt 1, unless it exists or a cancel awaits it: true when it did. */
    beginFresh: (start: FreshStart): Promise<boolean> => begin('begin', start),
    /** Completes the task's attempt if it is current and the task open: true when it did. */
    complete: (completion: Completion): Promise<boolean> => complete('complete', completion),
  };
}
