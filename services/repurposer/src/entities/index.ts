import { defineEntity, p, type InferEntity } from '@mikro-orm/core';

/** A render task: one source → clips. Created from its render job; the job's task id is the key. */
export const Task = defineEntity({
  name: 'Task',
  tableName: 'tasks',
  properties: {
    id: p.uuid().primary(),
    accountId: p.uuid(),
    generationId: p.uuid().nullable(),
    sourceId: p.uuid().nullable(),
    sourceUrl: p.text(),
    contentType: p.string(),
    options: p.json<Record<string, unknown>>(),
    status: p.string(),
    stage: p.string(),
    percent: p.double(),
    attempt: p.integer(),
    series: p.integer(),
    errorCode: p.string().nullable(),
    errorMessage: p.text().nullable(),
    createdAt: p.datetime(),
    startedAt: p.datetime().nullable(),
    finishedAt: p.datetime().nullable(),
    updatedAt: p.datetime(),
  },
});
export type Task = InferEntity<typeof Task>;

/** One attempt at a task: when it ran and how it ended. */
export const TaskAttempt = defineEntity({
  name: 'TaskAttempt',
  tableName: 'task_attempts',
  properties: {
    taskId: p.uuid().primary(),
    attempt: p.integer().primary(),
    startedAt: p.datetime(),
    finishedAt: p.datetime().nullable(),
    errorCode: p.string().nullable(),
    errorMessage: p.text().nullable(),
  },
});
export type TaskAttempt = InferEntity<typeof TaskAttempt>;

/** A finished clip in the media store; (task, clip index) is unique, so a re-run never duplicates it. */
export const GeneratedContent = defineEntity({
  name: 'GeneratedContent',
  tableName: 'generated_content',
  properties: {
    id: p.uuid().primary(),
    taskId: p.uuid(),
    accountId: p.uuid(),
    clipIndex: p.integer(),
    mediaKey: p.text(),
    durationSeconds: p.double(),
    sizeBytes: p.bigint('number'),
    width: p.integer(),
    height: p.integer(),
    checksumSha256: p.string(),
    segment: p.json<{ start: number; end: number }[]>(),
    score: p.double().nullable(),
    reason: p.text(),
    captioned: p.boolean(),
    title: p.text().nullable(),
    thumbnailKey: p.text().nullable(),
    createdAt: p.datetime(),
  },
});
export type GeneratedContent = InferEntity<typeof GeneratedContent>;

export const entities = [Task, TaskAttempt, GeneratedContent];
