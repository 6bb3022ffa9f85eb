import type { MikroORM } from '@reelforge/persistence';
import type { Metrics } from '@reelforge/telemetry';

/** Job results from the run ledger, read when scraped: runs of the last day by status, and each job's last success. */
export function registerJobMetrics(metrics: Metrics, orm: MikroORM, schema: string): void {
  metrics.gaugeFrom(
    'reelforge_scheduler_job_runs',
    'Job runs started in the last 24 hours, by job and status',
    ['job', 'status'],
    async (set) => {
      const rows = await orm.em.fork().execute<{ job: string; status: string; n: number }[]>(
        `select job, status, count(*)::int as n from "${schema}".job_runs
          where started_at > now() - interval '24 hours' group by job, status`,
      );
      for (const r of rows) set({ job: r.job, status: r.status }, r.n);
    },
  );
  metrics.gaugeFrom(
    'reelforge_scheduler_last_success_timestamp_seconds',
    'When each job last finished successfully (Unix time)',
    ['job'],
    async (set) => {
      const rows = await orm.em.fork().execute<{ job: string; at: string }[]>(
        `select job, extract(epoch from max(finished_at)) as at from "${schema}".job_runs
          where status = 'succeeded' group by job`,
      );
      for (const r of rows) set({ job: r.job }, Number(r.at));
    },
  );
}
