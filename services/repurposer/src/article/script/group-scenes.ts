/**
 * Splits items (sentences, in order) into exactly `scenes` runs of one or two, keeping scenes even:
 * the split with the smallest sum of squared scene weights (weights are word counts, so scenes last
 * about as long as each other). `fits(from, to)` says whether items[from..to) may share a scene (a
 * narration length limit). Returns run lengths, or null when no split fits. Ties keep the first
 * split found (singles before pairs, earliest first), so the result is stable.
 */
export function groupEvenly(
  weights: number[],
  scenes: number,
  fits: (from: number, to: number) => boolean,
): number[] | null {
  const n = weights.length;
  if (scenes < Math.ceil(n / 2) || scenes > n) return null;
  // cost[i][k]: best cost of the first i items in k scenes; step[i][k]: size of the last run.
  const cost = Array.from({ length: n + 1 }, () => new Array<number>(scenes + 1).fill(Infinity));
  const step = Array.from({ length: n + 1 }, () => new Array<number>(scenes + 1).fill(0));
  cost[0]![0] = 0;
  for (let i = 1; i <= n; i++) {
    for (let k = 1; k <= scenes; k++) {
      for (const size of [1, 2]) {
        if (i - size < 0 || !fits(i - size, i)) continue;
        const prev = cost[i - size]![k - 1]!;
        const w = weights.slice(i - size, i).reduce((a, b) => a + b, 0);
        const c = prev + w * w;
        if (c < cost[i]![k]!) {
          cost[i]![k] = c;
          step[i]![k] = size;
        }
      }
    }
  }
  if (cost[n]![scenes] === Infinity) return null;
  const runs: number[] = [];
  for (let i = n, k = scenes; k > 0; k--) {
    const size = step[i]![k]!;
    runs.unshift(size);
    i -= size;
  }
  return runs;
}
