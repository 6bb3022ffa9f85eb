// The job lifecycle on BullMQ: Queue.add / addBulk → a Worker (concurrency 16) whose processor
// calls job.updateProgress once and returns → the producer sees 'completed' through QueueEvents.
// With `records`, also what a product built on BullMQ keeps of each job in PostgreSQL (taskRecords).
import { randomUUID } from 'node:crypto';
import { Queue, QueueEvents, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import pg from 'pg';
import type { Done, JobTarget } from './job-load.ts';

export interface BullmqTarget extends JobTarget {
  /** appendonly, appendfsync, save and the server's version, as the server reports them (CONFIG GET, INFO). */
  settings(): Promise<Record<string, string>>;
  close(): Promise<void>;
}

/** A task row per job, as an application on BullMQ keeps one for its API: each step one durable commit. */
interface TaskRecords {
  added(ids: string[]): Promise<void>;
  started(id: string): Promise<void>;
  progressed(id: string, percent: number): Promise<void>;
  completed(id: string, result: unknown): Promise<void>;
  close(): Promise<void>;
}

async function taskRecords(databaseUrl: string, schema: string, connections: number): Promise<TaskRecords> {
  const pool = new pg.Pool({ connectionString: databaseUrl, max: connections });
  const t = `"${schema}".tasks`;
  await pool.query(`create schema if not exists "${schema}"`);
  await pool.query(
    `create table ${t} (id uuid primary key, status text not null, percent int not null default 0, result jsonb,
      created_at timestamptz not null default now(), started_at timestamptz, finished_at timestamptz)`,
  );
  return {
    added: async (ids) => {
      await pool.query(`insert into ${t} (id, status) select unnest($1::uuid[]), 'queued'`, [ids]);
    },
    started: async (id) => {
      await pool.query(`update ${t} set status = 'processing', started_at = now() where id = $1`, [id]);
    },
    progressed: async (id, percent) => {
      await pool.query(`update ${t} set percent = $2 where id = $1`, [id, percent]);
    },
    completed: async (id, result) => {
      await pool.query(
        `update ${t} set status = 'completed', percent = 100, result = $2, finished_at = now() where id = $1`,
        [id, JSON.stringify(result)],
      );
    },
    close: () => pool.end(),
  };
}

export async function startBullmq(options: {
  port: number;
  name: string;
  concurrency: number;
  /** Keep a task row per job in this PostgreSQL (schema `name`), written at add, start, progress and completion. */
  records?: { databaseUrl: string };
}): Promise<BullmqTarget> {
  const connection = { host: '127.0.0.1', port: options.port };
  // Each job writes several events (added, waiting, active, progress, completed); the default 10 000-entry
  // events stream would drop a 5000-job burst's before QueueEvents read them.
  const queue = new Queue(options.name, { connection, streams: { events: { maxLen: 1_000_000 } } });
  const events = new QueueEvents(options.name, { connection });
  await events.waitUntilReady();
  // A connection per worker slot, and a few for the producer's inserts.
  const records = options.records
    ? await taskRecords(options.records.databaseUrl, options.name, options.concurrency + 4)
    : undefined;
  const waiting = new Map<string, Done>();
  // A completion seen before add() returned the job's id (possible, if unlikely): kept with its time.
  const early = new Map<string, number>();
  events.on('completed', ({ jobId }) => {
    const done = waiting.get(jobId);
    if (!done) return void early.set(jobId, performance.now());
    waiting.delete(jobId);
    done();
  });
  const worker = new Worker(
    options.name,
    async (job) => {
      const id = job.id!;
      await records?.started(id);
      await job.updateProgress(50);
      await records?.progressed(id, 50);
      const result = { ok: true };
      // Recorded before the job completes in Redis: the producer is told only once the row says so.
      await records?.completed(id, result);
      return result;
    },
    { connection, concurrency: options.concurrency },
  );
  await worker.waitUntilReady();
  const watch = (id: string | undefined, done: Done) => {
    if (id === undefined) throw new Error('BullMQ returned a job without an id');
    const at = early.get(id);
    if (at === undefined) return void waiting.set(id, done);
    early.delete(id);
    done(at);
  };
  let n = 0;
  const data = () => ({ n: n++, pad: 'x'.repeat(400) });
  return {
    async submit(size, done) {
      // With records: the row first (the API answers with the task's id), then the job under the same id.
      const ids = Array.from({ length: size }, () => randomUUID());
      if (records) await records.added(ids);
      const opts = (jobId: string) => (records ? { jobId } : {});
      if (size === 1) return watch((await queue.add('job', data(), opts(ids[0]!))).id, done);
      const jobs = await queue.addBulk(ids.map((jobId) => ({ name: 'job', data: data(), opts: opts(jobId) })));
      for (const job of jobs) watch(job.id, done);
    },
    async settings() {
      const redis = new Redis(connection);
      try {
        const out: Record<string, string> = {};
        for (const name of ['appendonly', 'appendfsync', 'save']) {
          const [, value] = (await redis.config('GET', name)) as [string, string];
          out[name] = value === '' ? '(none)' : value;
        }
        out.redis_version = /redis_version:(\S+)/.exec(await redis.info('server'))?.[1] ?? '?';
        return out;
      } finally {
        redis.disconnect();
      }
    },
    async close() {
      await worker.close();
      await events.close();
      await queue.close();
      await records?.close();
    },
  };
}
