import { createHash } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';
import { CompiledQuery, type Kysely } from 'kysely';
import pg from 'pg';
import { withStatementSpan } from './statement-spans.ts';

// MikroORM inlines every value into the SQL text, so PostgreSQL parses and plans each statement
// afresh: on the control plane's hot path that was as much time as executing them (the bench's
// pg_stat_statements: ~2.6 ms planning against ~2.7 ms executing per task). The hot statements go
// through `executePrepared` instead: bound parameters and a named statement per connection, parsed
// and planned once (the connections force generic plans: createOrm).

const MARK = '/*prepared:';

/**
 * The pool's client class: SQL that `executePrepared` marked runs as a named prepared statement
 * (the name is in the mark); everything else exactly as pg does. Named statements live per
 * connection, and pg re-prepares them on a new one.
 */
export class PreparingClient extends pg.Client {
  // pg's query has many overloads; this forwards any of them unchanged unless the text is marked.
  override query(...args: unknown[]): never {
    const [text, values, callback] = args;
    if (typeof text === 'string' && text.startsWith(MARK)) {
      const name = text.slice(MARK.length, text.indexOf('*/'));
      const config = { name, text, values: values as unknown[] };
      return (super.query as (...a: unknown[]) => never)(config, ...(callback === undefined ? [] : [callback]));
    }
    return (super.query as (...a: unknown[]) => never)(...args);
  }
}

/**
 * MikroORM's `?` placeholders as PostgreSQL's `$1…$n`. `?` inside a quoted literal or identifier,
 * or in a `--` comment, is left alone; `??` (MikroORM's identifier placeholder) and the jsonb `?`
 * operators are refused, since neither can be a bound parameter.
 */
export function toPositional(sql: string): string {
  let n = 0;
  let out = '';
  let quote: string | null = null;
  for (let i = 0; i < sql.length; i++) {
    const c = sql[i]!;
    if (quote) {
      if (c === quote) quote = null;
      out += c;
    } else if (c === '-' && sql[i + 1] === '-') {
      // A comment runs to the end of its line; an apostrophe in it opens no literal.
      const end = sql.indexOf('\n', i);
      const stop = end === -1 ? sql.length : end;
      out += sql.slice(i, stop);
      i = stop - 1;
    } else if (c === "'" || c === '"') {
      quote = c;
      out += c;
    } else if (c === '?') {
      const next = sql[i + 1];
      if (next === '?' || next === '|' || next === '&')
        throw new Error(`a prepared statement cannot use \`?${next}\`: ${sql.slice(0, 80)}`);
      out += `$${++n}`;
    } else out += c;
  }
  return out;
}

const texts = new Map<string, string>();

/** The statement as it goes to pg: marked with a name derived from its text (the same text, the same name). */
function markedText(sql: string): string {
  let text = texts.get(sql);
  if (!text) {
    const positional = toPositional(sql);
    const name = `p${createHash('sha1').update(positional).digest('hex').slice(0, 20)}`;
    text = `${MARK}${name}*/ ${positional}`;
    // Bounded by the code's distinct statement shapes; the guard only stops a caller building SQL from data.
    if (texts.size < 10_000) texts.set(sql, text);
  }
  return text;
}

/**
 * Runs one statement with bound parameters as a named prepared statement, on the EntityManager's
 * transaction when it has one (else on a pooled connection, autocommit). Values go to pg as they
 * are: strings, numbers, booleans, null; objects as JSON; arrays as PostgreSQL arrays (not as
 * MikroORM's inlined lists: pass an array literal string for `= any(?::uuid[])`).
 * Returns the rows; inside a trace, a span for the statement (as MikroORM's own get). Needs the
 * pool built with `PreparingClient` (createOrm does that).
 */
export async function executePrepared<T>(
  em: EntityManager,
  sql: string,
  params: readonly unknown[] = [],
): Promise<T[]> {
  const executor = em.getTransactionContext<Kysely<unknown>>() ?? em.getConnection().getClient();
  const text = markedText(sql);
  const result = await withStatementSpan(text.slice(text.indexOf('*/') + 3), () =>
    executor.executeQuery<T>(CompiledQuery.raw(text, [...params])),
  );
  return result.rows;
}
