// The whole system on one machine: NATS, PostgreSQL and the six services, with data under .data/
// (or REELFORGE_DATA_DIR). Run through start.ts, which keeps this process group away from the
// terminal's Ctrl-C so that the shutdown happens in order here: services first (they drain), then
// PostgreSQL, then NATS. A service that crashes is restarted (supervise.ts); only Ctrl-C or a crash
// loop stops the stack. One launcher per data directory (lock.ts).
import { DEFAULT_FONT_FAMILY } from '@reelforge/contracts';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { isAbsolute, join, relative, resolve } from 'node:path';
import {
  ensureFontFamily,
  ensureTool,
  freePort,
  generateNatsCredentials,
  MissingToolError,
  startedList,
  startEmbeddedPostgres,
  startNatsServer,
  toolVersion,
  TOOLS,
  type NatsCredentials,
} from '@reelforge/local-infra';
import { redactNatsUrl } from '@reelforge/messaging';
import { signDevToken } from '../../services/gateway/src/auth/dev-token.ts';
import { formatLine } from '@reelforge/telemetry';
import { leftoversOf, stopLeftovers } from './leftovers.ts';
import { acquireLock, StackAlreadyRunningError, type Lock } from './lock.ts';
import { spawnService } from './service-process.ts';
import { readStatus, statusFile } from './status.ts';
import { describeExit, supervise, type ChildExit, type ChildHandle, type Supervisor } from './supervise.ts';

const root = resolve(import.meta.dirname, '..', '..');
/** Everything the stack keeps; REELFORGE_DATA_DIR moves it (tests run a stack beside yours). */
const data = resolve(root, process.env.REELFORGE_DATA_DIR ?? '.data');
/** A path inside the data directory as the user knows it (`.data/pg`), absolute when elsewhere. */
const shown = (path: string) => {
  const rel = relative(root, path);
  return rel.startsWith('..') || isAbsolute(rel) ? path : rel;
};
const color = process.stdout.isTTY;
const say = (line: string) => process.stdout.write(`${formatLine('launcher', 6, line, color)}\n`);
// A closed terminal (EPIPE) must not kill the launcher and orphan its services half-way through a stop.
process.stdout.on('error', () => undefined);
process.stderr.on('error', () => undefined);

/** Who the dev token and the local compat surfaces act as. */
const DEV_PRINCIPAL = 'dev-user';

const SERVICES = [
  { name: 'content-orchestrator', healthPort: 8081 },
  { name: 'repurposer', healthPort: 8082 },
  { name: 'backlog-keeper', healthPort: 8083 },
  { name: 'notifier', healthPort: 8084 },
  { name: 'scheduler', healthPort: 8085 },
  { name: 'gateway', healthPort: 8086 },
] as const;

