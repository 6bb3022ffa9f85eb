import { describe, expect, it } from 'vitest';
import { makeEnvelope, uuidv7 } from '@reelforge/contracts';
import { toStatusEvent } from '../src/live/status-event.ts';
import { parseStatusFact } from '../src/live/status-fact.ts';

const account = uuidv7();
const taskId = uuidv7();
const progress = () =>
  makeEnvelope('task.progress.v1', 'repurposer', account, {
    taskId,
    generationId: null,
    stage: 'rendering',
    percent: 40,
    message: 'rendering clip 1 of 2',
    etaSeconds: 12,
    attempt: 1,
  });
const status = () =>
  makeEnvelope('task.status.v1', 'repurposer', account, {
    taskId,
    generationId: null,
    status: 'completed',
    attempt: 1,
    series: 0,
    error: null,
    output: null,
  });
const at = { stream: 'TASKS' as const, seq: 7 };

// The one parse every status message gets in the gateway: by its type, leniently, and nothing else.
describe('parseStatusFact', () => {
  it('reads a progress and a status fact by their type, and the fan-out turns each into its message', () => {
    const p = progress();
    expect(parseStatusFact(p)).toEqual({ kind: 'progress', event: p });
    expect(toStatusEvent(parseStatusFact(p), at)?.message).toMatchObject({
      type: 'job_progress',
      job_id: taskId,
      progress: 40,
    });
    const s = status();
    expect(parseStatusFact(s)).toEqual({ kind: 'status', event: s });
    expect(toStatusEvent(parseStatusFact(s), at)?.message).toMatchObject({
      type: 'job_status',
      job_id: taskId,
      status: { status: 'completed', attempt: 1 },
    });
  });

  it("drops a newer producer's extra field without touching the message it came in", () => {
    const p = { ...progress(), data: { ...progress().data, speaker: 'left' }, route: 'edge' };
    const fact = parseStatusFact(p);
    expect(fact?.kind).toBe('progress');
    expect(fact?.event.data).not.toHaveProperty('speaker');
    expect(fact?.event).not.toHaveProperty('route');
    expect(p.data.speaker).toBe('left');
  });

  it('is nothing for an unknown type, a fact that breaks its schema, or no object at all', () => {
    expect(parseStatusFact({ ...progress(), type: 'task.progress.v2' })).toBeUndefined();
    // A progress body under the status type: checked against the status schema alone, and refused.
    expect(parseStatusFact({ ...progress(), type: 'task.status.v1' })).toBeUndefined();
    expect(parseStatusFact({ ...progress(), data: { ...progress().data, percent: 'forty' } })).toBeUndefined();
    for (const raw of [undefined, null, 'task.progress.v1', 42, []]) expect(parseStatusFact(raw)).toBeUndefined();
    expect(toStatusEvent(undefined, at)).toBeUndefined();
  });
});
