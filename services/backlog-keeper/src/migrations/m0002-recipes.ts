import { Migration } from '@mikro-orm/migrations';

/** The recipe catalogue (system-wide: operators write it, everyone reads the active ones). */
export class M0002Recipes extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create table recipes (
      id uuid primary key,
      name text not null,
      description text not null default '',
      kind text not null check (kind in ('clips', 'article')),
      variables jsonb not null,
      template jsonb not null,
      source_pool jsonb not null,
      credit_cost int not null default 0 check (credit_cost >= 0),
      min_backlog int not null default 3 check (min_backlog >= 0),
      active boolean not null default true,
      created_at timestamptz not null,
      updated_at timestamptz not null
    )`);
    this.addSql(`create index recipes_active_idx on recipes (id) where active`);
  }
}
