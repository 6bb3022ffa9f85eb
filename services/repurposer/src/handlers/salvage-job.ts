import { UUID_PATTERN, type RenderJobRequested } from '@reelforge/contracts';

const uuid = new RegExp(UUID_PATTERN);
const isUuid = (v: unknown): v is string => typeof v === 'string' && uuid.test(v);
const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const text = (v: unknown, fallback: string, max: number): string =>
  typeof v === 'string' && v.length > 0 ? v.slice(0, max) : fallback;

/**
 * What can be read of a render job that failed validation, so its task can still be closed as
 * failed: undefined unless it names a task id and an account id (both UUIDs). The rest is taken
 * where it has the right type, else left empty; the result is only used to record the failure (a
 * manual retry of such a task is rejected again by validation).
 */
export function salvageJob(event: unknown): RenderJobRequested | undefined {
  if (!isRecord(event) || !isRecord(event.data)) return undefined;
  const { data } = event;
  if (!isUuid(data.taskId) || !isUuid(event.accountId)) return undefined;
  const ownerId =
    typeof data.ownerId === 'string' && data.ownerId.length > 0 && data.ownerId.length <= 200
      ? data.ownerId
      : undefined;
  return {
    id: isUuid(event.id) ? event.id : data.taskId,
    type: 'render.job.requested.v1',
    occurredAt: text(event.occurredAt, new Date().toISOString(), 64),
    source: text(event.source, 'unknown', 200),
    accountId: event.accountId,
    data: {
      taskId: data.taskId,
      generationId: isUuid(data.generationId) ? data.generationId : null,
      sourceId: isUuid(data.sourceId) ? data.sourceId : null,
      sourceUrl: text(data.sourceUrl, '', 4096),
      contentType: text(data.contentType, 'unknown', 64),
      options: {},
      ...(ownerId ? { ownerId } : {}),
    },
  };
}
