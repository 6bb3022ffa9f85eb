import { spawn } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { bootService, type BootedService } from '@reelforge/service-kit';
import { makeTestVideo, memoryLogger, uniqueToken } from '@reelforge/testing';
import { gatewayService } from '@reelforge/gateway';
import { orchestratorService } from '@reelforge/content-orchestrator';
import { repurposerService } from '@reelforge/repurposer';

// The `reelforge` command run as a child process (the way a user runs it) against the real gateway,
// orchestrator and repurposer booted in this process on the run's NATS, PostgreSQL and ffmpeg.

const CLI = fileURLToPath(new URL('../src/main.ts', import.meta.url));
const JWT_SECRET = 'cli-test-secret-cli-test-secret-0123456789';
const UUID = '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}';

/** An HS256 token as the gateway's dev tokens are made (sub = the tenant). */
function signToken(subject: string, secret = JWT_SECRET): string {
  const part = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
  const now = Math.floor(Date.now() / 1000);
  const unsigned = `${part({ alg: 'HS256', typ: 'JWT' })}.${part({ sub: subject, roles: [], iat: now, exp: now + 3600 })}`;
  return `${unsigned}.${createHmac('sha256', secret).update(unsigned).digest('base64url')}`;
}

interface Finished {
  code: number | null;
  stdout: string;
  stderr: string;
  ms: number;
}

