import { describe, expect, it } from 'vitest';
import {
  makeEnvelope,
  type BacklogItemClaimed,
  type GenerationUpdated,
  type TaskStatusChanged,
} from '@reelforge/contracts';
import { fromBacklogClaim, fromGeneration, fromTaskStatus } from '../src/notifications/from-event.ts';

const ACCOUNT = '0190a0c0-0000-7000-8000-0000000000aa';
const GEN = '0190a0c0-0000-7000-8000-0000000000bb';
const TASK = '0190a0c0-0000-7000-8000-0000000000cc';

const generation = (status: GenerationUpdated['data']['status'], ownerId?: string): GenerationUpdated =>
  makeEnvelope('content.generation.updated.v1', 'test', ACCOUNT, {
    id: GEN,
    accountId: ACCOUNT,
    contentType: 'shorts',
    status,
    counters: { totalRequested: 2, queued: 0, processing: 0, completed: 1, failed: 1, cancelled: 0 },
    taskIds: [],
    createdAt: new Date(0).toISOString(),
    finishedAt: null,
    ...(ownerId ? { ownerId } : {}),
  });

const task = (
  status: TaskStatusChanged['data']['status'],
  generationId: string | null,
  ownerId?: string,
): TaskStatusChanged =>
  makeEnvelope('task.status.v1', 'test', ACCOUNT, {
    taskId: TASK,
    generationId,
    status,
    attempt: 1,
    error: status === 'failed' ? { code: 'INVALID_INPUT', message: 'not a video', retryable: false } : null,
    output: null,
    ...(ownerId ? { ownerId } : {}),
  });

const claim = (ownerId: string, creditsCharged: number): BacklogItemClaimed =>
  makeEnvelope('backlog.item.claimed.v1', 'test', ACCOUNT, {
    claimId: '0190a0c0-0000-7000-8000-0000000000dd',
    recipeId: '0190a0c0-0000-7000-8000-0000000000ee',
    recipeName: 'Calm shorts',
    generationId: GEN,
    accountId: ACCOUNT,
    ownerId,
    creditsCharged,
    claimedAt: new Date(0).toISOString(),
  });

describe('which facts notify whom', () => {
  it('a generation that ended notifies its owner; an open one or one without an owner nobody', () => {
    expect(fromGeneration(generation('partially_failed', 'alice'))).toMatchObject({
      ownerId: 'alice',
      kind: 'generation.partially_failed',
      subjectId: GEN,
      accountId: ACCOUNT,
      message: expect.stringContaining('1 of 2 clips made, 1 failed'),
    });
    for (const s of ['completed', 'failed', 'cancelled'] as const)
      expect(fromGeneration(generation(s, 'alice'))?.kind).toBe(`generation.${s}`);
    expect(fromGeneration(generation('processing', 'alice'))).toBeUndefined();
    expect(fromGeneration(generation('completed'))).toBeUndefined();
  });

  it('a failed task outside generations notifies its owner when the fact names one', () => {
    expect(fromTaskStatus(task('failed', null, 'bob'))).toMatchObject({
      ownerId: 'bob',
      kind: 'task.failed',
      subjectId: TASK,
      message: expect.stringContaining('INVALID_INPUT'),
    });
    expect(fromTaskStatus(task('failed', GEN, 'bob'))).toBeUndefined(); // told as its generation's end
    expect(fromTaskStatus(task('completed', null, 'bob'))).toBeUndefined();
    expect(fromTaskStatus(task('failed', null))).toBeUndefined();
  });

  it('an instant claim tells the claimer what is ready and what it cost; the owner stays out of the data', () => {
    const draft = fromBacklogClaim(claim('carol', 5));
    expect(draft).toMatchObject({
      ownerId: 'carol',
      kind: 'backlog.item.claimed',
      subjectId: GEN,
      accountId: ACCOUNT,
      message: 'Your instant "Calm shorts" video is ready for 5 credits.',
    });
    expect(draft?.data).not.toHaveProperty('ownerId');
    expect(draft?.data).toMatchObject({ generationId: GEN, recipeName: 'Calm shorts', creditsCharged: 5 });
    expect(fromBacklogClaim(claim('carol', 1))?.message).toBe(
      'Your instant "Calm shorts" video is ready for 1 credit.',
    );
    expect(fromBacklogClaim(claim('carol', 0))?.message).toBe('Your instant "Calm shorts" video is ready.');
    expect(fromBacklogClaim(claim('reelforge:backlog', 5))).toBeUndefined();
  });
});
