import { makeEnvelope, subjects, TaskProgress, type TaskStage } from '@reelforge/contracts';
import { sendEvent, type Messaging } from '@reelforge/messaging';
import type { Logger } from 'pino';

/** `milestone`: a step clients show (article videos' stage table), sent even inside the minimum interval. */
export type ReportProgress = (
  stage: TaskStage,
  percent: number,
  message: string,
  etaSeconds?: number | null,
  o?: { milestone?: boolean },
) => void;

/**
 * Publishes live progress straight to JetStream (not through the outbox: it is superseded every
 * second), without waiting for the server's PubAck (sendEvent). At most one event per `minIntervalMs` within a stage; every stage change and milestone goes out.
 * Within a stage the percent never goes back (steps that overlap report out of order).
 * Best effort: a failed publish is logged, never fails the task.
 */
export function createProgressReporter(deps: {
  m: Messaging;
  service: string;
  accountId: string;
  taskId: string;
  generationId: string | null;
  /** The attempt this reporter speaks for (the gateway's task read model patches only that attempt's view). */
  attempt?: number;
  log: Logger;
  minIntervalMs?: number;
  onStage?: (stage: TaskStage, percent: number) => void;
}): ReportProgress {
  let lastStage: TaskStage | undefined;
  let lastAt = 0;
  let lastPercent = -1;
  const minInterval = deps.minIntervalMs ?? 1000;
  return (stage, percent, message, etaSeconds = null, o = {}) => {
    const now = Date.now();
    const stageChanged = stage !== lastStage;
    const asked = Math.round(Math.min(100, Math.max(0, percent)) * 10) / 10;
    const rounded = stageChanged ? asked : Math.max(asked, lastPercent);
    if (!stageChanged && !o.milestone && (now - lastAt < minInterval || rounded === lastPercent)) return;
    lastStage = stage;
    lastAt = now;
    lastPercent = rounded;
    if (stageChanged) deps.onStage?.(stage, rounded);
    const event = makeEnvelope('task.progress.v1', deps.service, deps.accountId, {
      taskId: deps.taskId,
      generationId: deps.generationId,
      stage,
      percent: rounded,
      message,
      etaSeconds: etaSeconds === null ? null : Math.max(0, Math.round(etaSeconds)),
      ...(deps.attempt === undefined ? {} : { attempt: deps.attempt }),
    });
    try {
      sendEvent(deps.m, subjects.taskProgress(deps.accountId), event, TaskProgress);
    } catch (err) {
      deps.log.warn({ err: String(err) }, 'progress publish failed');
    }
  };
}
