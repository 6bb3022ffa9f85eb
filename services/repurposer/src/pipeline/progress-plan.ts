/** A unit of long work (the analysis pass, one clip's render) with its estimated cost. */
export interface WorkItem {
  key: string;
  cost: number;
}

// Fixed bands for the quick stages; the long ones share what is between them by estimated cost.
const LONG_FROM = 7;
const LONG_TO = 95;

/**
 * Maps "item k is x % done" to the task's overall percent and an ETA. Items are weighted by
 * estimated cost (seconds of media × pixels), so one long clip moves the bar more than a short
 * one; the ETA comes from the speed measured so far over the long stages, not from the estimate.
 */
export function createProgressPlan(items: WorkItem[], o: { now?: () => number; startedAt?: number } = {}) {
  const now = o.now ?? (() => performance.now());
  const total = items.reduce((sum, i) => sum + i.cost, 0) || 1;
  const startOf = new Map<string, number>();
  let acc = 0;
  for (const item of items) {
    startOf.set(item.key, acc / total);
    acc += item.cost;
  }
  const costOf = new Map(items.map((i) => [i.key, i.cost / total]));
  // A re-plan (once the segments are known) passes the first plan's start, so the ETA's speed covers all the long work.
  let startedAt: number | undefined = o.startedAt;

  return {
    /** When the long work began (the first `at` call), for a re-plan. */
    get startedAt() {
      return startedAt;
    },
    /** Overall percent and seconds left when item `key` is `fraction` done. */
    at: (key: string, fraction: number): { percent: number; etaSeconds: number | null } => {
      startedAt ??= now();
      const done = (startOf.get(key) ?? 0) + (costOf.get(key) ?? 0) * Math.min(1, Math.max(0, fraction));
      const elapsed = (now() - startedAt) / 1000;
      // Too early to measure a speed: say nothing rather than something wild.
      const etaSeconds = done > 0.02 && elapsed > 0.5 ? (elapsed / done) * (1 - done) : null;
      return { percent: Math.round((LONG_FROM + (LONG_TO - LONG_FROM) * done) * 10) / 10, etaSeconds };
    },
  };
}

/** Percent bands of the quick stages around the long ones. */
export const QUICK_STAGES = { downloading: 0, probing: 5, transcribing: 6, uploading: LONG_TO } as const;
