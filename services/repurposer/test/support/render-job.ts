import { makeEnvelope, uuidv7, type RenderJobRequested } from '@reelforge/contracts';

/** A render job for a fresh task of `ownerId`, as the orchestrator would send it (no generation, no source row). */
export const renderJob = (ownerId: string, accountId = uuidv7()): RenderJobRequested =>
  makeEnvelope('render.job.requested.v1', 'test', accountId, {
    taskId: uuidv7(),
    generationId: null,
    sourceId: null,
    sourceUrl: 'https://v.example/a.mp4',
    contentType: 'shorts',
    options: {},
    ownerId,
  });
