// `npm start` survives its own crashes: the real launcher (node deploy/local/start.ts) as a process,
// on the test run's NATS and PostgreSQL (a database and NATS namespace of its own, its own data
// directory), with the real six services and ffmpeg. A repurposer SIGKILLed mid-render is restarted
// by the launcher and the task completes exactly once; a second launcher on the same data
// directory is refused.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it, inject } from 'vitest';
import { eventually, makeTestVideo, processesWorkingInDirNamed, serveFiles, uniqueToken } from '@reelforge/testing';
import { signDevToken } from '../../services/gateway/src/auth/dev-token.ts';
import { readStatus, type StackStatus } from '../local/status.ts';
import { startLauncher, type LauncherProcess } from './support/launcher-process.ts';

const JWT_SECRET = 'supervisor-test-secret-0123456789abcdef';

interface Task {
  id: string;
  status: string;
  stage: string;
  attempts: { attempt: number; finishedAt: string | null }[];
}

async function admin<T>(databaseUrl: string, sql: string): Promise<T[]> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    return (await client.query(sql)).rows as T[];
  } finally {
    await client.end();
  }
}

/** Every path under `dir` with its size and mtime: what "untouched" means. */
function snapshot(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .sort()
    .map((path) => {
      const stat = statSync(join(dir, path));
      return `${path} ${stat.size} ${stat.mtimeMs}`;
    });
}

/** The PID of a process that has exited: what a crashed launcher leaves in its lock. */
async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', ''], { stdio: 'ignore' });
  await new Promise((resolve) => child.once('exit', resolve));
  return child.pid!;
}

/** An idle process whose command line names a service's main.ts, as a crashed launcher's orphan has. */
async function orphanLike(service: string): Promise<ChildProcess> {
  const child = spawn(
    process.execPath,
    ['-e', 'console.log("up"); setInterval(() => {}, 1000)', `/app/services/${service}/src/main.ts`],
    { stdio: ['ignore', 'pipe', 'ignore'] },
  );
  await new Promise((resolve) => child.stdout.once('data', resolve));
  return child;
}

