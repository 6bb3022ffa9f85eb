import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '@reelforge/testing';
import { startStack, type Stack } from './support/stack.ts';

// A gateway whose status fan-out cannot read its stream would still accept sockets and deliver
// nothing; readiness says so, so the orchestrator of pods stops sending it clients.
describe('gateway readiness follows the status fan-out', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ withRepurposer: false, withOrchestrator: false });
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it('is ready with the fan-out reading, and not ready once its stream is gone', async () => {
    const ready = await fetch(`${stack.gatewayUrl}/readyz`);
    expect(ready.status).toBe(200);
    expect(JSON.stringify(await ready.json())).toContain('status-fanout');
    const m = stack.gateway.platform.messaging;
    await m.jsm.streams.delete(m.stream('TASKS'));
    const report = await eventually(
      'readiness to fail',
      async () => {
        const res = await fetch(`${stack.gatewayUrl}/readyz`);
        return res.status === 503 ? await res.json() : undefined;
      },
      30_000,
      200,
    );
    expect(JSON.stringify(report)).toMatch(/status-fanout.*TASKS/);
  });
});
