import type { Logger } from 'pino';
import type { MikroORM } from './orm.ts';

/**
 * One kind of row that is no longer needed after a while: the rows of `table` (in the service's
 * schema) matching `where` are deleted in batches, so pruning never holds long locks.
 */
export interface PruneRule {
  name: string;
  table: string;
  /** A SQL condition on the table's columns; `?` placeholders take `params`; `$schema` names the service's schema. */
  where: string;
  params?: unknown[];
}

const BATCH = 5_000;
const DAY_MS = 24 * 3600 * 1000;

/** Relayed outbox rows: kept long enough to look at, then deleted (unpublished rows never are). */
export const outboxRule = (keepMs = 7 * DAY_MS): PruneRule => ({
  name: 'outbox',
  table: 'outbox',
  where: `published_at is not null and published_at < now() - make_interval(secs => ?)`,
  params: [keepMs / 1000],
});

/**
 * Processed-event ids. Kept longer than any stream keeps a message (7 days at most), so a
 * redelivery always finds its id: after that no redelivery can come.
 */
export const inboxRule = (keepMs = 8 * DAY_MS): PruneRule => ({
  name: 'inbox',
  table: 'inbox',
  where: `processed_at < now() - make_interval(secs => ?)`,
  params: [keepMs / 1000],
});

/** Deletes what each rule matches, batch by batch; returns the rows deleted per rule. */
async function pruneRows(orm: MikroORM, schema: string, rules: PruneRule[]): Promise<Record<string, number>> {
  const deleted: Record<string, number> = {};
  for (const rule of rules) {
    const t = `"${schema}"."${rule.table}"`;
    const where = rule.where.replaceAll('$schema', `"${schema}"`);
    let total = 0;
    for (;;) {
      const rows = await orm.em
        .fork()
        .execute<{ n: number }[]>(
          `with gone as (delete from ${t} where ctid in (select ctid from ${t} where ${where} limit ${BATCH}) returning 1) select count(*)::int as n from gone`,
          rule.params ?? [],
        );
      const n = rows[0]?.n ?? 0;
      total += n;
      if (n < BATCH) break;
    }
    deleted[rule.name] = total;
  }
  return deleted;
}

/** The rules whose tables exist in `schema` (not every service has an outbox or an inbox). */
export async function existingRules(orm: MikroORM, schema: string, rules: PruneRule[]): Promise<PruneRule[]> {
  const rows = await orm.em
    .fork()
    .execute<{ table_name: string }[]>(`select table_name from information_schema.tables where table_schema = ?`, [
      schema,
    ]);
  const tables = new Set(rows.map((r) => r.table_name));
  return rules.filter((r) => tables.has(r.table));
}

/**
 * Prunes every `everyMs` (first run after a random part of the interval, so replicas spread out);
 * replicas pruning at once is harmless (deletes are idempotent). `runOnce` prunes now.
 */
export function startPruner(options: {
  orm: MikroORM;
  schema: string;
  rules: PruneRule[];
  everyMs: number;
  log: Logger;
}) {
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<Record<string, number>> | undefined;
  const runOnce = async (): Promise<Record<string, number>> => {
    running ??= pruneRows(options.orm, options.schema, options.rules).finally(() => (running = undefined));
    return running;
  };
  const tick = () => {
    void runOnce().then(
      (deleted) => {
        if (Object.values(deleted).some((n) => n > 0)) options.log.info({ deleted }, 'pruned old rows');
      },
      (err: unknown) => options.log.warn({ err: String(err) }, 'pruning failed; trying again next time'),
    );
    timer = setTimeout(tick, options.everyMs);
    timer.unref();
  };
  if (options.everyMs > 0 && options.rules.length) {
    timer = setTimeout(tick, Math.floor(Math.random() * options.everyMs));
    timer.unref();
  }
  return {
    runOnce,
    stop: async () => {
      clearTimeout(timer);
      await running?.catch(() => undefined);
    },
  };
}
