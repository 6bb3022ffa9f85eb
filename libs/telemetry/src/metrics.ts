import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/**
 * One service's Prometheus metrics: its own registry (no global one, so several services can share
 * a process in tests), Node's default process metrics, and every metric labelled with the service.
 * Gauges whose value lives elsewhere (a table, a JetStream consumer) are read when scraped.
 */
export interface Metrics {
  registry: Registry;
  counter<L extends string>(name: string, help: string, labels: readonly L[]): Counter<L>;
  histogram<L extends string>(name: string, help: string, labels: readonly L[], buckets: number[]): Histogram<L>;
  /** A gauge set by `collect` at each scrape; a failing collect leaves the gauge empty and is reported once per scrape. */
  gaugeFrom<L extends string>(
    name: string,
    help: string,
    labels: readonly L[],
    collect: (set: (labels: Partial<Record<L, string>>, value: number) => void) => Promise<void>,
  ): Gauge<L>;
  /** The exposition text and its content type. */
  scrape(): Promise<{ contentType: string; body: string }>;
}

export function createMetrics(service: string, onCollectError?: (metric: string, err: unknown) => void): Metrics {
  const registry = new Registry();
  registry.setDefaultLabels({ service });
  collectDefaultMetrics({ register: registry, prefix: 'reelforge_' });
  return {
    registry,
    counter: (name, help, labels) => new Counter({ name, help, labelNames: labels, registers: [registry] }),
    histogram: (name, help, labels, buckets) =>
      new Histogram({ name, help, labelNames: labels, buckets, registers: [registry] }),
    gaugeFrom: (name, help, labels, collect) =>
      new Gauge({
        name,
        help,
        labelNames: labels,
        registers: [registry],
        async collect() {
          this.reset();
          try {
            await collect((l, v) => this.set(l, v));
          } catch (err) {
            onCollectError?.(name, err);
          }
        },
      }),
    scrape: async () => ({ contentType: registry.contentType, body: await registry.metrics() }),
  };
}

/**
 * `load`, shared by the gauges of one scrape: calls within `ms` of the first get its answer, so
 * several gauges read from one JetStream or database answer. A failed load is not kept.
 */
export function perScrape<T>(load: () => Promise<T>, ms = 500): () => Promise<T> {
  let last: { at: number; value: Promise<T> } | undefined;
  return () => {
    const now = performance.now();
    if (!last || now - last.at > ms) {
      const value = load();
      last = { at: now, value };
      value.catch(() => (last = undefined));
    }
    return last.value;
  };
}
