import { subjects, filters } from '@reelforge/contracts';
import type { Messaging } from '@reelforge/messaging';
import type { Subscription } from '@nats-io/transport-node';
import type { Logger } from 'pino';

/** Why a running task's signal was aborted by a cancel (told apart from shutdown and timeout). */
export class TaskCancelled extends Error {
  constructor(reason: string) {
    super(reason);
    this.name = 'TaskCancelled';
  }
}

/**
 * The tasks this process is running, each with an AbortController. Every instance listens to the
 * kill broadcast; the one that runs the task aborts it (which SIGKILLs its ffmpeg).
 */
export function createRunningTasks(m: Messaging, log: Logger) {
  // A set per task: a redelivery may run a second attempt of a task in this process while the first is still alive.
  const running = new Map<string, Set<AbortController>>();
  const sub: Subscription = m.nc.subscribe(m.subject(filters.killTasks), {
    callback: (err, msg) => {
      if (err) return;
      const taskId = msg.subject.split('.').pop() ?? '';
      const controllers = running.get(taskId);
      if (!controllers) return;
      log.info({ taskId }, 'cancel: killing the running task');
      for (const controller of controllers)
        controller.abort(new TaskCancelled(new TextDecoder().decode(msg.data) || 'cancelled'));
    },
  });
  return {
    /** Registers a running task; call the returned function when it ends. */
    start: (taskId: string): { signal: AbortSignal; abort: (reason: string) => void; done: () => void } => {
      const controller = new AbortController();
      const controllers = running.get(taskId) ?? new Set<AbortController>();
      controllers.add(controller);
      running.set(taskId, controllers);
      const done = () => {
        controllers.delete(controller);
        if (controllers.size === 0 && running.get(taskId) === controllers) running.delete(taskId);
      };
      return { signal: controller.signal, abort: (reason) => controller.abort(new TaskCancelled(reason)), done };
    },
    /** Tells every instance to kill these tasks (at most once; a missed one is closed on redelivery). */
    kill: (taskIds: string[], reason: string): void => {
      for (const id of taskIds) m.nc.publish(m.subject(subjects.killTask(id)), reason);
    },
    get size() {
      return running.size;
    },
    close: () => sub.drain(),
  };
}

export type RunningTasks = ReturnType<typeof createRunningTasks>;
