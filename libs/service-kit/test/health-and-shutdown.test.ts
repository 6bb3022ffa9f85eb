import { afterEach, describe, expect, it } from 'vitest';
import { memoryLogger, deferred } from '@reelforge/testing';
import { startHealthServer, type HealthServer } from '../src/health-server.ts';
import { runReadiness, type ReadinessCheck } from '../src/readiness.ts';
import { createShutdown } from '../src/shutdown.ts';

const never = (): Promise<void> => new Promise<void>(() => undefined);

describe('startHealthServer', () => {
  let server: HealthServer | undefined;

  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  async function start(
    checks: Record<string, ReadinessCheck>,
  ): Promise<(path: string, init?: RequestInit) => Promise<{ status: number; headers: Headers; body: unknown }>> {
    server = await startHealthServer({ host: '127.0.0.1', port: 0, service: 'svc', checks });
    const base = `http://127.0.0.1:${server.port}`;
    return async (path, init) => {
      const res = await fetch(`${base}${path}`, init);
      return { status: res.status, headers: res.headers, body: await res.json() };
    };
  }

  it('listens on the port the OS picked when asked for port 0', async () => {
    await start({});
    expect(server!.port).toBeGreaterThan(0);
  });

  it('/healthz answers 200 while the process runs, whatever the checks say', async () => {
    const get = await start({ database: () => Promise.reject(new Error('down')) });
    const r = await get('/healthz');
    expect(r.status).toBe(200);
    expect(r.body).toEqual({ status: 'ok', service: 'svc' });
    expect(r.headers.get('content-type')).toBe('application/json');
    expect(r.headers.get('cache-control')).toBe('no-store');
  });

  it('/readyz answers 200 and lists each check when all pass', async () => {
    const get = await start({ database: async () => undefined, nats: async () => undefined });
    const r = await get('/readyz');
    expect(r.status).toBe(200);
    expect(r.body).toEqual({
      status: 'ready',
      service: 'svc',
      checks: { database: { ok: true, ms: expect.any(Number) }, nats: { ok: true, ms: expect.any(Number) } },
    });
  });

  it('/readyz answers 503 listing the failing check with its error', async () => {
    const get = await start({
      database: async () => undefined,
      nats: () => Promise.reject(new Error('connection refused')),
    });
    const r = await get('/readyz');
    expect(r.status).toBe(503);
    expect(r.body).toEqual({
      status: 'not_ready',
      service: 'svc',
      checks: {
        database: { ok: true, ms: expect.any(Number) },
        nats: { ok: false, error: 'connection refused', ms: expect.any(Number) },
      },
    });
  });

  it('/readyz reports a check that throws synchronously (not a rejected promise) as failed', async () => {
    const get = await start({
      broken: () => {
        throw new Error('not configured');
      },
    });
    const r = await get('/readyz');
    expect(r.status).toBe(503);
    expect(r.body).toMatchObject({ checks: { broken: { ok: false, error: 'not configured' } } });
  });

  it('/readyz runs the checks again on each probe', async () => {
    let healthy = false;
    const get = await start({
      flaky: async () => {
        if (!healthy) throw new Error('warming up');
      },
    });
    expect((await get('/readyz')).status).toBe(503);
    healthy = true;
    expect((await get('/readyz')).status).toBe(200);
  });

  it('ignores a query string', async () => {
    const get = await start({});
    expect((await get('/healthz?probe=1')).status).toBe(200);
    expect((await get('/readyz?probe=1')).status).toBe(200);
  });

  it('answers an unknown path with a 404 JSON error', async () => {
    const get = await start({});
    const r = await get('/metrics');
    expect(r.status).toBe(404);
    expect(r.headers.get('content-type')).toBe('application/json');
    expect(r.body).toEqual({ error: { code: 'NOT_FOUND', message: expect.any(String) } });
  });

  it('refuses other methods with 405', async () => {
    const get = await start({});
    const r = await get('/healthz', { method: 'POST' });
    expect(r.status).toBe(405);
    expect(r.body).toEqual({ error: { code: 'METHOD_NOT_ALLOWED', message: expect.any(String) } });
  });
});

