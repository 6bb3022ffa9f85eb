import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStack, type Stack } from '../support/stack.ts';

const MAIN = resolve(import.meta.dirname, '..', '..', '..', 'scheduler', 'src', 'main.ts');

/** `node services/scheduler/src/main.ts run <job>` as a CronJob runs it; resolves with its exit code and output. */
function schedulerRun(
  job: string,
  env: Record<string, string>,
  command = 'run',
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [MAIN, command, job], {
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
  child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
  return new Promise((res) => child.once('exit', (code) => res({ code, stdout, stderr })));
}

// Two CronJob pods (or a CronJob fired twice) for the same slot: one runs it, the other sees it taken.
describe('scheduler run <job> as processes', () => {
  let stack: Stack;
  let env: Record<string, string>;

  beforeAll(async () => {
    stack = await startStack({ withRepurposer: false });
    env = { ...stack.env, DB_SCHEMA: `${stack.token}_scheduler`, LOG_LEVEL: 'warn' };
  });
  afterAll(() => stack?.stop());

  it('runs the slot once when two processes fire at the same time', async () => {
    const [a, b] = await Promise.all([
      schedulerRun('cleanup_stuck_generations', env),
      schedulerRun('cleanup-stuck-generations', env),
    ]);
    expect([a.code, b.code], `${a.stderr}\n${b.stderr}`).toEqual([0, 0]);
    const printed = [a, b].map(
      (r) => JSON.parse(r.stdout.trim().split('\n').at(-1)!) as { outcome: string; status: string; slot: string },
    );
    expect(printed.map((p) => p.outcome).sort()).toEqual(['ran', 'taken']);
    expect(printed[0]!.slot).toBe(printed[1]!.slot);
    const rows = await stack.sql<{ status: string; attempts: number; summary: Record<string, unknown> }>(
      'scheduler',
      `select status, attempts, summary from $schema.job_runs where job = 'cleanup_stuck_generations'`,
    );
    expect(rows).toEqual([{ status: 'succeeded', attempts: 1, summary: { examined: 0, fixed: [], locksRemoved: 0 } }]);
  });

  it("takes the replaced Butter scheduler's form, -job cleanup_stuck_generation: the same job, its slot already run", async () => {
    const run = await schedulerRun('cleanup_stuck_generation', env, '-job');
    expect(run.code, run.stderr).toBe(0);
    expect(JSON.parse(run.stdout.trim().split('\n').at(-1)!)).toMatchObject({ outcome: 'taken' });
  });

  it('exits 2 naming the jobs for an unknown job', async () => {
    const r = await schedulerRun('nope', env);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('auto_generate_content');
  });
});
