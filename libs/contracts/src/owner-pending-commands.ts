import { Type } from '@sinclair/typebox';
import { command, ContentView, Principal } from './commands.ts';

// Commands of owners whose behaviour later issues build (the backlog-keeper). The gateway's routes
// exist now and forward here; until an owner serves its subject, a call answers 503 naming the
// owner. Shapes follow the public API plan (docs/architecture.md) and may grow (never break) when
// the owner is built.

const Uuid = Type.String({ format: 'uuid' });

export const BacklogView = Type.Object({ recipeId: Uuid, ready: Type.Integer(), minBacklog: Type.Integer(), rendering: Type.Integer() });
export const InstantBody = Type.Object(
  { recipe_id: Uuid, account_id: Uuid, form: Type.Optional(Type.Record(Type.String({ maxLength: 64 }), Type.Union([Type.String({ maxLength: 2000 }), Type.Number(), Type.Boolean()]), { maxProperties: 50 })) },
  { additionalProperties: false },
);

export const backlogCommands = {
  getBacklog: command('cmd.backlog.recipes.backlog', Type.Object({ principal: Principal, recipeId: Uuid }), BacklogView),
  /** Claims one finished item atomically; NOT_FOUND carries `fallback_to_modal`, CONFLICT a lost race, PAYMENT_REQUIRED too few credits. */
  claimInstant: command('cmd.backlog.instant.claim', Type.Object({ principal: Principal, accountIds: Type.Array(Uuid, { maxItems: 10_000 }), body: InstantBody }), ContentView),
};
