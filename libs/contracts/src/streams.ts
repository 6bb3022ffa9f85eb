/**
 * Stream declarations. Each stream has one owning service, which creates or updates it at start;
 * no other service changes it. Limits are deliberate: work queues keep a message until it is acked,
 * fact streams keep a bounded history (what WebSocket resume and SSE `Last-Event-ID` can replay).
 */
export interface StreamDeclaration {
  name: string;
  owner: 'gateway' | 'content-orchestrator' | 'repurposer' | 'backlog-keeper' | 'notifier' | 'scheduler' | 'shared';
  subjects: string[];
  retention: 'limits' | 'workqueue';
  /** Oldest message kept, in milliseconds. */
  maxAgeMs: number;
  description: string;
}

const DAY_MS = 24 * 3600 * 1000;

export const STREAMS = {
  CONTENT: { name: 'CONTENT', owner: 'content-orchestrator', subjects: ['content.>'], retention: 'limits', maxAgeMs: 7 * DAY_MS, description: 'Generation facts' },
  RENDER_JOBS: { name: 'RENDER_JOBS', owner: 'repurposer', subjects: ['render.jobs.>'], retention: 'workqueue', maxAgeMs: 7 * DAY_MS, description: 'One render job per task' },
  TASKS: { name: 'TASKS', owner: 'repurposer', subjects: ['task.>'], retention: 'limits', maxAgeMs: 3 * DAY_MS, description: 'Task facts incl. progress' },
  BACKLOG: { name: 'BACKLOG', owner: 'backlog-keeper', subjects: ['backlog.>'], retention: 'limits', maxAgeMs: 7 * DAY_MS, description: 'Backlog facts' },
  NOTIFY: { name: 'NOTIFY', owner: 'notifier', subjects: ['notify.>'], retention: 'limits', maxAgeMs: 7 * DAY_MS, description: 'Notification facts' },
  SCHEDULER: { name: 'SCHEDULER', owner: 'scheduler', subjects: ['scheduler.>'], retention: 'limits', maxAgeMs: 30 * DAY_MS, description: 'Job run facts' },
  DLQ: { name: 'DLQ', owner: 'shared', subjects: ['dlq.>'], retention: 'limits', maxAgeMs: 30 * DAY_MS, description: 'Messages that could not be handled, with their error' },
} as const satisfies Record<string, StreamDeclaration>;

/** Prefixes every stream name and subject, so tests (and several stacks on one server) never collide. */
export interface Namespace {
  /** Prepended to stream and durable names, e.g. `T1_`. Empty in production. */
  streamPrefix: string;
  /** Prepended to every subject, e.g. `t1.`. Empty in production. */
  subjectPrefix: string;
}

export const ROOT_NAMESPACE: Namespace = Object.freeze({ streamPrefix: '', subjectPrefix: '' });
