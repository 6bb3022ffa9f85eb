// Drives a job system from the producer's side and measures what the producer sees: jobs whose
// completion it has observed per second, and each job's latency from its send to that moment.

/** Called once per job when the producer sees it completed; `at` (performance.now()) when seen earlier than the call. */
export type Done = (at?: number) => void;

/** One way of running the job lifecycle (add → worker → progress → completion seen by the producer). */
export interface JobTarget {
  /** Submits `size` jobs as one request (an add or addBulk, a batch of publishes, one generation); resolves once accepted. */
  submit(size: number, done: Done): Promise<void>;
}

export interface LoadFigures {
  jobs: number;
  /** Jobs whose completion the producer saw, per second, from the first send to the last completion seen. */
  perSecond: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  /** Jobs not seen completed by the deadline (their latency counted as the deadline: a lower bound). */
  missing: number;
  /** Jobs the target refused (its add failed, e.g. a 503 under overload); counted in `missing` too. */
  refused: number;
  /** The first refusal's reason. */
  refusal: string | null;
}

/** Nearest-rank percentile of ascending `sorted`. */
export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

/** Collects latencies and resolves once `total` jobs are seen, or at the deadline with what was seen. */
class Tally {
  readonly latencies: number[] = [];
  last = 0;
  private resolve!: () => void;
  readonly all = new Promise<void>((resolve) => {
    this.resolve = resolve;
  });
  readonly total: number;
  constructor(total: number) {
    this.total = total;
  }

  refused = 0;
  refusal: string | null = null;

  /**
   * A send failed: an overloaded system that refuses work is a result, not a broken run. The job
   * is counted as refused (and missing); once every job is seen or refused, the run is over.
   */
  refuse(err: unknown): void {
    this.refused++;
    this.refusal ??= err instanceof Error ? err.message : String(err);
    if (this.latencies.length + this.refused === this.total) this.resolve();
  }

  doneFor(sentAt: number): Done {
    return (at = performance.now()) => {
      this.latencies.push(at - sentAt);
      this.last = Math.max(this.last, at);
      if (this.latencies.length + this.refused === this.total) this.resolve();
    };
  }

  async figures(start: number, timeoutMs: number): Promise<LoadFigures> {
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<void>((r) => (timer = setTimeout(r, timeoutMs)));
    await Promise.race([this.all, deadline]);
    clearTimeout(timer);
    const missing = this.total - this.latencies.length;
    const end = missing ? performance.now() : this.last;
    // Jobs never seen count at the deadline, so a stall shows in the percentiles instead of vanishing.
    const sorted = [...this.latencies, ...Array<number>(missing).fill(end - start)].sort((a, b) => a - b);
    return {
      jobs: this.total,
      perSecond: this.latencies.length / ((end - start) / 1000),
      p50Ms: percentile(sorted, 50),
      p99Ms: percentile(sorted, 99),
      maxMs: sorted[sorted.length - 1] ?? NaN,
      missing,
      refused: this.refused,
      refusal: this.refusal,
    };
  }
}

/**
 * Closed loop: `total` jobs sent as fast as the target accepts them, in requests of `chunk`, at
 * most `inFlight` requests at a time. Latency runs from the start of a job's request, so it
 * includes the wait behind the backlog this burst builds: it says how long a burst takes to drain.
 */
export async function runBurst(
  target: JobTarget,
  total: number,
  options: { chunk: number; inFlight: number; timeoutMs: number },
): Promise<LoadFigures> {
  const tally = new Tally(total);
  const start = performance.now();
  let next = 0;
  const sender = async () => {
    while (next < total) {
      const size = Math.min(options.chunk, total - next);
      next += size;
      const done = tally.doneFor(performance.now());
      await target.submit(size, done).catch((err: unknown) => {
        for (let k = 0; k < size; k++) tally.refuse(err);
      });
    }
  };
  await Promise.all(Array.from({ length: options.inFlight }, sender));
  return tally.figures(start, options.timeoutMs);
}

/**
 * Open loop: one job every 1/`rate` s for `seconds`, each sent at its scheduled time whether or not
 * earlier ones are done, its latency measured from that scheduled time. A producer (or target)
 * that falls behind schedule is counted against the latency, not hidden (no coordinated omission).
 */
export async function runOpenLoop(
  target: JobTarget,
  options: { rate: number; seconds: number; timeoutMs: number },
): Promise<LoadFigures> {
  const total = Math.round(options.rate * options.seconds);
  const tally = new Tally(total);
  const interval = 1000 / options.rate;
  const start = performance.now();
  for (let i = 0; i < total;) {
    const now = performance.now();
    // Everything due by now goes out at once: a late timer does not shift the schedule.
    for (; i < total && start + i * interval <= now; i++)
      target.submit(1, tally.doneFor(start + i * interval)).catch((err: unknown) => tally.refuse(err));
    if (i < total) await new Promise((r) => setTimeout(r, Math.max(0, start + i * interval - performance.now())));
  }
  return tally.figures(start, options.timeoutMs);
}
