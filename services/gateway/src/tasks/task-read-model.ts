import type { TaskView } from '@reelforge/contracts';
import type { Metrics } from '@reelforge/telemetry';
import type { StatusFact } from '../live/status-fact.ts';

/**
 * A read that went to the owner. Any fact about its task (or a lapse of the stream) between
 * `begin` and `settle` makes the answer possibly older than what the stream already said: it is
 * then not kept.
 */
export interface ReadTicket {
  readonly taskId: string;
  readonly lapses: number;
  stale: boolean;
}

export interface TaskReadModel {
  /** The cached view, only for the principal it was fetched for and only while the stream is caught up. */
  lookup(taskId: string, principalId: string): TaskView | undefined;
  /** Call before asking the owner for the task (a read, a cancel, a retry). */
  begin(taskId: string): ReadTicket;
  /** The owner's answer for `principalId`: replaces the entry, unless something made it stale since `begin` (then the entry goes). */
  settle(ticket: ReadTicket, principalId: string, view: TaskView): void;
  /** A read that got no answer (an error): nothing is kept. */
  abandon(ticket: ReadTicket): void;
  /** Drops a task's entry (its state changed in a way no event announces). */
  forget(taskId: string): void;
  /** A fact from the TASKS stream (parsed; undefined when the message held none), in stream order. */
  apply(fact: StatusFact | undefined): void;
  /** Whether a fact about this task would change anything here (a cached view, or a read in flight). */
  watches(taskId: string): boolean;
  /** The consumer has delivered everything the stream held when it last said so. */
  caughtUp(): void;
  /** Facts are waiting behind the last one delivered: serve nothing until caught up (entries stay: the facts will come). */
  behind(): void;
  /** The consumer may have missed facts (recreated, heartbeats missed, disconnected…): entries go, nothing served until caught up. */
  lapse(): void;
  readonly size: number;
  readonly fresh: boolean;
}

interface Entry {
  view: TaskView;
  principalId: string;
  /** When the owner answered (patches do not renew it). */
  at: number;
}

/** Stages reported once the task has ended (the row's stage is written with the status change). */
const TERMINAL_STAGES = new Set(['completed', 'failed', 'cancelled']);
/** A task in one of these changes only by a fact on the stream (a retry announces `queued`). */
const ENDED = new Set<string>(['completed', 'failed', 'cancelled']);

/**
 * The gateway's cache of task views, fed by the owner's answers (read-through) and kept fresh by
 * the TASKS stream the status fan-out reads. Bounded: least recently used entries go past
 * `capacity` (0 = keeps nothing). Eventually consistent within the stream's lag; see
 * docs/architecture.md for the rules. `maxAgeMs` bounds how long a change no fact announces
 * (a row pruned by retention, a running task turned `cancelling`) can go unseen.
 */
export function createTaskReadModel(o: {
  capacity: number;
  maxAgeMs: number;
  /**
   * A view of a task that has not ended is served for this long at most: a running task can turn
   * `cancelling`, or record an attempt's error, without any fact on the stream.
   */
  runningMaxAgeMs: number;
  metrics?: Metrics;
  now?: () => number;
}): TaskReadModel {
  const now = o.now ?? Date.now;
  // A Map iterates in insertion order: re-inserting on use makes its first key the least recently used.
  const entries = new Map<string, Entry>();
  const inFlight = new Map<string, Set<ReadTicket>>();
  // Not fresh until the owner of the consumer says it is caught up.
  let fresh = false;
  let lapses = 0;
  const lookups = o.metrics?.counter(
    'reelforge_task_read_model_lookups_total',
    'Task reads by how the read model answered: hit (from the cache), miss (not cached for this caller), behind (stream not caught up: asked the owner)',
    ['result'],
  );
  // Why reads go to the owner: how often the consumer falls behind or lapses, and catches up again.
  const transitions = o.metrics?.counter(
    'reelforge_task_read_model_transitions_total',
    "Changes of the read model's state: behind (facts waiting), lapse (facts may have been missed: entries dropped), caught_up (serving again)",
    ['to'],
  );
  o.metrics?.gaugeFrom('reelforge_task_read_model_entries', 'Task views cached by the read model', [], async (set) =>
    set({}, entries.size),
  );

  const touch = (taskId: string) => {
    const tickets = inFlight.get(taskId);
    if (tickets) for (const t of tickets) t.stale = true;
  };
  const end = (ticket: ReadTicket) => {
    const tickets = inFlight.get(ticket.taskId);
    tickets?.delete(ticket);
    if (tickets?.size === 0) inFlight.delete(ticket.taskId);
  };
  const notFresh = () => {
    if (fresh) lapses++;
    fresh = false;
  };

  return {
    lookup: (taskId, principalId) => {
      if (!fresh) {
        lookups?.inc({ result: 'behind' });
        return undefined;
      }
      const entry = entries.get(taskId);
      // The owner scopes by `owner_id = principal.id`: an entry answers only the principal it was read for.
      const age = entry ? now() - entry.at : 0;
      if (
        !entry ||
        entry.principalId !== principalId ||
        age > o.maxAgeMs ||
        (!ENDED.has(entry.view.status) && age > o.runningMaxAgeMs)
      ) {
        lookups?.inc({ result: 'miss' });
        return undefined;
      }
      entries.delete(taskId);
      entries.set(taskId, entry);
      lookups?.inc({ result: 'hit' });
      return entry.view;
    },
    begin: (taskId) => {
      const ticket: ReadTicket = { taskId, lapses, stale: !fresh };
      const tickets = inFlight.get(taskId) ?? new Set();
      tickets.add(ticket);
      inFlight.set(taskId, tickets);
      return ticket;
    },
    settle: (ticket, principalId, view) => {
      end(ticket);
      entries.delete(ticket.taskId);
      if (ticket.stale || ticket.lapses !== lapses || !fresh || o.capacity === 0) return;
      // Frozen: every caller shares this object; a caller changing it would change the others' answers.
      entries.set(ticket.taskId, { view: Object.freeze(view), principalId, at: now() });
      if (entries.size > o.capacity) entries.delete(entries.keys().next().value!);
    },
    abandon: end,
    forget: (taskId) => {
      touch(taskId);
      entries.delete(taskId);
    },
    watches: (taskId) => entries.has(taskId) || inFlight.has(taskId),
    apply: (fact) => {
      if (fact?.kind === 'status') {
        touch(fact.event.data.taskId);
        entries.delete(fact.event.data.taskId);
        return;
      }
      if (fact?.kind !== 'progress') return;
      const d = fact.event.data;
      // A terminal stage is reported after the status fact that ends the task was committed: that fact says it all.
      if (TERMINAL_STAGES.has(d.stage)) return;
      touch(d.taskId);
      const entry = entries.get(d.taskId);
      if (!entry) return;
      const v = entry.view;
      // Patched only where the row would say the same: the running attempt of a clips task (an
      // article's script is written beside its progress, and no event carries it).
      if (v.status === 'processing' && v.kind === 'clips' && d.attempt !== undefined && d.attempt === v.attempt)
        entry.view = Object.freeze({ ...v, stage: d.stage, percent: d.percent });
      else entries.delete(d.taskId);
    },
    caughtUp: () => {
      if (!fresh) transitions?.inc({ to: 'caught_up' });
      fresh = true;
    },
    behind: () => {
      if (fresh) transitions?.inc({ to: 'behind' });
      notFresh();
    },
    lapse: () => {
      transitions?.inc({ to: 'lapse' });
      notFresh();
      entries.clear();
    },
    get size() {
      return entries.size;
    },
    get fresh() {
      return fresh;
    },
  };
}
