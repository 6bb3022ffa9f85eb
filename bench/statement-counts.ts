// Round trips to PostgreSQL per task, read from pg_stat_statements (bench/run.ts loads it into its
// own server): the figure the control plane's speed depends on, printed beside the rates.

type Query = <T>(sql: string) => Promise<T[]>;

export interface StatementCounts {
  /** Statements the services sent (begin and commit included), per task. */
  statementsPerTask: number;
  /** Committed transactions (explicit or single-statement), per task. */
  commitsPerTask: number;
  /** PostgreSQL's time per task parsing and planning the services' statements, and executing them (ms). */
  planMsPerTask: number;
  execMsPerTask: number;
  /** The most frequent statements: calls per task, and the statement's start (schema names shortened). */
  top: { perTask: number; planMs: number; statement: string }[];
  /** The statements PostgreSQL spent the most time executing: that time per task (ms), and calls per task. */
  costliest: { execMsPerTask: number; perTask: number; statement: string }[];
}

/**
 * Starts counting the statements that touch the schemas named `<token>_…` (a benchmark's stack),
 * with the transactions' begin and commit; undefined when pg_stat_statements is not loaded (a
 * DATABASE_URL given from outside). `ignore`: how the benchmark's own polling starts, not counted
 * (nor its transactions).
 */
export async function countStatements(
  query: Query,
  token: string,
  ignore: string,
): Promise<((tasks: number) => Promise<StatementCounts>) | undefined> {
  try {
    await query('create extension if not exists pg_stat_statements');
    await query('select pg_stat_statements_reset()');
  } catch {
    return undefined;
  }
  const commits = async () =>
    Number(
      (
        await query<{ n: string }>(`select xact_commit as n from pg_stat_database where datname = current_database()`)
      )[0]?.n,
    );
  const before = await commits();
  return async (tasks) => {
    const [row] = await query<{ ours: string; polls: string; plan: string; exec: string }>(
      `select coalesce(sum(calls) filter (where (query like '%"${token}_%' or lower(query) in ('begin', 'commit')) and query not like '${ignore}%'), 0) as ours,
              coalesce(sum(total_plan_time) filter (where query like '%"${token}_%' and query not like '${ignore}%'), 0) as plan,
              coalesce(sum(total_exec_time) filter (where query like '%"${token}_%' and query not like '${ignore}%'), 0) as exec,
              coalesce(sum(calls) filter (where query like '${ignore}%'), 0) as polls
         from pg_stat_statements`,
    );
    // The polls are single-statement transactions too: not the services' commits. (This read is one.)
    const services = (await commits()) - before - Number(row?.polls) - 1;
    const ours = `(query like '%"${token}_%' or lower(query) in ('begin', 'commit')) and query not like '${ignore}%'`;
    const top = await query<{ calls: string; plan: string; query: string }>(
      `select calls, total_plan_time as plan, query from pg_stat_statements where ${ours} order by calls desc limit 14`,
    );
    const costliest = await query<{ calls: string; exec: string; query: string }>(
      `select calls, total_exec_time as exec, query from pg_stat_statements where ${ours} order by total_exec_time desc limit 8`,
    );
    const shorten = (statement: string) =>
      statement
        .replaceAll(`"${token}_`, '"')
        .replace(/\s+/g, ' ')
        .replace(/^\/\*prepared:\w+\*\/ /, '(prepared) ')
        .slice(0, 100);
    return {
      statementsPerTask: Number(row?.ours) / tasks,
      commitsPerTask: services / tasks,
      planMsPerTask: Number(row?.plan) / tasks,
      execMsPerTask: Number(row?.exec) / tasks,
      top: top.map((t) => ({
        perTask: Number(t.calls) / tasks,
        planMs: Number(t.plan) / Math.max(1, Number(t.calls)),
        statement: shorten(t.query),
      })),
      costliest: costliest.map((t) => ({
        execMsPerTask: Number(t.exec) / tasks,
        perTask: Number(t.calls) / tasks,
        statement: shorten(t.query),
      })),
    };
  };
}
