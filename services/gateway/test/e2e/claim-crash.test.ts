import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import {
  BACKLOG_ACCOUNT_ID,
  BACKLOG_OWNER_ID,
  type BacklogView,
  type InstantClaimView,
  type RecipeView,
} from '@reelforge/contracts';
import { eventually, makeTestVideo, serveFiles, startServiceProcess, type ServiceProcess } from '@reelforge/testing';
import { apiClient } from '../support/api-client.ts';
import { startStack, type Stack } from '../support/stack.ts';
import { newTenant } from '../support/tenant.ts';

type Service = 'content-orchestrator' | 'repurposer' | 'backlog-keeper';
const SCHEMA: Record<Service, string> = {
  'content-orchestrator': 'orchestrator',
  repurposer: 'repurposer',
  'backlog-keeper': 'backlog',
};

// SIGKILL of each service a claim passes through, at the step where it holds the claim: the
// orchestrator inside the claim's transaction, the backlog-keeper after the claim committed while
// the clips are handed over, the repurposer during that hand-over. Each step is held open by a row
// lock the test takes (so the kill lands exactly there, not by timing), and after a restart and a
// retry with the same Idempotency-Key the invariants hold: no item claimed without payment, no
// payment without an item, nothing twice, the clips the claimer's.
describe('instant claim under SIGKILL', () => {
  let stack: Stack;
  let files: Awaited<ReturnType<typeof serveFiles>>;
  let db: pg.Client;
  const procs = new Map<Service, ServiceProcess>();
  let recipe: RecipeView;
  let user: Awaited<ReturnType<typeof newTenant>>;

  const start = async (service: Service) => {
    const p = startServiceProcess(service, {
      ...stack.env,
      DB_SCHEMA: `${stack.token}_${SCHEMA[service]}`,
      HEALTH_PORT: '0',
      EVENT_ACK_WAIT: '2s',
      DB_LOCK_TIMEOUT: '30s',
    });
    procs.set(service, p);
    await p.waitForLine(new RegExp(`${service} ready`), 60_000);
  };
  const kill = async (service: Service) => {
    const p = procs.get(service)!;
    p.child.kill('SIGKILL');
    await p.exited;
  };
  const schema = (service: Service) => `"${stack.token}_${SCHEMA[service]}"`;

  /** Holds row locks in a transaction of the test's own until released. */
  const hold = async (sql: string, params: unknown[]) => {
    const c = new pg.Client({ connectionString: inject('databaseUrl') });
    await c.connect();
    await c.query('begin');
    const { rowCount } = await c.query(sql, params);
    expect(rowCount).toBeGreaterThan(0);
    return async () => {
      await c.query('commit');
      await c.end();
    };
  };
  /** Resolves once some statement matching `pattern` waits for a row lock (the step is reached). */
  const blockedOn = (pattern: string) =>
    eventually(`a statement like ${pattern} to wait for its lock`, async () => {
      const { rows } = await db.query(
        `select 1 from pg_stat_activity where wait_event_type = 'Lock' and query ilike $1`,
        [pattern],
      );
      return rows.length > 0 ? true : undefined;
    });
  const claim = (key: string) =>
    user.api.call('/api/v1/instant', {
      method: 'POST',
      body: JSON.stringify({ recipeId: recipe.id, accountId: user.account.id }),
      headers: { 'idempotency-key': key },
    });

  /** The claim invariants, from the owners' own tables. */
  const invariantsHold = async (claims: number) => {
    const { rows: claimRows } = await db.query(
      `select generation_id from ${schema('content-orchestrator')}.backlog_claims where account_id = $1`,
      [user.account.id],
    );
    expect(claimRows).toHaveLength(claims);
    const { rows: owned } = await db.query(
      `select id from ${schema('content-orchestrator')}.generations where recipe_id = $1 and account_id = $2`,
      [recipe.id, user.account.id],
    );
    expect(owned.map((r) => r.id as string).sort()).toEqual(claimRows.map((r) => r.generation_id as string).sort());
    const { rows: ledger } = await db.query(
      `select a.credit_balance::int as balance, (select coalesce(sum(amount), 0)::int from ${schema('content-orchestrator')}.credit_transactions where account_id = a.id) as sum,
              (select count(*)::int from ${schema('content-orchestrator')}.credit_transactions where account_id = a.id and reason = 'instant_claim') as debits
         from ${schema('content-orchestrator')}.accounts a where a.id = $1`,
      [user.account.id],
    );
    expect(ledger[0]).toEqual({ balance: 100 - 5 * claims, sum: 100 - 5 * claims, debits: claims });
  };
  /** The clips of the claimed generations are the claimer's (the hand-over may finish after a restart). */
  const clipsAreTheClaimers = () =>
    eventually(
      'the clips to be the claimer’s',
      async () => {
        const { rows } = await db.query(
          `select t.owner_id, t.account_id from ${schema('repurposer')}.tasks t join ${schema('content-orchestrator')}.generation_tasks g on g.task_id = t.id
           join ${schema('content-orchestrator')}.backlog_claims c on c.generation_id = g.generation_id where c.account_id = $1`,
          [user.account.id],
        );
        return rows.length > 0 && rows.every((r) => r.owner_id !== BACKLOG_OWNER_ID && r.account_id === user.account.id)
          ? rows
          : undefined;
      },
      60_000,
      100,
    );
  const lockReadyBacklogClips = () =>
    hold(
      `select id from ${schema('repurposer')}.tasks where owner_id = $1 and account_id = $2 and status = 'completed' for update`,
      [BACKLOG_OWNER_ID, BACKLOG_ACCOUNT_ID],
    );

  beforeAll(async () => {
    stack = await startStack({ withOrchestrator: false, withRepurposer: false });
    db = new pg.Client({ connectionString: inject('databaseUrl') });
    await db.connect();
    const video = await makeTestVideo(inject('ffmpegPath'), join(stack.mediaRoot, 'library.mp4'), { seconds: 2 });
    files = await serveFiles({ 'library.mp4': video });
    for (const s of ['content-orchestrator', 'repurposer', 'backlog-keeper'] as const) await start(s);
    const ops = apiClient(stack.gatewayUrl, await stack.bearer('crash-ops', ['operator']));
    expect((await ops.post('/api/v1/library/sources', { url: files.url('library.mp4'), tags: ['crash'] })).status).toBe(
      201,
    );
    const created = await ops.post('/api/v1/recipes', {
      name: 'Crash takes',
      kind: 'clips',
      template: { options: { width: 180, preset: 'ultrafast' } },
      sourcePool: { kind: 'library', tag: 'crash' },
      creditCost: 5,
      minBacklog: 3,
    });
    expect(created.status, await created.clone().text()).toBe(201);
    recipe = (await created.json()) as RecipeView;
    user = await newTenant(stack, 'crash-claimer', []);
    expect((await ops.post(`/api/v1/accounts/${user.account.id}/credits/grants`, { amount: 100 })).status).toBe(201);
    await eventually(
      'the pool to fill',
      async () => {
        const b = (await (await user.api.call(`/api/v1/recipes/${recipe.id}/backlog`)).json()) as BacklogView;
        return b.ready >= 3 ? b : undefined;
      },
      120_000,
      200,
    );
  });
  afterAll(async () => {
    for (const p of procs.values())
      if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGKILL');
    await db?.end();
    await files?.close();
    await stack?.stop();
  });

  it('the orchestrator killed inside the claim’s transaction leaves no trace; the retry claims once', async () => {
    // The debit waits for the account row (NO KEY UPDATE: the foreign-key checks before it still pass):
    // the item is locked and the claim and ledger rows are written, uncommitted.
    const release = await hold(
      `select id from ${schema('content-orchestrator')}.accounts where id = $1 for no key update`,
      [user.account.id],
    );
    const pending = claim('crash-a');
    try {
      await blockedOn('%credit_balance%');
      await kill('content-orchestrator');
    } finally {
      await release();
    }
    expect((await pending).status).toBeGreaterThanOrEqual(500);
    await invariantsHold(0);

    await start('content-orchestrator');
    const res = await claim('crash-a');
    expect(res.status, await res.clone().text()).toBe(200);
    const first = (await res.json()) as InstantClaimView;
    const again = (await (await claim('crash-a')).json()) as InstantClaimView;
    expect(again.claimId).toBe(first.claimId);
    await invariantsHold(1);
    await clipsAreTheClaimers();
  });

  it('the backlog-keeper killed after the claim committed: the retry answers the same claim, paid once, clips handed over', async () => {
    const release = await lockReadyBacklogClips();
    const pending = claim('crash-b');
    try {
      await blockedOn('%tasks%');
      await kill('backlog-keeper');
    } finally {
      await release();
    }
    expect((await pending).status).toBeGreaterThanOrEqual(500);
    // Committed before the kill: one claim, one debit already.
    await invariantsHold(2);

    await start('backlog-keeper');
    const res = await claim('crash-b');
    expect(res.status, await res.clone().text()).toBe(200);
    const body = (await res.json()) as InstantClaimView;
    expect(body.replayed).toBe(true);
    expect(body.content.every((c) => c.accountId === user.account.id)).toBe(true);
    await invariantsHold(2);
    await clipsAreTheClaimers();
  });

  it('the repurposer killed while handing the clips over: the claim stands and the clips are handed over after its restart', async () => {
    const release = await lockReadyBacklogClips();
    const pending = claim('crash-c');
    try {
      await blockedOn('%tasks%');
      await kill('repurposer');
    } finally {
      await release();
    }
    const res = await pending;
    expect(res.status, await res.clone().text()).toBe(200);
    await invariantsHold(3);

    await start('repurposer');
    await clipsAreTheClaimers();
    await invariantsHold(3);
  }, 120_000);
});
