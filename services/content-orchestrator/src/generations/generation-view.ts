import type { GenerationView } from '@reelforge/contracts';
import type { EntityManager } from '@reelforge/persistence';

export interface GenerationRow {
  id: string;
  account_id: string;
  content_type: string;
  status: string;
  total_requested: number;
  queued: number;
  processing: number;
  completed: number;
  failed: number;
  cancelled: number;
  created_at: Date | string;
  finished_at: Date | string | null;
}

const iso = (d: Date | string) => new Date(d).toISOString();

/** A generation row and its task ids as the API shows them. */
export function toGenerationView(row: GenerationRow, taskIds: string[]): GenerationView {
  return {
    id: row.id,
    accountId: row.account_id,
    contentType: row.content_type,
    status: row.status,
    counters: {
      totalRequested: row.total_requested,
      queued: row.queued,
      processing: row.processing,
      completed: row.completed,
      failed: row.failed,
      cancelled: row.cancelled,
    },
    taskIds,
    createdAt: iso(row.created_at),
    finishedAt: row.finished_at ? iso(row.finished_at) : null,
  };
}

/** Reads a generation with its task ids, in the caller's transaction when there is one. */
export async function loadGenerationView(
  em: EntityManager,
  schema: string,
  generationId: string,
): Promise<GenerationView | undefined> {
  const [row] = await em.execute<GenerationRow[]>(`select * from "${schema}".generations where id = ?`, [generationId]);
  if (!row) return undefined;
  const tasks = await em.execute<{ task_id: string }[]>(
    `select task_id from "${schema}".generation_tasks where generation_id = ? order by task_id`,
    [generationId],
  );
  return toGenerationView(
    row,
    tasks.map((t) => t.task_id),
  );
}
