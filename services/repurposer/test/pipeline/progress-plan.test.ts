import { describe, expect, it } from 'vitest';
import { createProgressPlan } from '../../src/pipeline/progress-plan.ts';

describe('progress plan', () => {
  it('weights items by cost between 7 % and 95 %, and measures the ETA from the speed so far', () => {
    let t = 0;
    const plan = createProgressPlan(
      [
        { key: 'analysis', cost: 1 },
        { key: 'clip-0', cost: 3 },
      ],
      { now: () => t },
    );
    expect(plan.at('analysis', 0)).toEqual({ percent: 7, etaSeconds: null });
    t = 10_000; // 10 s for the analysis: a quarter of the work
    expect(plan.at('analysis', 1)).toEqual({ percent: 29, etaSeconds: 30 });
    t = 25_000;
    expect(plan.at('clip-0', 0.5)).toEqual({ percent: 62, etaSeconds: 15 });
    expect(plan.at('clip-0', 1).percent).toBe(95);
  });

  it('a re-plan keeps the first plan start, so time spent before it counts in the speed', () => {
    let t = 0;
    const first = createProgressPlan(
      [
        { key: 'analysis', cost: 1 },
        { key: 'render', cost: 1 },
      ],
      { now: () => t },
    );
    first.at('analysis', 0);
    t = 20_000;
    const second = createProgressPlan(
      [
        { key: 'analysis', cost: 1 },
        { key: 'clip-0', cost: 1 },
      ],
      { now: () => t, startedAt: first.startedAt! },
    );
    // Half done after 20 s: 20 s to go (a fresh clock would have said nothing or ~0).
    expect(second.at('clip-0', 0).etaSeconds).toBe(20);
  });
});
