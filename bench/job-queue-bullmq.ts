// The job lifecycle on BullMQ: Queue.add / addBulk → a Worker (concurrency 16) whose processor
// calls job.updateProgress once and returns → the producer sees 'completed' through QueueEvents.
import { Queue, QueueEvents, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import type { Done, JobTarget } from './job-load.ts';

export interface BullmqTarget extends JobTarget {
  /** appendonly, appendfsync, save and the server's version, as the server reports them (CONFIG GET, INFO). */
  settings(): Promise<Record<string, string>>;
  close(): Promise<void>;
}

export async function startBullmq(options: { port: number; name: string; concurrency: number }): Promise<BullmqTarget> {
  const connection = { host: '127.0.0.1', port: options.port };
  // Each job writes several events (added, waiting, active, progress, completed); the default 10 000-entry
  // events stream would drop a 5000-job burst's before QueueEvents read them.
  const queue = new Queue(options.name, { connection, streams: { events: { maxLen: 1_000_000 } } });
  const events = new QueueEvents(options.name, { connection });
  await events.waitUntilReady();
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
      await job.updateProgress(50);
      return { ok: true };
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
      if (size === 1) return watch((await queue.add('job', data())).id, done);
      const jobs = await queue.addBulk(Array.from({ length: size }, () => ({ name: 'job', data: data() })));
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
    },
  };
}
