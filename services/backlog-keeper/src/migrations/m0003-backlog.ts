import { Migration } from '@mikro-orm/migrations';

/**
 * What the backlog-keeper learns from claims (the items themselves are the orchestrator's
 * generations): the claims, for demand (the adaptive minimum) and audit, and the usage of each
 * variable value, which weights the forms new items are made with.
 */
export class M0003Backlog extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create table claims (
      claim_id uuid primary key,
      recipe_id uuid not null,
      account_id uuid not null,
      generation_id uuid not null,
      credits_charged bigint not null,
      claimed_at timestamptz not null
    )`);
    this.addSql(`create index claims_recipe_idx on claims (recipe_id, claimed_at)`);
    this.addSql(`create table recipe_usage (
      recipe_id uuid primary key,
      claims bigint not null default 0,
      generations bigint not null default 0,
      updated_at timestamptz not null default now()
    )`);
    // Users' own generations from a recipe, once each (a replayed start is not a second use).
    this.addSql(`create table recipe_generations (
      generation_id uuid primary key,
      recipe_id uuid not null,
      account_id uuid not null,
      created_at timestamptz not null default now()
    )`);
    this.addSql(`create table recipe_usage_options (
      recipe_id uuid not null,
      variable text not null,
      value jsonb not null,
      uses bigint not null default 0,
      primary key (recipe_id, variable, value)
    )`);
  }
}
