import { Migration } from '@mikro-orm/migrations';

/**
 * Everything a task was asked to do (its render job's data: source, captions, options, logo…), so a
 * manual retry rebuilds the same job; and each attempt's retry series, so the retry budget counts
 * the attempts of the current series only (shutdown interruptions excluded, by their error code).
 */
export class M0004TaskInputs extends Migration {
  override async up(): Promise<void> {
    // Null for tasks created before this migration: their retry falls back to the columns.
    this.addSql(`alter table tasks add column inputs jsonb null`);
    this.addSql(`alter table task_attempts add column series int not null default 0`);
  }
}
