// The whole system on one machine: NATS, PostgreSQL and the six services, with data under .data/.
// Run through start.ts, which keeps this process group away from the terminal's Ctrl-C so that the
// shutdown happens in order here: services first (they drain), then NATS, then PostgreSQL.
import { DEFAULT_FONT_FAMILY } from '@reelforge/contracts';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { join, resolve } from 'node:path';
import { ensureFontFamily, ensureTool, freePort, generateNatsCredentials, MissingToolError, startEmbeddedPostgres, startNatsServer, stopChild, toolVersion, TOOLS, type NatsCredentials, type RunningNats, type RunningPostgres } from '@reelforge/local-infra';
import { redactNatsUrl } from '@reelforge/messaging';
import { signDevToken } from '../../services/gateway/src/auth/dev-token.ts';
import { formatLine } from './log-format.ts';

const root = resolve(import.meta.dirname, '..', '..');
const data = join(root, '.data');
const color = process.stdout.isTTY;
const say = (line: string) => process.stdout.write(`${formatLine('launcher', 6, line, color)}\n`);

const SERVICES = [
  { name: 'content-orchestrator', healthPort: 8081 },
  { name: 'repurposer', healthPort: 8082 },
  { name: 'backlog-keeper', healthPort: 8083 },
  { name: 'notifier', healthPort: 8084 },
  { name: 'scheduler', healthPort: 8085 },
  { name: 'gateway', healthPort: undefined },
] as const;

/** Uses `preferred` when free, else any free port (a second stack or a system server may hold it). */
async function portNear(preferred: number): Promise<number> {
  const { createServer } = await import('node:net');
  const free = await new Promise<boolean>((ok) => {
    const s = createServer().once('error', () => ok(false)).listen(preferred, '127.0.0.1', () => s.close(() => ok(true)));
  });
  return free ? preferred : freePort();
}

function readOrCreateSecret(): string {
  const file = join(data, 'jwt-secret');
  if (process.env.JWT_SECRET) return process.env.JWT_SECRET;
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  const secret = randomBytes(32).toString('hex');
  writeFileSync(file, `${secret}\n`, { mode: 0o600 });
  return secret;
}

/**
 * The local NATS's user and password: generated once into .data/nats-credentials (owner-only, like
 * the JWT secret) and reused, so a restart keeps the same login.
 */
function readOrCreateNatsCredentials(): NatsCredentials {
  const file = join(data, 'nats-credentials');
  if (existsSync(file)) {
    const saved = JSON.parse(readFileSync(file, 'utf8')) as Partial<NatsCredentials>;
    if (typeof saved.user === 'string' && typeof saved.password === 'string') return { user: saved.user, password: saved.password };
  }
  const credentials = generateNatsCredentials();
  writeFileSync(file, `${JSON.stringify(credentials)}\n`, { mode: 0o600 });
  return credentials;
}

async function waitReady(url: string, child: ChildProcess, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`exited with code ${child.exitCode} before it was ready`);
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(1000) });
      if (res.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`not ready after ${timeoutMs} ms (${url})`);
}

