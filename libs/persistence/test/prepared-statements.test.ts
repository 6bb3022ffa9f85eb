import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createOrm, executePrepared, toPositional, type MikroORM } from '@reelforge/persistence';
import { memoryLogger, uniqueToken } from '@reelforge/testing';

// Hot statements run as named prepared statements with bound parameters, on a real PostgreSQL:
// in the caller's transaction when there is one, parsed once per connection, the values typed by
// the server rather than inlined.

const { log } = memoryLogger('prepared-test');
const schema = uniqueToken('prepared_test_');
let orm: MikroORM;

beforeAll(async () => {
  orm = await createOrm({ databaseUrl: inject('databaseUrl'), schema, entities: [], migrations: [], log });
  await orm.em.fork().execute(`create schema "${schema}"`);
  await orm.em
    .fork()
    .execute(
      `create table "${schema}".t (id uuid primary key, n int not null, tags text[] not null, doc jsonb not null)`,
    );
});
afterAll(async () => {
  await orm.em.fork().execute(`drop schema if exists "${schema}" cascade`);
  await orm.close(true);
});

describe('toPositional', () => {
  it('numbers the placeholders and leaves quoted text alone', () => {
    expect(toPositional(`select ?, '?', "a?b", ?::uuid[] where x = 'it''s ?' and y = ?`)).toBe(
      `select $1, '?', "a?b", $2::uuid[] where x = 'it''s ?' and y = $3`,
    );
  });

  it('leaves a `--` comment alone, an apostrophe in it included', () => {
    expect(toPositional(`select ? -- the batch's rows?\n, ?`)).toBe(`select $1 -- the batch's rows?\n, $2`);
  });

  it('refuses what cannot be a bound parameter: identifiers and the jsonb operators', () => {
    expect(() => toPositional('select * from ??')).toThrow(/\?\?/);
    expect(() => toPositional(`select doc ?| array['a'] from t`)).toThrow(/\?\|/);
  });
});

describe('executePrepared', () => {
  const insert = `insert into "${schema}".t (id, n, tags, doc) values (?, ?, ?::text[], ?::jsonb) returning id, n, tags, doc`;

  it('binds the values (a quote in a value is data), and returns typed rows', async () => {
    const id = '01900000-0000-7000-8000-000000000001';
    const rows = await executePrepared<{ id: string; n: number; tags: string[]; doc: unknown }>(orm.em.fork(), insert, [
      id,
      7,
      `{"it's",b}`,
      JSON.stringify({ a: "x'); drop table t; --" }),
    ]);
    expect(rows).toEqual([{ id, n: 7, tags: ["it's", 'b'], doc: { a: "x'); drop table t; --" } }]);
  });

  it("runs in the EntityManager's transaction: a rollback undoes it", async () => {
    const id = '01900000-0000-7000-8000-000000000002';
    await expect(
      orm.em.fork().transactional(async (em) => {
        await executePrepared(em, insert, [id, 1, '{}', '{}']);
        const seen = await executePrepared<{ n: number }>(em, `select n from "${schema}".t where id = ?`, [id]);
        expect(seen).toEqual([{ n: 1 }]);
        throw new Error('roll back');
      }),
    ).rejects.toThrow('roll back');
    expect(await executePrepared(orm.em.fork(), `select n from "${schema}".t where id = ?`, [id])).toEqual([]);
  });

  it('prepares a statement once per connection and reuses it by name', async () => {
    const select = `select n from "${schema}".t where n > ?`;
    const prepared = await orm.em.fork().transactional(async (em) => {
      for (let i = 0; i < 3; i++) await executePrepared(em, select, [i]);
      // The same connection: its prepared statements, ours among them once.
      return executePrepared<{ statement: string }>(em, `select statement from pg_prepared_statements`);
    });
    expect(prepared.filter((p) => p.statement.includes(`where n > $1`))).toHaveLength(1);
  });

  it('plans them once: the connections use generic plans for statements with parameters', async () => {
    const [row] = await executePrepared<{ mode: string }>(orm.em.fork(), `select current_setting(?) as mode`, [
      'plan_cache_mode',
    ]);
    expect(row).toEqual({ mode: 'force_generic_plan' });
  });
});