describe('npm start supervises its services (real launcher, real crash)', () => {
  const token = uniqueToken('sup');
  let dataDir: string;
  let mediaDir: string;
  let databaseUrl: string;
  let files: Awaited<ReturnType<typeof serveFiles>>;
  let launcher: LauncherProcess;
  let env: Record<string, string>;
  let stalePid: number;
  let orphan: ChildProcess;
  let orphanExit: Promise<NodeJS.Signals | null>;
  const status = (): StackStatus => {
    const s = readStatus(join(dataDir, 'stack.json'));
    if (!s) throw new Error('no stack.json');
    return s;
  };

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'reelforge-launcher-'));
    mediaDir = mkdtempSync(join(tmpdir(), 'reelforge-launcher-src-'));
    // A database of its own: the launcher's services use their default schemas.
    await admin(inject('databaseUrl'), `create database ${token}`);
    const url = new URL(inject('databaseUrl'));
    url.pathname = `/${token}`;
    databaseUrl = url.toString();
    // A crashed launcher's lock, and a service it left running: the new launcher takes the lock over
    // and stops the orphan.
    stalePid = await deadPid();
    writeFileSync(join(dataDir, 'launcher.lock'), `${stalePid}\n`);
    orphan = await orphanLike('notifier');
    orphanExit = new Promise((resolve) => orphan.once('exit', (_code, signal) => resolve(signal)));
    const previous: StackStatus = {
      launcherPid: stalePid,
      gatewayUrl: null,
      services: { notifier: { pid: orphan.pid!, starts: 1 } },
      servers: {},
    };
    writeFileSync(join(dataDir, 'stack.json'), JSON.stringify(previous));
    env = {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '/root',
      REELFORGE_DATA_DIR: dataDir,
      NATS_URL: inject('natsUrl'),
      NATS_NAMESPACE: token,
      DATABASE_URL: databaseUrl,
      JWT_SECRET,
      LOG_LEVEL: 'info',
      // A killed worker's job comes back after 3 s instead of 60 s.
      TASK_ACK_WAIT: '3s',
      TASK_WORKER_COUNT: '1',
    };
    launcher = startLauncher(env);
    // Made while the stack boots; long enough that the render is still going when the repurposer is killed.
    const [video] = await Promise.all([
      makeTestVideo(inject('ffmpegPath'), join(mediaDir, 'source.mp4'), { seconds: 12, width: 1280, height: 720 }),
      launcher.waitForLine(/Reelforge is up/, 60_000),
    ]);
    files = await serveFiles({ 'source.mp4': video });
  }, 120_000);

  afterAll(async () => {
    orphan?.kill('SIGKILL');
    if (launcher && launcher.child.exitCode === null && launcher.child.signalCode === null) {
      const launcherPid = readStatus(join(dataDir, 'stack.json'))?.launcherPid;
      launcher.child.kill('SIGTERM');
      const timer = setTimeout(() => {
        // Last resort: the stack's whole process group (it and its services).
        if (launcherPid) process.kill(-launcherPid, 'SIGKILL');
        launcher.child.kill('SIGKILL');
      }, 30_000);
      await launcher.exited;
      clearTimeout(timer);
    }
    await files?.close();
    await admin(inject('databaseUrl'), `drop database if exists ${token} with (force)`).catch(() => undefined);
    rmSync(dataDir, { recursive: true, force: true });
    rmSync(mediaDir, { recursive: true, force: true });
  }, 60_000);

  it('took over the stale lock of a launcher that had died, and stopped the service it had left running', async () => {
    await launcher.waitForLine(new RegExp(`previous launcher \\(PID ${stalePid}\\) is gone: took over its lock`), 1000);
    expect(readFileSync(join(dataDir, 'launcher.lock'), 'utf8').trim()).toBe(String(status().launcherPid));
    await launcher.waitForLine(new RegExp(`stopped the previous launcher's notifier \\(PID ${orphan.pid}\\)`), 1000);
    expect(await orphanExit).toBe('SIGTERM');
  });

  it('serves the compatibility surfaces to the dev principal from this machine only (docs/compat.md)', async () => {
    const gateway = status().gatewayUrl!;
    const local = await fetch(`${gateway}/api/jobs`);
    expect(local.status).toBe(200);
    expect(await local.json()).toEqual({ jobs: [], count: 0 });
    const elsewhere = await fetch(`${gateway}/api/jobs`, { headers: { origin: 'https://evil.example' } });
    expect(elsewhere.status).toBe(401);
  });

  it('restarts a repurposer SIGKILLed mid-render; the task completes exactly once', async () => {
    const before = status();
    const gateway = before.gatewayUrl!;
    const bearer = await signDevToken(JWT_SECRET, 'supervisor-test', { roles: ['admin'] });
    const call = async <T>(path: string, body?: unknown): Promise<{ status: number; json: T }> => {
      const res = await fetch(`${gateway}${path}`, {
        method: body === undefined ? 'GET' : 'POST',
        headers: {
          authorization: `Bearer ${bearer}`,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      return { status: res.status, json: (await res.json()) as T };
    };

    const account = await call<{ id: string }>('/api/v1/accounts', { name: 'Supervised' });
    expect(account.status).toBe(201);
    // One explicit 10 s clip: exactly one clip when it completes.
    const created = await call<Task>('/api/v1/tasks', {
      accountId: account.json.id,
      url: files.url('source.mp4'),
      options: { segments: [{ parts: [{ start: 0, end: 10 }] }], width: 720, preset: 'medium' },
    });
    expect(created.status).toBe(202);
    const taskId = created.json.id;
    const task = async () => (await call<Task>(`/api/v1/tasks/${taskId}`)).json;
    // Mid-render: the task is rendering and its ffmpeg runs (in the task's own directory).
    await eventually(
      'the render to start',
      async () => {
        const t = await task();
        return t.status === 'processing' &&
          t.stage === 'rendering' &&
          (await processesWorkingInDirNamed(taskId)).length > 0
          ? true
          : undefined;
      },
      30_000,
      100,
    );

    const killed = before.services.repurposer!.pid!;
    process.kill(killed, 'SIGKILL');
    await launcher.waitForLine(/repurposer killed by SIGKILL after .*; restarting in 1 s/, 10_000);
    const [, restartedPid] = await launcher.waitForLine(/repurposer restarted \(pid (\d+)\)/, 10_000);
    expect(Number(restartedPid)).not.toBe(killed);
    expect(status().services.repurposer).toEqual({ pid: Number(restartedPid), starts: 2 });

    const done = await eventually(
      'the task to complete',
      async () => {
        const t = await task();
        if (t.status === 'failed' || t.status === 'cancelled') throw new Error(`task ${t.status}`);
        return t.status === 'completed' ? t : undefined;
      },
      45_000,
      200,
    );
    // The killed attempt never finished; the one on the restarted repurposer did.
    expect(done.attempts.map((a) => [a.attempt, a.finishedAt !== null])).toEqual([
      [1, false],
      [2, true],
    ]);
    const clips = await call<{ items: { clipIndex: number }[] }>(`/api/v1/tasks/${taskId}/clips`);
    expect(clips.json.items.map((c) => c.clipIndex)).toEqual([0]);

    // Nothing else was restarted, and the launcher kept running.
    const after = status();
    for (const [name, s] of Object.entries(after.services))
      if (name !== 'repurposer') expect(s, name).toEqual(before.services[name]);
    expect(launcher.child.exitCode).toBeNull();
  }, 90_000);

  it('refuses a second launcher on the same data directory, naming the PID, and touches nothing', async () => {
    const before = snapshot(dataDir);
    const second = startLauncher(env);
    const [line] = await second.waitForLine(/^.*already running.*$/, 20_000);
    expect(line).toContain(`PID ${status().launcherPid}`);
    expect((await second.exited).code).toBe(1);
    expect(snapshot(dataDir)).toEqual(before);
    expect(launcher.child.exitCode).toBeNull();
  }, 30_000);

  it('stops on SIGTERM, saying why, and releases the lock', async () => {
    launcher.child.kill('SIGTERM');
    await launcher.waitForLine(/stopping: asked to stop \(SIGTERM\)/, 5000);
    expect(await launcher.exited).toEqual({ code: 0, signal: null });
    expect(launcher.output.some((l) => /launcher\s+stopped$/.test(l))).toBe(true);
    expect(existsSync(join(dataDir, 'launcher.lock'))).toBe(false);
    expect(existsSync(join(dataDir, 'stack.json'))).toBe(false);
  }, 40_000);
});