async function main(): Promise<void> {
  mkdirSync(data, { recursive: true });
  const children: { name: string; child: ChildProcess }[] = [];
  let nats: RunningNats | undefined;
  let pg: RunningPostgres | undefined;
  let stopping: Promise<void> | undefined;

  const stopAll = (code: number) => {
    stopping ??= (async () => {
      say('stopping …');
      await Promise.all(children.map(({ child }) => stopChild(child, 25_000)));
      await nats?.stop();
      await pg?.stop();
      say('stopped');
      process.exit(code);
    })();
    return stopping;
  };
  process.on('SIGINT', () => void stopAll(0));
  process.on('SIGTERM', () => void stopAll(0));

  try {
    const ffmpeg = ensureTool(TOOLS.ffmpeg, say);
    const ffprobe = ensureTool(TOOLS.ffprobe, say);
    ensureFontFamily(DEFAULT_FONT_FAMILY, say);
    say(`ffmpeg: ${toolVersion(ffmpeg, ['-version'])}`);

    // A given NATS_URL (and any NATS_USER/NATS_PASSWORD/… in the environment) is passed on as is;
    // the local server runs with authorization on, its login handed to the services as NATS_USER/NATS_PASSWORD.
    const natsUrl = process.env.NATS_URL ?? (nats = await startNatsServer({ storeDir: join(data, 'nats'), port: await portNear(14222), auth: readOrCreateNatsCredentials(), log: say })).url;
    const natsLogin: Record<string, string> = nats?.credentials ? { NATS_USER: nats.credentials.user, NATS_PASSWORD: nats.credentials.password } : {};
    say(`NATS: ${redactNatsUrl(natsUrl)}${nats ? ` (local nats-server, JetStream store in .data/nats, user ${nats.credentials?.user ?? '?'}, password in .data/nats-credentials)` : ''}`);
    const databaseUrl =
      process.env.DATABASE_URL ?? (pg = await startEmbeddedPostgres({ dataDir: join(data, 'pg'), port: await portNear(15432), database: 'reelforge', durable: true, log: say })).url;
    say(`PostgreSQL: ${databaseUrl.replace(/:[^:@/]+@/, ':***@')}${pg ? ' (embedded, data in .data/pg)' : ''}`);

    const jwtSecret = readOrCreateSecret();
    const gatewayPort = Number(process.env.PORT ?? (await portNear(8080)));
    const baseEnv: Record<string, string> = {
      ...(process.env as Record<string, string>),
      NATS_URL: natsUrl,
      ...natsLogin,
      DATABASE_URL: databaseUrl,
      FFMPEG_PATH: ffmpeg,
      FFPROBE_PATH: ffprobe,
      MEDIA_ROOT: process.env.MEDIA_ROOT ?? join(data, 'media'),
      TEMP_DIR: process.env.TEMP_DIR ?? join(data, 'tmp'),
      JWT_SECRET: jwtSecret,
      PORT: String(gatewayPort),
      LOG_LEVEL: process.env.LOG_LEVEL ?? 'info',
      // Local development fetches sources from localhost too.
      SOURCE_URL_ALLOW_PRIVATE: process.env.SOURCE_URL_ALLOW_PRIVATE ?? 'true',
    };

    const ready: Promise<void>[] = [];
    for (const [index, svc] of SERVICES.entries()) {
      const healthPort = svc.healthPort ? await portNear(svc.healthPort) : gatewayPort;
      const env = { ...baseEnv, HEALTH_PORT: String(healthPort), OTEL_SERVICE_NAME: svc.name };
      const child = spawn(process.execPath, [join(root, 'services', svc.name, 'src', 'main.ts')], { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
      children.push({ name: svc.name, child });
      for (const stream of [child.stdout, child.stderr]) {
        createInterface({ input: stream! }).on('line', (line) => process.stdout.write(`${formatLine(svc.name, index, line, color)}\n`));
      }
      child.on('exit', (code, signal) => {
        if (stopping) return;
        say(`${svc.name} exited (${signal ?? code}); stopping the stack`);
        void stopAll(1);
      });
      ready.push(waitReady(`http://127.0.0.1:${healthPort}/readyz`, child, 60_000).catch((err: Error) => Promise.reject(new Error(`${svc.name}: ${err.message}`))));
    }
    await Promise.all(ready);

    const token = await signDevToken(jwtSecret, 'dev-user', { roles: ['admin', 'operator'] });
    const url = `http://127.0.0.1:${gatewayPort}`;
    process.stdout.write(
      [
        '',
        `  Reelforge is up.`,
        `  Gateway:     ${url}   (readiness: ${url}/readyz)`,
        `  Dev token:   ${token}`,
        `  Try:         curl -H "Authorization: Bearer ${token}" ${url}/api/v1/accounts`,
        `  Stop:        Ctrl-C`,
        '',
      ].join('\n') + '\n',
    );
  } catch (err) {
    const message = err instanceof MissingToolError ? err.message : `could not start: ${err instanceof Error ? err.message : String(err)}`;
    process.stderr.write(`${message}\n`);
    await stopAll(1);
  }
}

void main();
