/**
 * Stream declarations. Each stream has one owning service, which creates or updates it at start;
 * no other service changes it. Limits are deliberate: work queues keep a message until it is acked,
 * fact streams keep a bounded history (what WebSocket resume and SSE `Last-Event-ID` can replay).
 * JetStream reserves each stream's `maxBytes` against the server's `max_file_store` (2.8 GiB in
 * all here): size the server for it, or cap them with NATS_STREAM_MAX_BYTES.
 */
export interface StreamDeclaration {
  name: string;
  owner: 'gateway' | 'content-orchestrator' | 'repurposer' | 'backlog-keeper' | 'notifier' | 'scheduler' | 'shared';
  subjects: string[];
  retention: 'limits' | 'workqueue';
  /** Oldest message kept, in milliseconds. */
  maxAgeMs: number;
  /** Bounds besides age, so a burst or a stuck consumer cannot fill the disk (every declared stream sets them; unset = unbounded, for tests). */
  maxBytes?: number;
  maxMsgs?: number;
  description: string;
}

const DAY_MS = 24 * 3600 * 1000;
const MiB = 1024 * 1024;
const GiB = 1024 * MiB;

export const STREAMS = {
  CONTENT: {
    name: 'CONTENT',
    owner: 'content-orchestrator',
    subjects: ['content.>'],
    retention: 'limits',
    maxAgeMs: 7 * DAY_MS,
    maxBytes: 512 * MiB,
    maxMsgs: 5_000_000,
    description: 'Generation facts',
  },
  RENDER_JOBS: {
    name: 'RENDER_JOBS',
    owner: 'repurposer',
    subjects: ['render.jobs.>'],
    retention: 'workqueue',
    maxAgeMs: 7 * DAY_MS,
    maxBytes: 512 * MiB,
    maxMsgs: 1_000_000,
    description: 'One render job per task',
  },
  TASKS: {
    name: 'TASKS',
    owner: 'repurposer',
    subjects: ['task.>'],
    retention: 'limits',
    maxAgeMs: 3 * DAY_MS,
    maxBytes: 1 * GiB,
    maxMsgs: 10_000_000,
    description: 'Task facts incl. progress',
  },
  BACKLOG: {
    name: 'BACKLOG',
    owner: 'backlog-keeper',
    subjects: ['backlog.>'],
    retention: 'limits',
    maxAgeMs: 7 * DAY_MS,
    maxBytes: 128 * MiB,
    maxMsgs: 1_000_000,
    description: 'Backlog facts',
  },
  NOTIFY: {
    name: 'NOTIFY',
    owner: 'notifier',
    subjects: ['notify.>'],
    retention: 'limits',
    maxAgeMs: 7 * DAY_MS,
    maxBytes: 128 * MiB,
    maxMsgs: 1_000_000,
    description: 'Notification facts',
  },
  SCHEDULER: {
    name: 'SCHEDULER',
    owner: 'scheduler',
    subjects: ['scheduler.>'],
    retention: 'limits',
    maxAgeMs: 30 * DAY_MS,
    maxBytes: 32 * MiB,
    maxMsgs: 100_000,
    description: 'Job run facts',
  },
  DLQ: {
    name: 'DLQ',
    owner: 'shared',
    subjects: ['dlq.>'],
    retention: 'limits',
    maxAgeMs: 30 * DAY_MS,
    maxBytes: 512 * MiB,
    maxMsgs: 1_000_000,
    description: 'Messages that could not be handled, with their error',
  },
} as const satisfies Record<string, StreamDeclaration>;

/** Prefixes every stream name and subject, so tests (and several stacks on one server) never collide. */
export interface Namespace {
  /** Prepended to stream and durable names, e.g. `T1_`. Empty in production. */
  streamPrefix: string;
  /** Prepended to every subject, e.g. `t1.`. Empty in production. */
  subjectPrefix: string;
}
