import type { MikroORM } from '@reelforge/persistence';
import type { Metrics } from '@reelforge/telemetry';

/** What the pipeline reports about each clip it renders. */
export type ObserveClipRender = (wallSeconds: number, clipSeconds: number) => void;

/**
 * The repurposer's own metrics: tasks by status and stage (read from its table when scraped), and
 * each clip's render wall time and ffmpeg speed (clip seconds per wall second, 1 = real time).
 */
export function registerRepurposerMetrics(metrics: Metrics, orm: MikroORM, schema: string): ObserveClipRender {
  metrics.gaugeFrom('reelforge_tasks', 'Render tasks by status and stage', ['status', 'stage'], async (set) => {
    const rows = await orm.em
      .fork()
      .execute<{ status: string; stage: string; n: number }[]>(
        `select status, stage, count(*)::int as n from "${schema}".tasks group by status, stage`,
      );
    for (const r of rows) set({ status: r.status, stage: r.stage }, r.n);
  });
  const seconds = metrics.histogram(
    'reelforge_clip_render_seconds',
    'Wall time of one clip render (its ffmpeg command)',
    [],
    [1, 2, 5, 10, 20, 30, 60, 120, 300],
  );
  const speed = metrics.histogram(
    'reelforge_ffmpeg_speed_ratio',
    'Clip seconds rendered per wall second (× real time)',
    [],
    [0.25, 0.5, 1, 2, 4, 8, 16, 32],
  );
  return (wallSeconds, clipSeconds) => {
    seconds.observe(wallSeconds);
    if (wallSeconds > 0) speed.observe(clipSeconds / wallSeconds);
  };
}
