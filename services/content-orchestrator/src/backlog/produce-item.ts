import {
  BACKLOG_ACCOUNT_ID,
  BACKLOG_OWNER_ID,
  DomainError,
  makeEnvelope,
  subjects,
  uuidv7,
  type ArticleGenerationOptions,
  type BacklogItemSource,
  type GenerationView,
  type RecipeForm,
  type RenderOptions,
} from '@reelforge/contracts';
import { enqueueOutbox, type EntityManager } from '@reelforge/persistence';
import { enqueueRenderTask } from '../generations/enqueue-render-task.ts';
import { loadGenerationView } from '../generations/generation-view.ts';

export interface ProduceItemRequest {
  recipeId: string;
  itemKey: string;
  generation: { type: string; options?: RenderOptions; article?: ArticleGenerationOptions };
  source: BacklogItemSource;
  form: RecipeForm;
}

/**
 * Starts one backlog item: a one-task generation of the backlog account, tagged with its recipe and
 * form. Its source is copied from the least used library source with the recipe's tag (or is the
 * article URL the keeper picked) into a source row of the backlog account, so the item is made,
 * settled and stored exactly like a user's generation. No account lock: the backlog-keeper caps how
 * many run at once. The item key makes a replay return the first start.
 */
export function createProduceItem(deps: {
  fork: () => EntityManager;
  schema: string;
  service: string;
  afterCommit: () => void;
}) {
  const s = `"${deps.schema}"`;
  return async function produceItem(req: ProduceItemRequest): Promise<GenerationView> {
    const view = await deps.fork().transactional(async (em) => {
      const generationId = uuidv7();
      const options = req.generation.options ?? {};
      const inserted = await em.execute<{ id: string }[]>(
        `insert into ${s}.generations (id, account_id, content_type, status, total_requested, queued, options, idempotency_key, recipe_id, backlog_form) values (?, ?, ?, 'queuing', 1, 1, ?::jsonb, ?, ?, ?::jsonb)
         on conflict (account_id, idempotency_key) where idempotency_key is not null do nothing returning id`,
        [
          generationId,
          BACKLOG_ACCOUNT_ID,
          req.generation.type,
          JSON.stringify(options),
          req.itemKey,
          req.recipeId,
          JSON.stringify(req.form),
        ],
      );
      if (inserted.length === 0) {
        const [first] = await em.execute<{ id: string }[]>(
          `select id from ${s}.generations where account_id = ? and idempotency_key = ?`,
          [BACKLOG_ACCOUNT_ID, req.itemKey],
        );
        return (await loadGenerationView(em, deps.schema, first!.id))!;
      }
      const source = await sourceFor(em, req.source);
      await enqueueRenderTask(em, deps.schema, deps.service, {
        generationId,
        accountId: BACKLOG_ACCOUNT_ID,
        ownerId: BACKLOG_OWNER_ID,
        contentType: req.generation.type,
        source,
        options,
        article: req.generation.article,
        mediaRetentionDays: null,
      });
      const started = (await loadGenerationView(em, deps.schema, generationId))!;
      await enqueueOutbox(
        em,
        deps.schema,
        subjects.generation(BACKLOG_ACCOUNT_ID),
        makeEnvelope('content.generation.updated.v1', deps.service, BACKLOG_ACCOUNT_ID, {
          ...started,
          ownerId: BACKLOG_OWNER_ID,
        }),
      );
      return started;
    });
    deps.afterCommit();
    return view;
  };

  /** A source row of the backlog account for this item (library sources are reused, never reserved). */
  async function sourceFor(
    em: EntityManager,
    source: BacklogItemSource,
  ): Promise<{ id: string; url: string; captions_url: string | null }> {
    let url: string;
    let captionsUrl: string | null = null;
    if (source.kind === 'library') {
      // Least used first, so a recipe's items spread over its library.
      const [picked] = await em.execute<{ id: string; url: string; captions_url: string | null }[]>(
        `update ${s}.library_sources set uses = uses + 1 where id = (select id from ${s}.library_sources where tags @> array[?]::text[] order by uses, id limit 1 for update) returning id, url, captions_url`,
        [source.tag],
      );
      if (!picked)
        throw new DomainError('NO_SOURCES_AVAILABLE', `no library source is tagged "${source.tag}"`, {
          tag: source.tag,
        });
      url = picked.url;
      captionsUrl = picked.captions_url;
    } else {
      url = source.url;
    }
    const id = uuidv7();
    await em.execute(
      `insert into ${s}.source_videos (id, account_id, url, captions_url, kind, state) values (?, ?, ?, ?, ?, 'available')`,
      [id, BACKLOG_ACCOUNT_ID, url, captionsUrl, source.kind === 'article' ? 'article' : 'video'],
    );
    return { id, url, captions_url: captionsUrl };
  }
}
