// The job lifecycle on our control plane: a job is a generation started over HTTP (gateway →
// orchestrator → outbox → render job → repurposer with RENDER_STAGE=noop, which reports one
// progress update → task events → folds → generation closed). The producer sees a task's
// completion on a core subscription to its task.status subject, as the gateway's push does.
import type { NatsConnection } from '@nats-io/transport-node';
import { jetstreamManager } from '@nats-io/jetstream';
import { spawnBenchStack } from './bench-processes.ts';
import type { Done, JobTarget } from './job-load.ts';

export interface OursTarget extends JobTarget {
  /** Makes `accounts` accounts with `sourcesEach` sources each (not measured); a job takes a free one. */
  prepare(accounts: number, sourcesEach: number): Promise<void>;
  /** Resolves once every generation started has closed (the next phase starts from an idle stack). */
  drained(): Promise<void>;
  /** Tasks that ended other than completed: a run with any is not a measurement. */
  failures(): number;
  /** Progress events the producer saw so far (task.progress), to say what a task really sent. */
  progressEvents(): number;
  /** The streams' storage, as the server reports them. */
  settings(): Promise<Record<string, string>>;
  close(): Promise<void>;
}

interface Account {
  id: string;
  sources: number;
}
const TERMINAL = new Set(['completed', 'partially_failed', 'failed', 'cancelled']);
const SETUP_IN_FLIGHT = 16;

export async function startOurs(options: {
  nc: NatsConnection;
  natsUrl: string;
  databaseUrl: string;
  workers: number;
}): Promise<OursTarget> {
  // As deployed: each service its own process (in one process their shared event loop is the limit).
  const stack = await spawnBenchStack({
    prefix: 'jq',
    services: ['orchestrator', 'repurposer', 'gateway'],
    natsUrl: options.natsUrl,
    databaseUrl: options.databaseUrl,
    env: { TASK_WORKER_COUNT: String(options.workers) },
  });
  const { token, baseUrl } = stack;
  const headers = { authorization: `Bearer ${await stack.bearer('bench')}`, 'content-type': 'application/json' };
  const post = async <T>(path: string, body: unknown): Promise<{ status: number; body: T }> => {
    const res = await fetch(`${baseUrl}${path}`, { method: 'POST', headers, body: JSON.stringify(body) });
    const text = await res.text();
    if (res.status >= 300 && res.status !== 409) throw new Error(`${path}: HTTP ${res.status} ${text}`);
    return { status: res.status, body: JSON.parse(text) as T };
  };

  // Free accounts (no generation running: one runs per account and type at a time).
  const free: Account[] = [];
  let wakeUp: (() => void)[] = [];
  const release = (account: Account) => {
    free.push(account);
    for (const wake of wakeUp.splice(0)) wake();
  };
  const acquire = async (size: number): Promise<Account> => {
    for (;;) {
      const i = free.findIndex((a) => a.sources >= size);
      if (i >= 0) return free.splice(i, 1)[0]!;
      await new Promise<void>((r) => wakeUp.push(r));
    }
  };

  // Events can arrive before the start's answer names their task or generation: kept until then.
  const tasks = new Map<string, Done>();
  const tasksSeenEarly = new Map<string, number>();
  const running = new Map<string, Account>();
  const closedEarly = new Set<string>();
  let failed = 0;
  let progress = 0;
  let idle: (() => void)[] = [];
  const closed = (generationId: string) => {
    const account = running.get(generationId);
    if (!account) return void closedEarly.add(generationId);
    running.delete(generationId);
    release(account);
    if (running.size === 0) for (const wake of idle.splice(0)) wake();
  };
  const statuses = options.nc.subscribe(`${token}.task.status.>`, {
    callback: (err, msg) => {
      if (err) return;
      const { data } = msg.json<{ data: { taskId: string; status: string } }>();
      if (!TERMINAL.has(data.status)) return;
      if (data.status !== 'completed') failed++;
      const done = tasks.get(data.taskId);
      if (!done) return void tasksSeenEarly.set(data.taskId, performance.now());
      tasks.delete(data.taskId);
      done();
    },
  });
  const generations = options.nc.subscribe(`${token}.content.generation.>`, {
    callback: (err, msg) => {
      if (err) return;
      const { data } = msg.json<{ data: { id: string; status: string } }>();
      if (TERMINAL.has(data.status)) closed(data.id);
    },
  });
  const progresses = options.nc.subscribe(`${token}.task.progress.>`, { callback: () => void progress++ });
  await options.nc.flush();

  const inParallel = async (count: number, fn: (i: number) => Promise<void>) => {
    let next = 0;
    const lane = async () => {
      while (next < count) await fn(next++);
    };
    await Promise.all(Array.from({ length: Math.min(SETUP_IN_FLIGHT, count) }, lane));
  };

  return {
    async prepare(accounts, sourcesEach) {
      await inParallel(accounts, async (a) => {
        const { body } = await post<{ id: string }>('/api/v1/accounts', { name: `bench ${a}` });
        await inParallel(sourcesEach, async (s) => {
          await post(`/api/v1/accounts/${body.id}/sources`, { url: `https://videos.example.com/${body.id}/${s}.mp4` });
        });
        release({ id: body.id, sources: sourcesEach });
      });
    },
    async submit(size, done) {
      const account = await acquire(size);
      for (;;) {
        const res = await post<{ generation: { id: string; taskIds: string[] }; shortBy: number }>(
          `/api/v1/accounts/${account.id}/generations`,
          { type: 'shorts', count: size },
        );
        // 409: the account's previous generation has not released its lock yet (not expected: we wait for its close).
        if (res.status === 409) {
          await new Promise((r) => setTimeout(r, 10));
          continue;
        }
        const { generation, shortBy } = res.body;
        if (shortBy) throw new Error(`generation ${generation.id} started ${shortBy} task(s) short`);
        account.sources -= size;
        for (const taskId of generation.taskIds) {
          const at = tasksSeenEarly.get(taskId);
          if (at === undefined) tasks.set(taskId, done);
          else {
            tasksSeenEarly.delete(taskId);
            done(at);
          }
        }
        running.set(generation.id, account);
        if (closedEarly.delete(generation.id)) closed(generation.id);
        return;
      }
    },
    drained() {
      return running.size === 0 ? Promise.resolve() : new Promise<void>((r) => idle.push(r));
    },
    failures: () => failed,
    progressEvents: () => progress,
    async settings() {
      const jsm = await jetstreamManager(options.nc);
      const out: Record<string, string> = {};
      const prefix = `${token.toUpperCase()}_`;
      for await (const info of jsm.streams.list())
        if (info.config.name.startsWith(prefix))
          out[info.config.name.slice(prefix.length)] = `storage ${info.config.storage}`;
      return out;
    },
    async close() {
      statuses.unsubscribe();
      generations.unsubscribe();
      progresses.unsubscribe();
      wakeUp = [];
      idle = [];
      await stack.stop();
    },
  };
}
