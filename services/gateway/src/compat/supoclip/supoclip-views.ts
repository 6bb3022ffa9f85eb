import type { ContentView, TaskView } from '@reelforge/contracts';

/** SupoClip's granular status ("queued → downloading → transcribing → analyzing → generating_clips → completed"). */
const STAGE: Record<string, string> = {
  queued: 'queued',
  downloading: 'downloading',
  resolving: 'downloading',
  probing: 'downloading',
  transcribing: 'transcribing',
  analyzing: 'analyzing',
  rendering: 'generating_clips',
  uploading: 'generating_clips',
  completed: 'completed',
};

/** Its task status: v1's, with `cancelling` still `processing`. */
export const taskStatus = (status: TaskView['status']) => (status === 'cancelling' ? 'processing' : status);

export function taskDetails(task: TaskView) {
  return {
    id: task.id,
    status: taskStatus(task.status),
    stage: task.status === 'processing' ? (STAGE[task.stage] ?? task.stage) : taskStatus(task.status),
    progress: task.status === 'completed' ? 100 : Math.round(task.percent),
    progress_message: task.error?.message ?? '',
    error: task.error,
    created_at: task.createdAt,
    updated_at: task.finishedAt ?? task.startedAt ?? task.createdAt,
  };
}

export function clipView(content: ContentView, filePath: string) {
  const start = content.segment[0]?.start ?? 0;
  const end = content.segment[content.segment.length - 1]?.end ?? start + content.durationSeconds;
  return {
    id: content.id,
    clip_order: content.clipIndex + 1,
    start_time: start,
    end_time: end,
    duration: content.durationSeconds,
    relevance_score: content.score,
    reasoning: content.reason,
    title: content.title,
    file_path: filePath,
    created_at: content.createdAt,
  };
}

/** One live message in its SSE words ("Watch Real-time Progress"): `status` and `progress` events, `close` at the end. */
export function supoclipEvents(m: Record<string, unknown>): { event: string; data: Record<string, unknown> }[] {
  const taskId = m.job_id;
  if (m.type === 'job_progress')
    return [
      {
        event: 'progress',
        data: {
          task_id: taskId,
          status: 'processing',
          progress: Math.round(Number(m.progress)),
          message: m.message ?? '',
        },
      },
    ];
  if (m.type !== 'job_status' || m.kind !== 'task') return [];
  const s = m.status as { status: TaskView['status']; progress?: number; error: { message: string } | null };
  const status = taskStatus(s.status);
  const events: { event: string; data: Record<string, unknown> }[] = [
    {
      event: 'status',
      data: {
        task_id: taskId,
        status,
        progress: s.status === 'completed' ? 100 : Math.round(s.progress ?? 0),
        message: s.error?.message ?? '',
      },
    },
  ];
  if (['completed', 'failed', 'cancelled'].includes(status))
    events.push({ event: 'close', data: { status, ...(s.error ? { error: s.error.message } : {}) } });
  return events;
}
