import type { TSchema } from '@sinclair/typebox';
import {
  DomainError,
  backlogCommands,
  notifierCommands,
  orchestratorCommands,
  type CommandDeclaration,
} from '@reelforge/contracts';

/** A result summary: what the run did, stored as jsonb and printed by `scheduler run`. */
type JobSummary = Record<string, unknown>;

/**
 * One scheduled job: a command to its owning service. `catchUp` says what a start does with
 * missed slots inside SCHEDULER_CATCH_UP: `each` runs every missed slot once (each hour matters to
 * different accounts), `latest` only the newest (running maintenance twice in a row gains nothing).
 */
export interface JobDefinition {
  name: string;
  cron: string;
  catchUp: 'each' | 'latest';
  /** Other names it answers to: its CronJob's (Kubernetes names cannot hold `_`). */
  aliases: string[];
  run(slot: Date): Promise<JobSummary>;
}

export interface JobDeps {
  /** Sends a command to its owner and resolves with the answer (sendCommand on the platform's NATS). */
  send: (decl: CommandDeclaration<TSchema, TSchema>, request: object, owner: string) => Promise<unknown>;
  /** Configuration of auto-generation (defaults: type `shorts`, count 1). */
  autoGenerate: { type: string; count: number };
  pruneIntervalMs: number;
}

/** True when the command failed only because nobody serves its subject. */
function isNoResponder(err: unknown): boolean {
  const cause = err instanceof DomainError ? (err.cause as { isNoResponders?: () => boolean } | undefined) : undefined;
  return typeof cause?.isNoResponders === 'function' && cause.isNoResponders();
}

export function buildJobs(deps: JobDeps): JobDefinition[] {
  return [
    {
      name: 'cleanup_stuck_generations',
      // `cleanup_stuck_generation`: the replaced Butter scheduler's name for it (docs/compat.md).
      aliases: ['cleanup-stuck-generations', 'cleanup_stuck_generation'],
      cron: '*/30 * * * *',
      catchUp: 'latest',
      run: async () =>
        (await deps.send(orchestratorCommands.cleanupStuckGenerations, {}, 'content-orchestrator')) as JobSummary,
    },
    {
      name: 'auto_generate_content',
      aliases: ['auto-generate'],
      cron: '0 * * * *',
      catchUp: 'each',
      run: async (slot) =>
        (await deps.send(
          orchestratorCommands.autoGenerateContent,
          { at: slot.toISOString(), ...deps.autoGenerate },
          'content-orchestrator',
        )) as JobSummary,
    },
    {
      name: 'backlog_maintenance',
      aliases: ['backlog-maintenance'],
      cron: '*/5 * * * *',
      catchUp: 'latest',
      run: async () => {
        // A backlog-keeper not running is not a failure of this job: the next slot tries again.
        try {
          return { status: 'maintained', result: await deps.send(backlogCommands.maintain, {}, 'backlog-keeper') };
        } catch (err) {
          if (isNoResponder(err))
            return { status: 'no owner yet', owner: 'backlog-keeper', subject: backlogCommands.maintain.subject };
          throw err;
        }
      },
    },
    {
      name: 'send_notification_digest',
      // Butter's `send_marketplace_message_digest` batched unread-message mails the same way (docs/compat.md).
      aliases: ['notification-digest', 'send_marketplace_message_digest'],
      cron: '0 * * * *',
      catchUp: 'latest',
      run: async (slot) => {
        // A notifier not running (or an older one without the digest) is not a failure of this job.
        try {
          return {
            status: 'sent',
            result: await deps.send(notifierCommands.sendDigests, { at: slot.toISOString() }, 'notifier'),
          };
        } catch (err) {
          if (isNoResponder(err))
            return { status: 'no owner yet', owner: 'notifier', subject: notifierCommands.sendDigests.subject };
          throw err;
        }
      },
    },
    {
      name: 'prune',
      aliases: ['prune'],
      cron: '0 3 * * *',
      catchUp: 'latest',
      // Honest: each service prunes its own expired rows on its own timer (libs/persistence prune.ts); nothing to trigger here.
      run: async () => ({
        status: 'nothing to do',
        note: 'every service prunes its own expired rows every PRUNE_INTERVAL',
        pruneIntervalMs: deps.pruneIntervalMs,
      }),
    },
  ];
}