/** Uses `preferred` when free, else any free port (a second stack or a system server may hold it). */
async function portNear(preferred: number): Promise<number> {
  const { createServer } = await import('node:net');
  const free = await new Promise<boolean>((ok) => {
    const s = createServer()
      .once('error', () => ok(false))
      .listen(preferred, '127.0.0.1', () => s.close(() => ok(true)));
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
    if (typeof saved.user === 'string' && typeof saved.password === 'string')
      return { user: saved.user, password: saved.password };
  }
  const credentials = generateNatsCredentials();
  writeFileSync(file, `${JSON.stringify(credentials)}\n`, { mode: 0o600 });
  return credentials;
}

/** Resolves once `url` answers 2xx; rejects if the process exits first or after `timeoutMs`. */
async function waitReady(url: string, child: ChildHandle, timeoutMs: number): Promise<void> {
  let exit: ChildExit | undefined;
  void child.exited.then((e) => (exit = e));
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (exit) throw new Error(`${describeExit(exit)} before it was ready`);
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

/** Takes the data directory's lock, or says who holds it and exits before anything else is touched. */
function lockOrExit(): Lock {
  try {
    const lock = acquireLock(join(data, 'launcher.lock'), 'stack.ts');
    if (lock.tookOverFrom !== undefined)
      say(`the previous launcher (PID ${lock.tookOverFrom}) is gone: took over its lock`);
    return lock;
  } catch (err) {
    if (!(err instanceof StackAlreadyRunningError)) throw err;
    process.stderr.write(`${err.message}\n`);
    process.exit(1);
  }
}

/** After taking over a dead launcher's lock: stops what it left running (it would hold the ports and files). */
async function stopPreviousLeftovers(lock: Lock, file: string): Promise<void> {
  const previous = readStatus(file);
  if (lock.tookOverFrom === undefined || previous?.launcherPid !== lock.tookOverFrom) return;
  for (const leftover of await stopLeftovers(leftoversOf(previous)))
    say(`stopped the previous launcher's ${leftover.name} (PID ${leftover.pid}), left running when it died`);
}

async function main(): Promise<void> {
  mkdirSync(data, { recursive: true });
  const lock = lockOrExit();
  await stopPreviousLeftovers(lock, join(data, 'stack.json'));
  const status = statusFile(join(data, 'stack.json'));
  // Stopped newest first: the services (together), then PostgreSQL, then NATS.
  const started = startedList();
  const services: { stop(): Promise<void> }[] = [];
  let stopping: Promise<void> | undefined;

  const stopAll = (code: number, reason: string) => {
    stopping ??= (async () => {
      say(`stopping: ${reason}`);
      try {
        await started.stopAll();
      } catch (err) {
        say(err instanceof Error ? err.message : String(err));
        code = code || 1;
      }
      status.remove();
      lock.release();
      say('stopped');
      process.exit(code);
    })();
    return stopping;
  };
  process.on('SIGINT', () => void stopAll(0, 'Ctrl-C'));
  process.on('SIGTERM', () => void stopAll(0, 'asked to stop (SIGTERM)'));

  try {
    const ffmpeg = ensureTool(TOOLS.ffmpeg, say);
    const ffprobe = ensureTool(TOOLS.ffprobe, say);
    // The offline narrator of article videos.
    const espeak = ensureTool(TOOLS.espeakNg, say);
    // Video-platform links (YouTube, Vimeo, …): optional, so a machine without it still starts;
    // such links then fail with the reason and how to install it.
    const ytDlp = (() => {
      try {
        return ensureTool(TOOLS.ytDlp, say);
      } catch (err) {
        say(`video-platform links will fail: ${(err as Error).message}`);
        return undefined;
      }
    })();
    ensureFontFamily(DEFAULT_FONT_FAMILY, say);
    say(`ffmpeg: ${toolVersion(ffmpeg, ['-version'])}`);

    // A given NATS_URL (and any NATS_USER/NATS_PASSWORD/… in the environment) is passed on as is;
    // the local server runs with authorization on, its login handed to the services as NATS_USER/NATS_PASSWORD.
    const nats = process.env.NATS_URL
      ? undefined
      : started.add(
          'nats-server',
          await startNatsServer({
            storeDir: join(data, 'nats'),
            port: await portNear(14222),
            auth: readOrCreateNatsCredentials(),
            log: say,
          }),
        );
    if (nats) status.server('nats-server', { pid: nats.pid, marker: join(data, 'nats') });
    const natsUrl = process.env.NATS_URL ?? nats!.url;
    const natsLogin: Record<string, string> = nats?.credentials
      ? { NATS_USER: nats.credentials.user, NATS_PASSWORD: nats.credentials.password }
      : {};
    say(
      `NATS: ${redactNatsUrl(natsUrl)}${nats ? ` (local nats-server, JetStream store in ${shown(join(data, 'nats'))}, user ${nats.credentials?.user ?? '?'}, password in ${shown(join(data, 'nats-credentials'))})` : ''}`,
    );
    const pg = process.env.DATABASE_URL
      ? undefined
      : started.add(
          'postgres',
          await startEmbeddedPostgres({
            dataDir: join(data, 'pg'),
            port: await portNear(15432),
            database: 'reelforge',
            durable: true,
            log: say,
          }),
        );
    if (pg) status.server('postgres', { pid: pg.pid, marker: pg.dataDir });
    const databaseUrl = process.env.DATABASE_URL ?? pg!.url;
    say(
      `PostgreSQL: ${databaseUrl.replace(/:[^:@/]+@/, ':***@')}${pg ? ` (embedded, data in ${shown(pg.dataDir)})` : ''}`,
    );
    started.add('services', {
      stop: async () => {
        await Promise.all(services.map((s) => s.stop()));
      },
    });

    const jwtSecret = readOrCreateSecret();
    const gatewayPort = Number(process.env.PORT ?? (await portNear(8080)));
    const baseEnv: Record<string, string> = {
      ...(process.env as Record<string, string>),
      NATS_URL: natsUrl,
      ...natsLogin,
      DATABASE_URL: databaseUrl,
      FFMPEG_PATH: ffmpeg,
      FFPROBE_PATH: ffprobe,
      ESPEAK_NG_PATH: espeak,
      ...(ytDlp ? { YT_DLP_PATH: ytDlp } : {}),
      MEDIA_ROOT: process.env.MEDIA_ROOT ?? join(data, 'media'),
      TEMP_DIR: process.env.TEMP_DIR ?? join(data, 'tmp'),
      JWT_SECRET: jwtSecret,
      PORT: String(gatewayPort),
      LOG_LEVEL: process.env.LOG_LEVEL ?? 'info',
      // The launcher gives each service 25 s to stop: renders are handed back well before that.
      SHUTDOWN_GRACE: process.env.SHUTDOWN_GRACE ?? '15s',
      // Local development fetches sources from localhost too.
      SOURCE_URL_ALLOW_PRIVATE: process.env.SOURCE_URL_ALLOW_PRIVATE ?? 'true',
      // …and calls webhooks on localhost (a local receiver over http).
      WEBHOOK_URL_ALLOW_PRIVATE: process.env.WEBHOOK_URL_ALLOW_PRIVATE ?? 'true',
      // Without SMTP_URL, mails are written beside the rest of the stack's data.
      MAIL_DIR: process.env.MAIL_DIR ?? join(data, 'mail'),
      // The replaced systems' APIs, for the dev principal, from this machine only (docs/compat.md).
      COMPAT_SURFACES: process.env.COMPAT_SURFACES ?? 'reelcraft,supoclip,butter,delula',
      COMPAT_PRINCIPAL: process.env.COMPAT_PRINCIPAL ?? DEV_PRINCIPAL,
      COMPAT_LOOPBACK: process.env.COMPAT_LOOPBACK ?? 'true',
      COMPAT_ORIGINS: process.env.COMPAT_ORIGINS ?? `http://localhost:${gatewayPort},http://127.0.0.1:${gatewayPort}`,
    };

    const launch = async (index: number, svc: (typeof SERVICES)[number]): Promise<void> => {
      const healthPort = svc.healthPort ? await portNear(svc.healthPort) : gatewayPort;
      const env = { ...baseEnv, HEALTH_PORT: String(healthPort), OTEL_SERVICE_NAME: svc.name };
      const start = (): ChildHandle => {
        const child = spawnService({ name: svc.name, index, root, env, color, say });
        status.started(svc.name, child.pid);
        void child.exited.then(() => status.exited(svc.name));
        return child;
      };
      const first = start();
      // Until it is ready, a service that exits fails the start (a bad setting, most likely);
      // from then on its supervisor restarts it.
      let supervisor: Supervisor | undefined;
      services.push({ stop: () => (supervisor ? supervisor.stop() : first.stop()) });
      return waitReady(`http://127.0.0.1:${healthPort}/readyz`, first, 60_000).then(
        () => {
          if (stopping) return;
          supervisor = supervise({
            name: svc.name,
            first,
            start,
            log: say,
            giveUp: (reason) => void stopAll(1, reason),
          });
        },
        (err: unknown) => Promise.reject(new Error(`${svc.name}: ${err instanceof Error ? err.message : String(err)}`)),
      );
    };
    // The scheduler last: its catch-up runs missed slots at once, and their owners must be there to answer.
    const owners = [...SERVICES.entries()].filter(([, svc]) => svc.name !== 'scheduler');
    await Promise.all(owners.map(([index, svc]) => launch(index, svc)));
    for (const [index, svc] of SERVICES.entries()) if (svc.name === 'scheduler') await launch(index, svc);

    const token = await signDevToken(jwtSecret, DEV_PRINCIPAL, { roles: ['admin', 'operator'] });
    const url = `http://127.0.0.1:${gatewayPort}`;
    status.up(url);
    process.stdout.write(
      [
        '',
        `  Reelforge is up.`,
        `  Gateway:     ${url}   (readiness: ${url}/readyz)`,
        `  Dashboard:   ${url}/   (sign in with the dev token)`,
        `  Dev token:   ${token}`,
        `  Try:         curl -H "Authorization: Bearer ${token}" ${url}/api/v1/accounts`,
        `  Compat APIs: ReelCraft ${url}/api/jobs, SupoClip ${url}/tasks/, Delula ${url}/api/generate/instant (docs/compat.md)`,
        `  Status:      ${shown(join(data, 'stack.json'))} (PIDs, restarts)`,
        `  Stop:        Ctrl-C`,
        '',
      ].join('\n') + '\n',
    );
  } catch (err) {
    const message =
      err instanceof MissingToolError
        ? err.message
        : `could not start: ${err instanceof Error ? err.message : String(err)}`;
    process.stderr.write(`${message}\n`);
    await stopAll(1, 'the start failed');
  }
}

void main();
