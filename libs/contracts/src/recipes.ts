import { Type, type Static } from '@sinclair/typebox';
import { command, IdempotencyKey, Page, Principal } from './commands.ts';
import { GenerationView } from './events.ts';

const Uuid = Type.String({ format: 'uuid' });
const Json = Type.Unknown();

/** Where a recipe's items come from: the library sources tagged for it, or a list of article URLs. */
const RecipeSourcePool = Type.Union([
  Type.Object(
    {
      kind: Type.Literal('library'),
      tag: Type.String({ minLength: 1, maxLength: 64, pattern: '^[a-z0-9][a-z0-9_-]*$' }),
    },
    { additionalProperties: false },
  ),
  Type.Object(
    {
      kind: Type.Literal('articles'),
      urls: Type.Array(Type.String({ minLength: 1, maxLength: 4096, pattern: '^https?://' }), {
        minItems: 1,
        maxItems: 1000,
      }),
    },
    { additionalProperties: false },
  ),
]);

const recipeFields = {
  name: Type.String({ minLength: 1, maxLength: 200 }),
  description: Type.String({ maxLength: 2000 }),
  /** `clips`: render options applied to library sources; `article`: the article pipeline. */
  kind: Type.Union([Type.Literal('clips'), Type.Literal('article')]),
  /**
   * The form a user fills, as a JSON Schema (draft 2020-12 subset: an object whose properties are
   * strings, numbers, integers or booleans, with enums, bounds and defaults).
   */
  variables: Json,
  /**
   * The generation a filled form makes: `{options?, article?}` where a string `"{{name}}"` takes the
   * variable's value (of its own type) and `{{name}}` inside a longer string its text.
   */
  template: Json,
  sourcePool: RecipeSourcePool,
  creditCost: Type.Integer({ minimum: 0, maximum: 1_000_000 }),
  minBacklog: Type.Integer({ minimum: 0, maximum: 10_000 }),
  active: Type.Boolean(),
};

export const RecipeView = Type.Object({
  id: Uuid,
  ...recipeFields,
  /** Whether a finished item can be claimed at once (`POST /instant`); false until the backlog is built. */
  instantAvailable: Type.Boolean(),
  createdAt: Type.String({ format: 'date-time' }),
  updatedAt: Type.String({ format: 'date-time' }),
});
export type RecipeView = Static<typeof RecipeView>;

export const CreateRecipeBody = Type.Object(
  {
    name: recipeFields.name,
    description: Type.Optional(recipeFields.description),
    kind: recipeFields.kind,
    variables: Type.Optional(Json),
    template: Type.Optional(Json),
    sourcePool: recipeFields.sourcePool,
    creditCost: Type.Optional(recipeFields.creditCost),
    minBacklog: Type.Optional(recipeFields.minBacklog),
    active: Type.Optional(recipeFields.active),
  },
  { additionalProperties: false },
);
export type CreateRecipeBody = Static<typeof CreateRecipeBody>;

export const UpdateRecipeBody = Type.Object(
  {
    name: Type.Optional(recipeFields.name),
    description: Type.Optional(recipeFields.description),
    variables: Type.Optional(Json),
    template: Type.Optional(Json),
    sourcePool: Type.Optional(recipeFields.sourcePool),
    creditCost: Type.Optional(recipeFields.creditCost),
    minBacklog: Type.Optional(recipeFields.minBacklog),
    active: Type.Optional(recipeFields.active),
  },
  { additionalProperties: false, minProperties: 1 },
);
export type UpdateRecipeBody = Static<typeof UpdateRecipeBody>;

/**
 * A form as a user fills it: variable name → value. Values are checked by the recipe's own schema
 * (the owner's), not here: a typed union would let the gateway's type coercion turn 45 into "45".
 */
export const RecipeForm = Type.Record(Type.String({ maxLength: 64 }), Type.Unknown(), { maxProperties: 50 });
export type RecipeForm = Static<typeof RecipeForm>;

/** `POST /recipes/:id/generations`: a filled form, made now in one of the caller's accounts. */
export const RecipeGenerationBody = Type.Object({ accountId: Uuid, form: RecipeForm }, { additionalProperties: false });
export type RecipeGenerationBody = Static<typeof RecipeGenerationBody>;

/** What a filled form makes: the form with defaults applied, and the generation body it becomes. */
export const RenderedRecipe = Type.Object({
  form: RecipeForm,
  generation: Type.Object({ type: Type.String(), options: Json, article: Type.Optional(Json) }),
});

export const recipeCommands = {
  /** Active recipes for everyone; an operator may ask for inactive ones too. */
  list: command(
    'cmd.backlog.recipes.list',
    Type.Object({ principal: Principal, includeInactive: Type.Optional(Type.Boolean()), ...Page }),
    Type.Object({ items: Type.Array(RecipeView), nextCursor: Type.Union([Type.String(), Type.Null()]) }),
  ),
  get: command('cmd.backlog.recipes.get', Type.Object({ principal: Principal, recipeId: Uuid }), RecipeView),
  create: command(
    'cmd.backlog.recipes.create',
    Type.Object({ principal: Principal, body: CreateRecipeBody }),
    RecipeView,
  ),
  update: command(
    'cmd.backlog.recipes.update',
    Type.Object({ principal: Principal, recipeId: Uuid, body: UpdateRecipeBody }),
    RecipeView,
  ),
  /** Starts the generation a filled form makes, in the caller's account (the normal path; counted in the usage statistics). */
  generate: command(
    'cmd.backlog.recipes.generate',
    Type.Object({
      principal: Principal,
      recipeId: Uuid,
      body: RecipeGenerationBody,
      idempotencyKey: Type.Optional(IdempotencyKey),
    }),
    Type.Object({ generation: GenerationView, shortBy: Type.Integer({ minimum: 0 }), form: RecipeForm }),
  ),
  /** Validates a form against the recipe's variables and shows the generation it makes. */
  render: command(
    'cmd.backlog.recipes.render',
    Type.Object({ principal: Principal, recipeId: Uuid, form: RecipeForm }),
    RenderedRecipe,
  ),
} as const;
