import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DomainError } from '@reelforge/contracts';
import { apiKeyRoles, requireOperator } from '../src/auth/roles.ts';
import { apiClient } from './support/api-client.ts';
import { startStack, type Stack } from './support/stack.ts';

type ErrorBody = { error: { code: string; message: string; details?: Record<string, unknown> } };

describe('role rules', () => {
  it('only operator passes an operator check; admin does not', () => {
    expect(() => requireOperator({ id: 't', roles: ['operator'] }, 'x')).not.toThrow();
    expect(() => requireOperator({ id: 't', roles: ['admin'] }, 'running jobs')).toThrow(
      new DomainError('FORBIDDEN', 'running jobs needs the operator role', { requiredRole: 'operator' }),
    );
  });

  it("gives a key the asked-for roles the maker holds, else the maker's without operator", () => {
    expect(apiKeyRoles({ id: 't', roles: ['admin'] }, undefined)).toEqual(['admin']);
    expect(apiKeyRoles({ id: 't', roles: ['operator', 'admin'] }, undefined)).toEqual(['admin']);
    expect(apiKeyRoles({ id: 't', roles: ['operator', 'admin'] }, ['operator'])).toEqual(['operator']);
    expect(apiKeyRoles({ id: 't', roles: ['admin'] }, [])).toEqual([]);
    expect(() => apiKeyRoles({ id: 't', roles: ['admin'] }, ['admin', 'operator'])).toThrow(/"operator"/);
  });
});

// Operator is the system-wide role; a tenant's admin has no power outside its tenant, and an API
// key never carries more than its maker.
describe('operator and tenant admin', () => {
  let stack: Stack;
  const json = (method: string, body: unknown): RequestInit => ({ method, body: JSON.stringify(body) });
  const OPERATOR_ROUTES: [string, RequestInit][] = [
    ['/api/v1/jobs/cleanup-stuck-generations/run', { method: 'POST' }],
    ['/api/v1/jobs/runs', {}],
    [
      '/api/v1/recipes',
      json('POST', { name: 'Top moments', kind: 'clips', sourcePool: { kind: 'library', tag: 'podcast' } }),
    ],
  ];
  const as = async (subject: string, roles: string[]) =>
    apiClient(stack.gatewayUrl, await stack.bearer(subject, roles));
  const createKey = async (maker: ReturnType<typeof apiClient>, body: Record<string, unknown>) => {
    const res = await maker.post('/api/v1/api-keys', body);
    return { status: res.status, body: (await res.json()) as { id: string; key: string; roles: string[] } & ErrorBody };
  };
  const runCleanup = (bearer: string) =>
    apiClient(stack.gatewayUrl, bearer).post('/api/v1/jobs/cleanup-stuck-generations/run', undefined);

  beforeAll(async () => {
    stack = await startStack({ withRepurposer: false });
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it('refuses a tenant admin on every operator route, naming the role', async () => {
    const admin = await as('tenant-a', ['admin']);
    for (const [path, init] of OPERATOR_ROUTES) {
      const res = await admin.call(path, init);
      expect(res.status, path).toBe(403);
      const body = (await res.json()) as ErrorBody;
      expect(body.error.code).toBe('FORBIDDEN');
      expect(body.error.message).toContain('needs the operator role');
    }
  });

  it('lets an operator through the same checks', async () => {
    const operator = await as('ops', ['operator']);
    expect((await operator.post('/api/v1/jobs/cleanup-stuck-generations/run', undefined)).status).toBe(200);
    // Past the role check, these reach owners this stack does not run (scheduler, backlog-keeper): 503, not 403.
    expect((await operator.call('/api/v1/jobs/runs')).status).toBe(503);
    expect((await operator.call(...OPERATOR_ROUTES[2]!)).status).toBe(503);
  });

  it("gives an admin's key ['admin'] by default, which cannot run jobs either", async () => {
    const admin = await as('tenant-b', ['admin']);
    const created = await createKey(admin, { name: 'ci' });
    expect(created.status).toBe(201);
    expect(created.body.roles).toEqual(['admin']);
    const listed = (await (await admin.call('/api/v1/api-keys')).json()) as {
      items: { id: string; roles: string[] }[];
    };
    expect(listed.items.find((k) => k.id === created.body.id)?.roles).toEqual(['admin']);
    expect((await runCleanup(created.body.key)).status).toBe(403);
  });

  it('refuses a key role its maker does not hold, naming it, and makes no key', async () => {
    const admin = await as('tenant-c', ['admin']);
    for (const roles of [['operator'], ['admin', 'billing']]) {
      const refused = await createKey(admin, { name: 'escalate', roles });
      expect(refused.status).toBe(403);
      expect(refused.body.error.code).toBe('FORBIDDEN');
      const missing = roles.at(-1)!;
      expect(refused.body.error.message).toContain(`"${missing}"`);
      expect(refused.body.error.details).toEqual({ role: missing });
    }
    expect(((await (await admin.call('/api/v1/api-keys')).json()) as { items: unknown[] }).items).toEqual([]);
  });

  it("leaves operator out of an operator's default key; an explicit operator key works", async () => {
    const operator = await as('ops-tenant', ['operator', 'admin']);
    const everyday = await createKey(operator, { name: 'everyday' });
    expect(everyday.body.roles).toEqual(['admin']);
    expect((await runCleanup(everyday.body.key)).status).toBe(403);

    const system = await createKey(operator, { name: 'cron', roles: ['operator'] });
    expect(system.status).toBe(201);
    expect(system.body.roles).toEqual(['operator']);
    expect((await runCleanup(system.body.key)).status).toBe(200);

    // The roles the API reports are the ones each key acts with.
    const listed = (await (await operator.call('/api/v1/api-keys')).json()) as {
      items: { id: string; roles: string[] }[];
    };
    expect(Object.fromEntries(listed.items.map((k) => [k.id, k.roles]))).toEqual({
      [everyday.body.id]: ['admin'],
      [system.body.id]: ['operator'],
    });
  });
});
