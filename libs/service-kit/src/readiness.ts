/** A named dependency check: resolves when the dependency answers, rejects with why it does not. */
export type ReadinessCheck = () => Promise<void>;

export interface ReadinessReport {
  ready: boolean;
  checks: Record<string, { ok: boolean; error?: string; ms: number }>;
}

/** Runs every check in parallel, each bounded by `timeoutMs`, and reports each by name. */
export async function runReadiness(checks: Record<string, ReadinessCheck>, timeoutMs = 2000): Promise<ReadinessReport> {
  type Entry = readonly [string, ReadinessReport['checks'][string]];
  const entries = await Promise.all(
    Object.entries(checks).map(async ([name, check]): Promise<Entry> => {
      const started = performance.now();
      let timer: NodeJS.Timeout | undefined;
      try {
        await Promise.race([
          check(),
          new Promise((_, reject) => {
            timer = setTimeout(() => reject(new Error(`no answer in ${timeoutMs} ms`)), timeoutMs);
          }),
        ]);
        return [name, { ok: true, ms: Math.round(performance.now() - started) }] as const;
      } catch (err) {
        return [
          name,
          {
            ok: false,
            error: err instanceof Error ? err.message : String(err),
            ms: Math.round(performance.now() - started),
          },
        ] as const;
      } finally {
        clearTimeout(timer);
      }
    }),
  );
  const checksOut: ReadinessReport['checks'] = Object.fromEntries(entries);
  return { ready: entries.every(([, r]) => r.ok), checks: checksOut };
}
