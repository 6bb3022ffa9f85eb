/**
 * The parts of the gateway's answers the CLI reads (the full shapes are in the OpenAPI document,
 * /api/v1/openapi.json). A test checks that each is a subset of the gateway's own contract.
 */

export interface Account {
  id: string;
  name: string;
  timezone: string;
  createdAt: string;
}

export interface Upload {
  id: string;
  kind: 'video' | 'image';
  sizeBytes: number;
  durationSeconds: number | null;
  width: number;
  height: number;
}

export interface Source {
  id: string;
  accountId: string;
  url: string;
  state: 'available' | 'reserved' | 'used' | 'failed';
}

export type GenerationStatus = 'queuing' | 'processing' | 'completed' | 'partially_failed' | 'failed' | 'cancelled';

export interface GenerationCounters {
  totalRequested: number;
  queued: number;
  processing: number;
  completed: number;
  failed: number;
  cancelled: number;
}

export interface Generation {
  id: string;
  accountId: string;
  contentType: string;
  status: GenerationStatus;
  counters: GenerationCounters;
  taskIds: string[];
}

export interface StartedGeneration {
  generation: Generation;
  shortBy: number;
}

export const TASK_STATUSES = ['queued', 'processing', 'cancelling', 'completed', 'failed', 'cancelled'] as const;
export type TaskStatus = (typeof TASK_STATUSES)[number];

export interface Task {
  id: string;
  accountId: string;
  generationId: string | null;
  status: TaskStatus;
  stage: string;
  percent: number;
  attempt: number;
  series: number;
  error: { code: string; message: string } | null;
  createdAt: string;
}

export interface Content {
  id: string;
  taskId: string;
  sizeBytes: number;
}

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

export const TERMINAL_GENERATION: readonly GenerationStatus[] = [
  'completed',
  'partially_failed',
  'failed',
  'cancelled',
];
export const TERMINAL_TASK: readonly TaskStatus[] = ['completed', 'failed', 'cancelled'];
