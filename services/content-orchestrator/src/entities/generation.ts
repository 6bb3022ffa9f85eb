import { defineEntity, p, type InferEntity } from '@mikro-orm/core';

/** One request for N pieces of content; counters are recomputed from its tasks, never incremented. */
export const Generation = defineEntity({
  name: 'Generation',
  tableName: 'generations',
  properties: {
    id: p.uuid().primary(),
    accountId: p.uuid(),
    contentType: p.string(),
    status: p.string(),
    totalRequested: p.integer(),
    queued: p.integer(),
    processing: p.integer(),
    completed: p.integer(),
    failed: p.integer(),
    cancelled: p.integer(),
    options: p.json<Record<string, unknown>>(),
    createdAt: p.datetime(),
    updatedAt: p.datetime(),
    finishedAt: p.datetime().nullable(),
    cancelRequestedAt: p.datetime().nullable(),
  },
});
export type Generation = InferEntity<typeof Generation>;

/** The orchestrator's view of one task of a generation (the repurposer owns the task itself). */
export const GenerationTask = defineEntity({
  name: 'GenerationTask',
  tableName: 'generation_tasks',
  properties: {
    taskId: p.uuid().primary(),
    generationId: p.uuid(),
    sourceId: p.uuid(),
    status: p.string(),
    series: p.integer(),
    errorCode: p.string().nullable(),
    updatedAt: p.datetime(),
  },
});
export type GenerationTask = InferEntity<typeof GenerationTask>;

/** At most one running generation per account + content type: the primary key is the lock. */
export const GenerationLock = defineEntity({
  name: 'GenerationLock',
  tableName: 'generation_locks',
  properties: {
    accountId: p.uuid().primary(),
    contentType: p.string().primary(),
    generationId: p.uuid(),
    acquiredAt: p.datetime(),
    expiresAt: p.datetime(),
  },
});
export type GenerationLock = InferEntity<typeof GenerationLock>;
