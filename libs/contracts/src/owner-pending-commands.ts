import { Type } from '@sinclair/typebox';
import { command, ContentView, Principal, Page } from './commands.ts';
import { PublicRenderOptions } from './render-options.ts';

// Commands of owners whose behaviour later issues build (the backlog-keeper). The gateway's routes
// exist now and forward here; until an owner serves its subject, a call answers 503 naming the
// owner. Shapes follow the public API plan (docs/architecture.md) and may grow (never break) when
// the owner is built.

const Uuid = Type.String({ format: 'uuid' });
const Cursor = { items: Type.Array(Type.Unknown()), nextCursor: Type.Union([Type.String(), Type.Null()]) };
const pageOf = <T extends ReturnType<typeof Type.Object>>(item: T) => Type.Object({ ...Cursor, items: Type.Array(item) });

export const RecipeView = Type.Object({
  id: Uuid,
  name: Type.String(),
  contentType: Type.String(),
  options: PublicRenderOptions,
  minBacklog: Type.Integer(),
  priceCredits: Type.Integer(),
  active: Type.Boolean(),
  createdAt: Type.String({ format: 'date-time' }),
});
export const CreateRecipeBody = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 200 }),
    contentType: Type.String({ minLength: 1, maxLength: 64, pattern: '^[a-z0-9][a-z0-9_-]*$' }),
    options: Type.Optional(PublicRenderOptions),
    minBacklog: Type.Optional(Type.Integer({ minimum: 0, maximum: 10_000 })),
    priceCredits: Type.Optional(Type.Integer({ minimum: 0, maximum: 1_000_000 })),
  },
  { additionalProperties: false },
);
export const BacklogView = Type.Object({ recipeId: Uuid, ready: Type.Integer(), minBacklog: Type.Integer(), rendering: Type.Integer() });
export const InstantBody = Type.Object(
  { recipe_id: Uuid, account_id: Uuid, form: Type.Optional(Type.Record(Type.String({ maxLength: 64 }), Type.Union([Type.String({ maxLength: 2000 }), Type.Number(), Type.Boolean()]), { maxProperties: 50 })) },
  { additionalProperties: false },
);

export const backlogCommands = {
  listRecipes: command('cmd.backlog.recipes.list', Type.Object({ principal: Principal, ...Page }), pageOf(RecipeView)),
  createRecipe: command('cmd.backlog.recipes.create', Type.Object({ principal: Principal, body: CreateRecipeBody }), RecipeView),
  getBacklog: command('cmd.backlog.recipes.backlog', Type.Object({ principal: Principal, recipeId: Uuid }), BacklogView),
  /** Claims one finished item atomically; NOT_FOUND carries `fallback_to_modal`, CONFLICT a lost race, PAYMENT_REQUIRED too few credits. */
  claimInstant: command('cmd.backlog.instant.claim', Type.Object({ principal: Principal, accountIds: Type.Array(Uuid, { maxItems: 10_000 }), body: InstantBody }), ContentView),
};
