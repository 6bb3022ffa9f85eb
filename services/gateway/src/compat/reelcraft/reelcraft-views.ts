import type { ContentView, TaskView } from '@reelforge/contracts';

/** ReelCraft's job statuses, from v1's task statuses (`cancelling` is still running there). */
export const JOB_STATUS: Record<TaskView['status'], string> = {
  queued: 'pending',
  processing: 'processing',
  cancelling: 'processing',
  completed: 'completed',
  failed: 'failed',
  cancelled: 'cancelled',
};

/** The v1 statuses each ReelCraft status stands for (its `GET /api/jobs?status=` filter). */
export const TASK_STATUSES: Record<string, TaskView['status'][]> = {
  pending: ['queued'],
  processing: ['processing', 'cancelling'],
  completed: ['completed'],
  failed: ['failed'],
  cancelled: ['cancelled'],
};

/** Its progress messages, by v1 article stage (the live `job_progress` carries the exact text). */
const STAGE_MESSAGE: Record<string, string> = {
  extracting: 'Extracting article content',
  scripting: 'Generating video script',
  voicing: 'Generating voice-over audio',
  fetching_assets: 'Downloading visual assets...',
  composing: 'Editing video with FFmpeg',
  finalizing: 'Finalizing video',
  completed: 'Video created successfully',
};

export function jobView(task: TaskView, videoId: string | null) {
  return {
    id: task.id,
    status: JOB_STATUS[task.status],
    progress: task.status === 'completed' ? 100 : Math.round(task.percent),
    progress_message: STAGE_MESSAGE[task.stage] ?? null,
    error_message: task.error?.message ?? null,
    video_id: videoId,
    created_at: task.createdAt,
    started_at: task.startedAt,
    completed_at: task.finishedAt,
  };
}

/** `file_path` is a signed media link: a `<video>` on another origin sends no credentials and no Origin. */
export function videoView(content: ContentView, filePath: string) {
  return {
    id: content.id,
    title: content.title ?? content.script?.title ?? '',
    source_url: content.sourceUrl ?? '',
    // Where the file is served (ReelCraft answered a path on its disk; clients only ever fetched it).
    file_path: filePath,
    duration: content.durationSeconds,
    size_mb: Math.round((content.sizeBytes / 1024 ** 2) * 100) / 100,
    created_at: content.createdAt,
  };
}

/**
 * The live-status protocol in ReelCraft's words (its "WebSocket Protocol"): the same messages with
 * its fields added (`message`, `job_id`), task statuses in its vocabulary with `video_id` and
 * `error_message`; generation messages, which it has no notion of, are not sent.
 */
export function reelcraftMessage(m: Record<string, unknown>): Record<string, unknown> | undefined {
  switch (m.type) {
    case 'connection':
      return { ...m, message: 'Connected to ReelCraft API' };
    case 'subscribed':
      return { ...m, job_id: m.id, message: `Subscribed to job ${String(m.id)}` };
    case 'job_status': {
      if (m.kind !== 'task') return undefined;
      const s = m.status as {
        status: TaskView['status'];
        progress?: number;
        error: { message: string } | null;
        output: { contentIds?: string[] } | null;
      };
      return {
        type: 'job_status',
        job_id: m.job_id,
        status: {
          id: m.job_id,
          status: JOB_STATUS[s.status],
          progress: s.status === 'completed' ? 100 : Math.round(s.progress ?? 0),
          video_id: s.output?.contentIds?.[0] ?? null,
          error_message: s.error?.message ?? null,
        },
        ...(m.snapshot ? { snapshot: true } : {}),
      };
    }
    default:
      return m;
  }
}
