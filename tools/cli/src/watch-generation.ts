import type { ApiClient } from './api-client.ts';
import { TERMINAL_GENERATION, TERMINAL_TASK, type Generation, type Task } from './api-types.ts';
import { ApiError } from './errors.ts';
import type { CliDeps, Output } from './io.ts';
import { followJob, type LiveEvent, type LiveMessage } from './live-status.ts';
import { ProgressBoard } from './progress-bar.ts';

/** How often the generation is also read over HTTP while watching: a safety net under the live status. */
const POLL_MS = 15_000;

export interface WatchResult {
  generation: Generation;
  tasks: { task: Task; contentIds: string[] }[];
}

const counts = (g: Generation) => {
  const c = g.counters;
  return `${c.completed}/${c.totalRequested} completed, ${c.failed} failed, ${c.cancelled} cancelled`;
};

/**
 * Follows a generation live until it ends: one progress line per task (redrawn in place on a
 * terminal), a line per generation status change, then each task's final status and clips. With
 * `json`, every protocol message is printed as one JSON line instead, and the result last.
 */
export async function watchGeneration(
  client: ApiClient,
  deps: Pick<CliDeps, 'WebSocket' | 'sleep' | 'stderr'>,
  out: Output,
  start: Generation,
  json: boolean,
): Promise<WatchResult> {
  const board = json ? undefined : new ProgressBoard(out);
  let generation = start;
  let lastStatus: string | undefined;

  const showGeneration = (g: Generation) => {
    generation = g;
    if (g.status === lastStatus) return;
    lastStatus = g.status;
    board?.log(`generation ${g.id}: ${g.status} (${counts(g)})`);
  };

  const apply = (event: LiveEvent) => {
    if (event.type === 'generation_status') {
      if (event.generation.id === start.id) showGeneration(event.generation);
      return;
    }
    if (event.type === 'progress') {
      const now = board?.get(event.taskId);
      // The end is shown from the task's status message (or its final read), not from a progress message.
      if ((TERMINAL_TASK as readonly string[]).includes(event.stage)) return;
      if (now && (TERMINAL_TASK as readonly string[]).includes(now.status)) return;
      board?.update(event.taskId, {
        status: now?.status === 'cancelling' ? 'cancelling' : 'processing',
        stage: event.stage,
        percent: event.percent,
        etaSeconds: event.etaSeconds,
      });
      return;
    }
    board?.update(event.taskId, {
      status: event.status,
      ...(event.stage ? { stage: event.stage } : {}),
      ...(event.percent !== undefined ? { percent: event.percent } : {}),
    });
    if (event.error && event.status === 'failed') {
      board?.log(`task ${event.taskId} failed: ${event.error.code}: ${event.error.message}`);
    }
  };

  const isOver = () => TERMINAL_GENERATION.includes(generation.status);

  showGeneration(start);
  // Where the tasks are now (a watch may start late), then live. A task the repurposer has not
  // received yet (its render job is on the way) is queued.
  const initial = await Promise.all(start.taskIds.map((id) => taskIfKnown(client, id)));
  initial.forEach((task, i) => {
    const id = start.taskIds[i]!;
    board?.update(id, task ? { status: task.status, stage: task.stage, percent: task.percent } : {});
  });

  if (!isOver()) {
    let timer: NodeJS.Timeout | undefined;
    const polledEnd = new Promise<void>((resolve) => {
      timer = setInterval(() => {
        client.getGeneration(start.id).then(
          (g) => {
            if (!TERMINAL_GENERATION.includes(g.status)) return;
            showGeneration(g);
            resolve();
          },
          () => undefined, // the live connection reports trouble; a failed poll is only a missed check
        );
      }, POLL_MS);
    });
    try {
      await followJob({
        wsUrl: client.wsUrl,
        token: client.token,
        jobId: start.id,
        WebSocket: deps.WebSocket,
        sleep: deps.sleep,
        stop: polledEnd,
        onMessage: (message: LiveMessage) => {
          if (json) out.write(`${JSON.stringify(message.raw)}\n`);
          if (message.event) apply(message.event);
          return isOver();
        },
        onReconnect: (attempt, reason) =>
          deps.stderr.write(`reelforge: live status: ${reason}; reconnecting (attempt ${attempt})\n`),
      });
    } finally {
      clearInterval(timer);
    }
  }

  // The generation's end and its tasks' ends come from two streams: read each task's final state.
  // (A task cancelled before its render job arrived may be unknown to the repurposer: it is left out.)
  const found = await Promise.all(
    generation.taskIds.map(async (id) => {
      const task = await taskIfKnown(client, id);
      if (!task) return undefined;
      // Status and stage only: the percent stays the last one seen live (the stored one may lag behind it).
      board?.update(id, { status: task.status, stage: task.stage });
      const clips = task.status === 'completed' ? (await client.listTaskClips(id)).items.map((c) => c.id) : [];
      return { task, contentIds: clips };
    }),
  );
  const tasks = found.filter((t) => t !== undefined);
  if (board) {
    for (const { task, contentIds: clips } of tasks) {
      const error = task.error ? `: ${task.error.code}: ${task.error.message}` : '';
      const made = clips.length > 0 ? ` (clips: ${clips.join(' ')})` : '';
      board.log(`task ${task.id}: ${task.status}${error}${made}`);
    }
  } else {
    out.write(`${JSON.stringify({ type: 'result', generation, tasks })}\n`);
  }
  return { generation, tasks };
}

/** The task, or undefined while the repurposer does not know it yet (404). */
async function taskIfKnown(client: ApiClient, taskId: string): Promise<Task | undefined> {
  try {
    return await client.getTask(taskId);
  } catch (err) {
    if (err instanceof ApiError && err.status === 404) return undefined;
    throw err;
  }
}
