import { filters, STREAMS, GenerationUpdated, TaskProgress, TaskStatusChanged, validator } from '@reelforge/contracts';

/** A status fact the gateway relays to clients, with the ids it can be subscribed by. */
export interface StatusEvent {
  accountId: string;
  generationId: string | null;
  taskId: string | null;
  /** The client-facing message (DESIGN.md protocol), minus the per-connection `seq`. */
  message: Record<string, unknown>;
}

const isProgress = validator(TaskProgress);
const isTaskStatus = validator(TaskStatusChanged);
const isGeneration = validator(GenerationUpdated);

/** Turns an event from TASKS or CONTENT into the protocol message, or undefined when it is not one. */
export function toStatusEvent(event: unknown): StatusEvent | undefined {
  if (isProgress.check(event)) {
    const d = event.data;
    return {
      accountId: event.accountId,
      generationId: d.generationId,
      taskId: d.taskId,
      message: { type: 'job_progress', job_id: d.taskId, generation_id: d.generationId, stage: d.stage, progress: d.percent, message: d.message, eta_seconds: d.etaSeconds },
    };
  }
  if (isTaskStatus.check(event)) {
    const d = event.data;
    return {
      accountId: event.accountId,
      generationId: d.generationId,
      taskId: d.taskId,
      message: { type: 'job_status', kind: 'task', job_id: d.taskId, generation_id: d.generationId, status: { status: d.status, attempt: d.attempt, error: d.error, output: d.output } },
    };
  }
  if (isGeneration.check(event)) {
    return { accountId: event.accountId, generationId: event.data.id, taskId: null, message: generationStatusMessage(event.data) };
  }
  return undefined;
}

export function generationStatusMessage(view: GenerationUpdated['data']): Record<string, unknown> {
  return { type: 'job_status', kind: 'generation', job_id: view.id, status: view };
}

/** The streams and filters the gateway reads status from (each instance reads them all itself). */
export const STATUS_SOURCES = [
  { stream: STREAMS.TASKS.name, filter: filters.allTasks },
  { stream: STREAMS.CONTENT.name, filter: filters.generations },
] as const;
