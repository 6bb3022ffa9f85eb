import { GenerationUpdated, TaskProgress, TaskStatusChanged, lenientValidator } from '@reelforge/contracts';

/** A fact from TASKS or CONTENT the gateway acts on, parsed once for everything that reads it. */
export type StatusFact =
  | { kind: 'progress'; event: TaskProgress }
  | { kind: 'status'; event: TaskStatusChanged }
  | { kind: 'generation'; event: GenerationUpdated };

// Lenient: a fact from a newer producer with an extra field is still relayed (without that field).
const isProgress = lenientValidator(TaskProgress);
const isTaskStatus = lenientValidator(TaskStatusChanged);
const isGeneration = lenientValidator(GenerationUpdated);

/**
 * The fact in a parsed message, or undefined when it is none of these (or invalid). The envelope's
 * `type` picks the one schema to check: a lenient parse clones and cleans, and the read model and
 * the fan-out used to try each schema in turn, each on its own (a fifth of the gateway's CPU
 * during a burst of tasks).
 */
export function parseStatusFact(raw: unknown): StatusFact | undefined {
  const type = typeof raw === 'object' && raw !== null ? (raw as { type?: unknown }).type : undefined;
  switch (type) {
    case 'task.progress.v1': {
      const event = isProgress.parse(raw);
      return event && { kind: 'progress', event };
    }
    case 'task.status.v1': {
      const event = isTaskStatus.parse(raw);
      return event && { kind: 'status', event };
    }
    case 'content.generation.updated.v1': {
      const event = isGeneration.parse(raw);
      return event && { kind: 'generation', event };
    }
    default:
      return undefined;
  }
}
