import type { RunningNats } from './nats-server.ts';
import type { RunningPostgres } from './postgres.ts';
import { startedList } from './started.ts';

/** How the test run gets its servers; injectable so a failing step can be tested. */
export interface TestInfraStarters {
  nats(): Promise<RunningNats>;
  postgres(): Promise<RunningPostgres>;
}

export interface TestInfra {
  /** With the credentials embedded (connect with `openNats`). */
  natsUrl: string;
  databaseUrl: string;
  /** Stops what was started, PostgreSQL first (nothing uses it then), then NATS. */
  stop(): Promise<void>;
}

/**
 * Starts the test run's NATS, then PostgreSQL, skipping each one whose URL is given. If a step
 * fails, what was already started is stopped before the error is rethrown: vitest runs no
 * teardown for a global setup that threw, so nothing else would stop it.
 */
export async function startTestInfra(
  starters: TestInfraStarters,
  given: { natsUrl?: string | undefined; databaseUrl?: string | undefined } = {},
): Promise<TestInfra> {
  const started = startedList();
  try {
    const natsUrl = given.natsUrl ?? started.add('nats-server', await starters.nats()).clientUrl;
    const databaseUrl = given.databaseUrl ?? started.add('postgres', await starters.postgres()).url;
    return { natsUrl, databaseUrl, stop: () => started.stopAll() };
  } catch (err) {
    await started.stopAll().catch((stopError: unknown) => {
      throw new AggregateError(
        [err, stopError],
        `test setup failed (${err instanceof Error ? err.message : String(err)}) and so did stopping what it had started`,
      );
    });
    throw err;
  }
}