describe('reelforge CLI against the real services', () => {
  let dir: string;
  let configFile: string;
  let gatewayUrl: string;
  let token: string;
  let accountId: string;
  const booted: BootedService<{ DB_SCHEMA: string }>[] = [];

  /** Starts the CLI: no REELFORGE_* from this process leaks in, only what the test gives. */
  function startCli(args: string[], env: Record<string, string> = {}) {
    const started = Date.now();
    const child = spawn(process.execPath, [CLI, ...args], {
      cwd: dir,
      env: { PATH: process.env.PATH ?? '', HOME: dir, REELFORGE_CONFIG: configFile, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    const watchers: (() => void)[] = [];
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      for (const w of [...watchers]) w();
    });
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const done = new Promise<Finished>((resolve) =>
      child.on('close', (code) => resolve({ code, stdout, stderr, ms: Date.now() - started })),
    );
    return {
      done,
      /** The first match of `pattern` in stdout, once it is there. */
      waitForOutput(pattern: RegExp, timeoutMs = 60_000): Promise<RegExpExecArray> {
        return new Promise((resolve, reject) => {
          const timer = setTimeout(
            () => reject(new Error(`no ${pattern} in the CLI's output within ${timeoutMs} ms:\n${stdout}\n${stderr}`)),
            timeoutMs,
          );
          const check = () => {
            const m = pattern.exec(stdout);
            if (!m) return;
            clearTimeout(timer);
            watchers.splice(watchers.indexOf(check), 1);
            resolve(m);
          };
          watchers.push(check);
          check();
        });
      },
      kill: () => child.kill('SIGKILL'),
    };
  }
  const cli = (args: string[], env: Record<string, string> = {}) => startCli(args, env).done;

  const api = async (path: string, init: RequestInit = {}) => {
    const res = await fetch(`${gatewayUrl}${path}`, {
      ...init,
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', ...init.headers },
    });
    expect(res.ok, `${path}: ${res.status}`).toBe(true);
    return res.json();
  };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'reelforge-cli-'));
    configFile = join(dir, 'config', 'reelforge.json');
    const ns = uniqueToken();
    const media = join(dir, 'media');
    const env: Record<string, string> = {
      DATABASE_URL: inject('databaseUrl'),
      NATS_URL: inject('natsUrl'),
      NATS_NAMESPACE: ns,
      NATS_STREAM_MAX_BYTES: String(16 * 1024 * 1024),
      LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'info',
      HEALTH_PORT: '0',
      PORT: '0',
      JWT_SECRET,
      MEDIA_ROOT: media,
      TEMP_DIR: join(media, '.tmp'),
      SOURCE_URL_ALLOW_PRIVATE: 'true',
      RATE_LIMIT_PER_IP_PER_MINUTE: '1000000',
      AUTH_FAILURES_PER_MINUTE: '1000000',
      FFMPEG_PATH: inject('ffmpegPath'),
      FFPROBE_PATH: inject('ffprobePath'),
      ESPEAK_NG_PATH: inject('espeakPath'),
      TASK_WORKER_COUNT: '1',
      TASK_ACK_WAIT: '4s',
    };
    const { log } = memoryLogger('cli-test');
    // As services/gateway/test/support/stack.ts boots them (that helper is the gateway's own test code).
    for (const [def, schema] of [
      [orchestratorService, 'orchestrator'],
      [repurposerService, 'repurposer'],
      [gatewayService, 'gateway'],
    ] as const) {
      booted.push(
        (await bootService(
          def as never,
          { ...env, DB_SCHEMA: `${ns}_${schema}` },
          { log },
        )) as unknown as BootedService<{
          DB_SCHEMA: string;
        }>,
      );
    }
    gatewayUrl = `http://127.0.0.1:${booted.at(-1)!.port}`;
    token = signToken(`cli-tenant-${ns}`);
    accountId = (
      (await api('/api/v1/accounts', { method: 'POST', body: JSON.stringify({ name: 'CLI account' }) })) as {
        id: string;
      }
    ).id;
  });

  afterAll(async () => {
    for (const s of booted.reverse()) await s.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('login checks the token and stores it readable by the user only; a bad token exits 3', async () => {
    const ok = await cli(['login', '--url', `${gatewayUrl}/`, '--token', token]);
    expect(ok.stderr).toBe('');
    expect(ok.code).toBe(0);
    expect(ok.stdout).toContain(`logged in to ${gatewayUrl} (1 account)`);
    expect(statSync(configFile).mode & 0o777).toBe(0o600);
    expect(JSON.parse(readFileSync(configFile, 'utf8'))).toEqual({ url: gatewayUrl, token });

    const bad = await cli(['login', '--url', gatewayUrl, '--token', signToken('someone', `${JWT_SECRET}-other`)]);
    expect(bad.code).toBe(3);
    expect(bad.stderr).toMatch(/^reelforge: UNAUTHENTICATED \(HTTP 401\): /);
    // The stored credentials are left as they were.
    expect(JSON.parse(readFileSync(configFile, 'utf8'))).toEqual({ url: gatewayUrl, token });
    // REELFORGE_TOKEN overrides the file.
    expect((await cli(['accounts'], { REELFORGE_TOKEN: signToken('x', `${JWT_SECRET}-other`) })).code).toBe(3);
    // A key that is not shaped like one is refused before any request.
    const notKey = await cli(['login', '--url', gatewayUrl, '--api-key', 'nope']);
    expect(notKey.code).toBe(2);
    console.log(`login: ${ok.ms} ms, bad token: ${bad.ms} ms`);
  });

  it('accounts lists the tenant’s account (table and --json)', async () => {
    const table = await cli(['accounts']);
    expect(table.code).toBe(0);
    expect(table.stdout.split('\n')[0]).toMatch(/^ID\s+NAME\s+TIMEZONE\s+CREATED$/);
    expect(table.stdout).toMatch(new RegExp(`^${accountId}\\s+CLI account\\s+`, 'm'));
    const json = await cli(['accounts', '--json']);
    expect(JSON.parse(json.stdout)).toMatchObject({ items: [{ id: accountId, name: 'CLI account' }] });
  });

  it('accounts create makes an account and prints its id; a wrong action or no name is a usage error', async () => {
    const other = { REELFORGE_TOKEN: signToken('cli-second-tenant', JWT_SECRET) };
    const made = await cli(['accounts', 'create', 'Second channel'], other);
    expect(made.code).toBe(0);
    const id = made.stdout.trim();
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    const listed = JSON.parse((await cli(['accounts', '--json'], other)).stdout) as { items: { id: string }[] };
    expect(listed.items.map((a) => a.id)).toEqual([id]);
    for (const args of [
      ['accounts', 'delete', 'x'],
      ['accounts', 'create'],
      ['accounts', 'create', '  '],
    ]) {
      const bad = await cli(args, other);
      expect(bad.code, args.join(' ')).toBe(2);
      expect(bad.stderr).toMatch(/unknown action 'delete'|missing name/);
    }
  });

  let taskId: string;
  let contentId: string;

  it('upload + generate --watch follow a short video to completion: 100 %, the task’s final status, exit 0', async () => {
    const video = await makeTestVideo(inject('ffmpegPath'), join(dir, 'short.mp4'), { seconds: 2 });
    const up = await cli(['upload', video]);
    expect(up.code).toBe(0);
    const uploadId = up.stdout.trim();
    expect(uploadId).toMatch(new RegExp(`^${UUID}$`));
    expect(up.stderr).toMatch(/^uploaded video 640x360, 2\.\d s, \d+ bytes/);

    const gen = await cli([
      'generate',
      '--account',
      accountId,
      '--upload',
      uploadId,
      '--clips',
      '1',
      '--options',
      '{"width":360,"preset":"ultrafast"}',
      '--watch',
    ]);
    expect(gen.stderr).toBe('');
    expect(gen.code).toBe(0);
    const generationId = new RegExp(`^generation (${UUID}) started: 1 task`, 'm').exec(gen.stdout)![1]!;
    // Plain lines (stdout is a pipe): the progress reaches 100 % and the task's final status is printed.
    expect(gen.stdout).toMatch(new RegExp(`^completed +\\[#{20}\\] 100%  task ${UUID}$`, 'm'));
    expect(gen.stdout).not.toContain('\x1b[');
    const final = new RegExp(`^task (${UUID}): completed \\(clips: (${UUID})\\)$`, 'm').exec(gen.stdout)!;
    taskId = final[1]!;
    contentId = final[2]!;
    expect(gen.stdout).toContain(`generation ${generationId}: completed (1/1 completed, 0 failed, 0 cancelled)`);
    console.log(`upload: ${up.ms} ms, generate --watch: ${gen.ms} ms\n${gen.stdout}`);
  });

  it('tasks lists the task with its status, filters by status, and prints JSON', async () => {
    const listed = await cli(['tasks', '--account', accountId]);
    expect(listed.code).toBe(0);
    expect(listed.stdout).toMatch(new RegExp(`^${taskId}\\s+completed\\s+completed\\s+100%\\s+${accountId}\\s`, 'm'));
    const failed = await cli(['tasks', '--status', 'failed']);
    expect(failed.stdout).toBe('no tasks\n');
    const json = JSON.parse((await cli(['tasks', '--json'])).stdout);
    expect(json.items.map((t: { id: string }) => t.id)).toEqual([taskId]);
  });

  it('download writes the clip to a file of exactly its size; retry of a completed task exits 1 with the API error', async () => {
    const content = (await api(`/api/v1/content/${contentId}`)) as { sizeBytes: number };
    const target = join(dir, 'clip.mp4');
    const got = await cli(['download', contentId, '-o', target]);
    expect(got.stderr).toBe('');
    expect(got.code).toBe(0);
    expect(statSync(target).size).toBe(content.sizeBytes);
    expect(got.stdout).toBe(`${target} (${content.sizeBytes} bytes)\n`);

    const retry = await cli(['retry', taskId]);
    expect(retry.code).toBe(1);
    expect(retry.stderr).toMatch(/^reelforge: CONFLICT \(HTTP 409\): /);
    console.log(`download: ${got.ms} ms`);
  });

  it('cancel stops a running task, and generate --watch on it exits 1', async () => {
    const video = await makeTestVideo(inject('ffmpegPath'), join(dir, 'long.mp4'), { seconds: 20 });
    const uploadId = (await cli(['upload', video])).stdout.trim();
    const watching = startCli([
      'generate',
      '--account',
      accountId,
      '--upload',
      uploadId,
      '--options',
      '{"width":720,"preset":"medium"}',
      '--watch',
    ]);
    // Any stage of a processing task (downloading, probing, analyzing, rendering): ffmpeg is at work.
    const running = await watching.waitForOutput(
      new RegExp(`^(?:downloading|probing|transcribing|analyzing|rendering) .* task (${UUID})$`, 'm'),
    );
    const runningTask = running[1]!;
    const cancel = await cli(['cancel', runningTask]);
    expect(cancel.stderr).toBe('');
    expect(cancel.code).toBe(0);
    // Running, so it is cancelling until its ffmpeg is gone.
    expect(cancel.stdout).toMatch(new RegExp(`^task ${runningTask}: cancelling `));

    const watched = await watching.done;
    expect(watched.code).toBe(1);
    expect(watched.stdout).toContain(`task ${runningTask}: cancelled`);
    expect(watched.stdout).toMatch(/^generation \S+: cancelled \(0\/1 completed, 0 failed, 1 cancelled\)$/m);
    expect(watched.stderr).toMatch(/^reelforge: generation \S+ ended cancelled$/m);
    console.log(`generate --watch, cancelled: ${watched.ms} ms, cancel: ${cancel.ms} ms\n${watched.stdout}`);
  }, 180_000);

  it('a usage error exits 2 with a one-line reason and the usage', async () => {
    const bad = await cli(['generate', '--account', accountId, '--url', 'ftp://example.com/a.mp4']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toBe(
      "reelforge: --url must be an http(s) URL, got 'ftp://example.com/a.mp4'\n" +
        'usage: reelforge generate --account <id> (--upload <id> | --url <source url>) [--clips N] [--type T] [--options JSON] [--watch] [--json]\n',
    );
    expect((await cli(['tasks', '--bogus'])).code).toBe(2);
    expect((await cli(['cancel'])).code).toBe(2);
    expect((await cli(['frobnicate'])).code).toBe(2);
    const help = await cli(['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('usage: reelforge <command>');
  });

  it('an unreachable gateway exits 4', async () => {
    // A port that was free a moment ago: nothing listens there.
    const port = await new Promise<number>((resolve) => {
      const server = createServer().listen(0, '127.0.0.1', () => {
        const { port: p } = server.address() as { port: number };
        server.close(() => resolve(p));
      });
    });
    const down = await cli(['accounts'], { REELFORGE_URL: `http://127.0.0.1:${port}` });
    expect(down.code).toBe(4);
    expect(down.stderr).toMatch(
      /^reelforge: cannot reach the gateway \(GET http:\/\/127\.0\.0\.1:\d+\/api\/v1\/accounts\): ECONNREFUSED\n$/,
    );
    const login = await cli(['login', '--url', `http://127.0.0.1:${port}`, '--token', token]);
    expect(login.code).toBe(4);
  });
});
