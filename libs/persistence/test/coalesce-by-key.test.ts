import { describe, expect, it } from 'vitest';
import { coalesceByKey } from '@reelforge/persistence';

// The group-commit helper: the orchestrator folds a generation's events with it, the repurposer writes stages with it.
describe('coalesceByKey', () => {
  function recorder(fails: (item: number) => boolean = () => false) {
    const calls: { key: string; items: number[] }[] = [];
    let release!: () => void;
    let held = new Promise<void>((r) => (release = r));
    const run = async (key: string, items: number[]) => {
      calls.push({ key, items });
      await held;
      if (items.some(fails)) throw new Error(`bad item in ${items.join(',')}`);
      return items.map((n) => n * 10);
    };
    const submit = coalesceByKey<number, number>({
      runOne: async (key, item) => (await run(key, [item]))[0]!,
      runBatch: run,
      maxBatch: 3,
    });
    return {
      calls,
      submit,
      open: () => {
        release();
        held = Promise.resolve();
      },
    };
  }

  it('runs the first item at once and gathers the ones that arrive meanwhile, per key, up to the batch size', async () => {
    const r = recorder();
    const all = [
      r.submit('g1', 1),
      r.submit('g1', 2),
      r.submit('g2', 10),
      r.submit('g1', 3),
      r.submit('g1', 4),
      r.submit('g1', 5),
    ];
    r.open();
    expect(await Promise.all(all)).toEqual([10, 20, 100, 30, 40, 50]);
    expect(r.calls).toEqual([
      { key: 'g1', items: [1] },
      { key: 'g2', items: [10] },
      { key: 'g1', items: [2, 3, 4] },
      { key: 'g1', items: [5] },
    ]);
  });

  it('runs a failed batch again item by item: only the bad item fails', async () => {
    const r = recorder((item) => item === 3);
    const first = r.submit('g', 1);
    const rest = [2, 3, 4].map((n) =>
      r.submit('g', n).then(
        (result) => `ok ${result}`,
        (err: Error) => err.message,
      ),
    );
    r.open();
    await first;
    expect(await Promise.all(rest)).toEqual(['ok 20', 'bad item in 3', 'ok 40']);
    expect(r.calls.map((c) => c.items)).toEqual([[1], [2, 3, 4], [2], [3], [4]]);
  });
});
