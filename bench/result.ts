/** One measured figure next to its baseline from the same run. `ratio = ours / baseline`. */
export interface BenchResult {
  name: string;
  unit: string;
  ours: number;
  baseline: number;
  baselineName: string;
  /** true: higher is better (throughput); false: lower is better (time). */
  higherIsBetter: boolean;
  decimals?: number;
  notes?: string;
}

/** The spread of one benchmark's ratio over repeated runs. */
export interface RatioSpread {
  name: string;
  runs: number;
  min: number;
  median: number;
  max: number;
}

/** Min, median and max of `ours / baseline` per benchmark name, over the runs in `results`. */
export function ratioSpreads(results: readonly BenchResult[]): RatioSpread[] {
  const byName = new Map<string, number[]>();
  for (const r of results) byName.set(r.name, [...(byName.get(r.name) ?? []), r.ours / r.baseline]);
  return [...byName].map(([name, ratios]) => {
    const sorted = [...ratios].sort((a, b) => a - b);
    const mid = Math.floor(sorted.length / 2);
    const median = sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
    return { name, runs: sorted.length, min: sorted[0]!, median, max: sorted[sorted.length - 1]! };
  });
}
