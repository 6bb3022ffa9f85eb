import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { subjects, uuidv7, type Envelope } from '@reelforge/contracts';
import { deferred, memoryLogger } from '@reelforge/testing';
import { createProgressReporter } from '../../src/tasks/progress-reporter.ts';
import { createServiceHarness, type ServiceHarness } from '../support/service-harness.ts';

interface Progress {
  stage: string;
  percent: number;
  message: string;
}

// The progress events a task's watchers get, through the real NATS: steps of a clip that overlap
// (the loudness pass runs while face tracking does) report out of order, and the percent clients
// see must still never go back within a stage.
describe('progress reporter', () => {
  let svc: ServiceHarness;
  beforeAll(async () => {
    svc = await createServiceHarness();
    // A booted repurposer has created the TASKS stream the progress goes to.
    await (await svc.boot()).stop();
  });
  afterAll(async () => {
    await svc?.close();
  });

  it('never sends a lower percent within a stage, and always sends a milestone', async () => {
    const accountId = uuidv7();
    const got: Progress[] = [];
    const all = deferred();
    const sub = svc.m.nc.subscribe(svc.m.subject(subjects.taskProgress(accountId)), {
      callback: (_err, msg) => {
        got.push((msg.json() as Envelope<'task.progress.v1', Progress>).data);
        if (got.length === 4) all.resolve();
      },
    });
    const report = createProgressReporter({
      m: svc.m,
      service: 'test',
      accountId,
      taskId: uuidv7(),
      generationId: null,
      log: memoryLogger('test').log,
      minIntervalMs: 0,
    });
    report('rendering', 10, 'measuring loudness');
    report('rendering', 8, 'clip 1 of 1: reframe: track (…)', null, { milestone: true });
    report('rendering', 9, 'an older step, nothing new');
    report('rendering', 30, 'rendering clip 1 of 1 (30%)');
    report('uploading', 5, 'storing 1 clip(s)');
    await all.promise;
    sub.unsubscribe();
    expect(got.map((p) => [p.stage, p.percent, p.message])).toEqual([
      ['rendering', 10, 'measuring loudness'],
      ['rendering', 10, 'clip 1 of 1: reframe: track (…)'],
      ['rendering', 30, 'rendering clip 1 of 1 (30%)'],
      ['uploading', 5, 'storing 1 clip(s)'],
    ]);
  });
});