describe('runReadiness', () => {
  it('reports a check that never answers as failed after the timeout, without holding up the others', async () => {
    const report = await runReadiness({ hangs: never, fine: async () => undefined }, 100);
    expect(report.ready).toBe(false);
    // Only the timeout produces this message: the check was given up on, not answered.
    expect(report.checks.hangs).toEqual({ ok: false, error: 'no answer in 100 ms', ms: expect.any(Number) });
    expect(report.checks.fine).toEqual({ ok: true, ms: expect.any(Number) });
  });

  it('runs the checks at the same time, not one after another', async () => {
    // `first` only passes once `second` has started: run in sequence, it would time out.
    const secondStarted = deferred();
    const report = await runReadiness(
      {
        first: () => secondStarted.promise,
        second: async () => secondStarted.resolve(),
      },
      5_000,
    );
    expect(report).toEqual({
      ready: true,
      checks: { first: { ok: true, ms: expect.any(Number) }, second: { ok: true, ms: expect.any(Number) } },
    });
  });

  it('is ready with no checks', async () => {
    expect(await runReadiness({}, 100)).toEqual({ ready: true, checks: {} });
  });

  it('reports a non-Error rejection as text', async () => {
    const report = await runReadiness({ odd: () => Promise.reject('plain string') }, 100);
    expect(report.checks.odd).toMatchObject({ ok: false, error: 'plain string' });
  });
});

describe('createShutdown', () => {
  it('runs steps in reverse order of registration', async () => {
    const { log } = memoryLogger('test');
    const ran: string[] = [];
    const shutdown = createShutdown(log);
    for (const name of ['telemetry', 'nats', 'database', 'health']) shutdown.add(name, () => void ran.push(name));
    await shutdown.run('test');
    expect(ran).toEqual(['health', 'database', 'nats', 'telemetry']);
  });

  it('waits for each async step before starting the next', async () => {
    const { log } = memoryLogger('test');
    const events: string[] = [];
    const shutdown = createShutdown(log);
    shutdown.add('first-registered', () => void events.push('first-registered'));
    shutdown.add('last-registered', async () => {
      events.push('last-registered:start');
      await Promise.resolve();
      await Promise.resolve();
      events.push('last-registered:end');
    });
    await shutdown.run('test');
    expect(events).toEqual(['last-registered:start', 'last-registered:end', 'first-registered']);
  });

  it('runs once even when run is called twice', async () => {
    const { log, lines } = memoryLogger('test');
    const counts = { a: 0, b: 0 };
    const shutdown = createShutdown(log);
    shutdown.add('a', () => void counts.a++);
    shutdown.add('b', async () => void counts.b++);
    const first = shutdown.run('SIGTERM');
    const second = shutdown.run('SIGINT');
    expect(second).toBe(first);
    await Promise.all([first, second]);
    expect(shutdown.run('again')).toBe(first);
    await shutdown.run('again');
    expect(counts).toEqual({ a: 1, b: 1 });
    const starts = lines().filter((l) => l.msg === 'shutting down');
    expect(starts).toEqual([expect.objectContaining({ reason: 'SIGTERM' })]);
  });

  it('continues past a step that throws or rejects, and logs it', async () => {
    const { log, lines } = memoryLogger('test');
    const ran: string[] = [];
    const shutdown = createShutdown(log);
    shutdown.add('database', () => void ran.push('database'));
    shutdown.add('rejects', async () => {
      ran.push('rejects');
      throw new Error('drain failed');
    });
    shutdown.add('nats', () => void ran.push('nats'));
    shutdown.add('throws', () => {
      ran.push('throws');
      throw new Error('close exploded');
    });
    await expect(shutdown.run('test')).resolves.toBeUndefined();
    expect(ran).toEqual(['throws', 'nats', 'rejects', 'database']);
    const failures = lines().filter((l) => l.msg === 'shutdown step failed');
    expect(failures).toEqual([
      expect.objectContaining({
        level: 40,
        step: 'throws',
        err: expect.objectContaining({ message: 'close exploded' }),
      }),
      expect.objectContaining({
        level: 40,
        step: 'rejects',
        err: expect.objectContaining({ message: 'drain failed' }),
      }),
    ]);
    expect(lines().at(-1)).toMatchObject({ msg: 'stopped' });
  });

  it('bounds a hanging step with its timeout and goes on with the rest', async () => {
    const { log, lines } = memoryLogger('test');
    const ran: string[] = [];
    const shutdown = createShutdown(log, 50);
    shutdown.add('after', () => void ran.push('after'));
    shutdown.add('hangs', () => {
      ran.push('hangs');
      return never();
    });
    shutdown.add('before', () => void ran.push('before'));
    await shutdown.run('test');
    expect(ran).toEqual(['before', 'hangs', 'after']);
    const failures = lines().filter((l) => l.msg === 'shutdown step failed');
    expect(failures).toEqual([
      expect.objectContaining({ step: 'hangs', err: expect.objectContaining({ message: 'timed out after 50 ms' }) }),
    ]);
    expect(lines().at(-1)).toMatchObject({ msg: 'stopped' });
  });
});
