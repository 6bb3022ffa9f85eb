import { filters, STREAMS, type GenerationUpdated, type TaskView } from '@reelforge/contracts';
import type { StatusFact } from './status-fact.ts';

/** A status fact the gateway relays to clients, with the ids it can be subscribed by. */
export interface StatusEvent {
  /** Where the fact is stored: resume (`since`) replays from these positions. */
  position: { stream: 'TASKS' | 'CONTENT'; seq: number };
  accountId: string;
  generationId: string | null;
  taskId: string | null;
  /** The client-facing message (the live-status protocol), minus the per-connection `seq`. */
  message: Record<string, unknown>;
  /** `message` as JSON, serialised once per fact rather than once per socket it reaches. */
  json?: string;
  /** The encoded frame up to its `seq`, per cursor (most sockets share one): filled by eventFrame. */
  framePrefixes?: Map<string, Buffer>;
}

/** Turns a parsed fact (parseStatusFact) into the protocol message, or undefined when there is none. */
export function toStatusEvent(
  fact: StatusFact | undefined,
  position: StatusEvent['position'],
): StatusEvent | undefined {
  const event = fact && toStatusFact(fact, position);
  if (event) event.json = JSON.stringify(event.message);
  return event;
}

/** A task's fact, subscribable by its account, generation and task. */
const taskFact = (
  event: { accountId: string; data: { taskId: string; generationId: string | null } },
  position: StatusEvent['position'],
  message: Record<string, unknown>,
): StatusEvent => ({
  position,
  accountId: event.accountId,
  generationId: event.data.generationId,
  taskId: event.data.taskId,
  message,
});

function toStatusFact(fact: StatusFact, position: StatusEvent['position']): StatusEvent {
  switch (fact.kind) {
    case 'progress': {
      const d = fact.event.data;
      return taskFact(fact.event, position, {
        type: 'job_progress',
        event_id: fact.event.id,
        job_id: d.taskId,
        generation_id: d.generationId,
        stage: d.stage,
        progress: d.percent,
        message: d.message,
        eta_seconds: d.etaSeconds,
      });
    }
    case 'status': {
      const d = fact.event.data;
      return taskFact(fact.event, position, {
        type: 'job_status',
        event_id: fact.event.id,
        kind: 'task',
        job_id: d.taskId,
        generation_id: d.generationId,
        status: { status: d.status, attempt: d.attempt, error: d.error, output: d.output },
      });
    }
    case 'generation': {
      const { event } = fact;
      return {
        position,
        accountId: event.accountId,
        generationId: event.data.id,
        taskId: null,
        message: { ...generationStatusMessage(event.data), event_id: event.id },
      };
    }
  }
}

export function generationStatusMessage(view: GenerationUpdated['data']): Record<string, unknown> {
  // The owner principal rides along for internal consumers (the notifier); clients never see it.
  const { ownerId: _owner, ...status } = view as GenerationUpdated['data'] & { ownerId?: string };
  return { type: 'job_status', kind: 'generation', job_id: view.id, status };
}

/** A task's current state in the shape of its live `job_status` messages (the snapshot on subscribe). */
export function taskStatusMessage(view: TaskView): Record<string, unknown> {
  return {
    type: 'job_status',
    kind: 'task',
    job_id: view.id,
    generation_id: view.generationId,
    status: {
      status: view.status,
      attempt: view.attempt,
      error: view.error,
      output: null,
      stage: view.stage,
      progress: view.percent,
    },
  };
}

/** The streams and filters the gateway reads status from (each instance reads them all itself). */
export const STATUS_SOURCES = [
  { stream: STREAMS.TASKS.name, filter: filters.allTasks, perAccount: (accountId: string) => `task.*.${accountId}` },
  {
    stream: STREAMS.CONTENT.name,
    filter: filters.generations,
    perAccount: (accountId: string) => `content.generation.${accountId}`,
  },
] as const;

/** A client's resume point: the last TASKS and CONTENT positions it has seen, as `"<tasks>-<content>"`. */
export interface Cursor {
  TASKS: number;
  CONTENT: number;
}

export function formatCursor(c: Cursor): string {
  return `${c.TASKS}-${c.CONTENT}`;
}

export function parseCursor(text: unknown): Cursor | undefined {
  const m = typeof text === 'string' ? /^(\d{1,15})-(\d{1,15})$/.exec(text) : null;
  return m ? { TASKS: Number(m[1]), CONTENT: Number(m[2]) } : undefined;
}
