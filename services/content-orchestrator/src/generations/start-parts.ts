import { makeEnvelope, subjects, type GenerationView } from '@reelforge/contracts';
import type { EntityManager, OutboxEntry } from '@reelforge/persistence';
import { applyCredit } from '../credits/credit-ledger.ts';
import { renderJobEntries, type EnqueuedTask, type RenderTasksInput } from './enqueue-render-task.ts';
import type { StartGenerationRequest } from './start-generation.ts';

// What the fast and the full start share once the sources are reserved: the same tasks, debit and events.

/** The render tasks of a start's reserved sources. */
export const startTasksInput = (
  req: StartGenerationRequest,
  generationId: string,
  sources: RenderTasksInput['sources'],
  mediaRetentionDays: number | null,
): RenderTasksInput => ({
  generationId,
  accountId: req.accountId,
  // The principal was checked to be the account's owner: the repurposer scopes reads by it.
  ownerId: req.principal.id,
  contentType: req.body.type,
  sources,
  options: req.body.options ?? {},
  article: req.body.article,
  mediaRetentionDays,
});

/** Paid up front, for the videos really started; PAYMENT_REQUIRED rolls the whole start back. */
export async function payForStart(
  em: EntityManager,
  schema: string,
  o: { req: StartGenerationRequest; generationId: string; perTask: number; videos: number },
): Promise<void> {
  if (o.perTask <= 0) return;
  await applyCredit(em, schema, {
    accountId: o.req.accountId,
    amount: -o.perTask * o.videos,
    reason: 'generation',
    reference: o.generationId,
    note: `${o.videos} × ${o.req.body.type}`,
  });
}

/** The render jobs first, then the generation's announcement (with its owner, for the notifier). */
export const startEntries = (
  service: string,
  req: StartGenerationRequest,
  tasks: EnqueuedTask[],
  generation: GenerationView,
): OutboxEntry[] => [
  ...renderJobEntries(tasks),
  {
    subject: subjects.generation(req.accountId),
    envelope: makeEnvelope('content.generation.updated.v1', service, req.accountId, {
      ...generation,
      ownerId: req.principal.id,
    }),
  },
];
