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
