import { describe, expect, it, inject } from 'vitest';
import { freePort } from '@reelforge/local-infra';
import { startServiceProcess } from '@reelforge/testing';

// Bad configuration stops the boot with one readable line and a non-zero exit, not a stack dump.
describe('content-orchestrator refuses to start on bad configuration', () => {
  const run = async (env: Record<string, string>) => {
    const p = startServiceProcess('content-orchestrator', { HEALTH_PORT: '0', ...env });
    const { code } = await p.exited;
    return { code, lines: p.output.filter((l) => l.trim()) };
  };

  it('names the bad variables', async () => {
    const { code, lines } = await run({
      DATABASE_URL: 'mysql://nope',
      NATS_URL: inject('natsUrl'),
      LOCK_EXPIRY: 'soon',
    });
    expect(code).toBe(1);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(
      /^content-orchestrator: cannot start: invalid configuration: DATABASE_URL=.*postgres.*; LOCK_EXPIRY="soon" is not a duration/,
    );
  });

  it('says which NATS it cannot reach', async () => {
    const port = await freePort(); // nothing listens there
    const { code, lines } = await run({ DATABASE_URL: inject('databaseUrl'), NATS_URL: `nats://127.0.0.1:${port}` });
    expect(code).toBe(1);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain(`cannot connect to NATS at nats://127.0.0.1:${port}`);
  });

  it('says which database it cannot reach', async () => {
    const port = await freePort();
    const { code, lines } = await run({
      DATABASE_URL: `postgres://u:secret@127.0.0.1:${port}/x`,
      NATS_URL: inject('natsUrl'),
    });
    expect(code).toBe(1);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain(`cannot reach the database at postgres://u:***@127.0.0.1:${port}/x`);
    expect(lines[0]).not.toContain('secret');
  });
});
