// What the figures were measured on, read back from the servers and the machine rather than
// assumed: a benchmark is only comparable to another with the same durability and hardware.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import type { NatsConnection } from '@nats-io/transport-node';
import pg from 'pg';

/** Group → setting → value, as read (strings, so the results file says exactly what was reported). */
export type RunSettings = Record<string, Record<string, string>>;

/** `SHOW` of the settings that decide whether a commit waits for the disk. */
export async function postgresSettings(databaseUrl: string): Promise<Record<string, string>> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const out: Record<string, string> = {};
    for (const name of ['server_version', 'fsync', 'synchronous_commit', 'full_page_writes', 'wal_sync_method']) {
      const { rows } = await client.query<Record<string, string>>(`show ${name}`);
      out[name] = rows[0]?.[name] ?? '?';
    }
    return out;
  } finally {
    await client.end();
  }
}

/**
 * The server's version and JetStream flag (its INFO), and its fsync policy. The server does not
 * report sync_interval to a client without a monitoring port, so this reads the config file we
 * started it with: no sync_interval / sync_always there means nats-server's default, an fsync at
 * most every 2 minutes (a PubAck means the OS has the write, not the disk).
 */
export function natsSettings(nc: NatsConnection, storeDir: string | undefined): Record<string, string> {
  const info = nc.info;
  const out: Record<string, string> = {
    server_version: info?.version ?? '?',
    jetstream: String(info?.jetstream ?? '?'),
  };
  const conf = storeDir ? join(storeDir, 'server.conf') : undefined;
  if (!conf || !existsSync(conf)) {
    out.sync = 'unknown: an external server (NATS_URL); its configuration is not visible from here';
    return out;
  }
  const sync = readFileSync(conf, 'utf8')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => /^(sync_interval|sync|sync_always)\s*[:=\s]/.test(line));
  out.sync = sync.length
    ? `configured: ${sync.join('; ')}`
    : 'not configured in server.conf: nats-server default sync_interval 2m (fsync at most every 2 minutes)';
  return out;
}

/** CPU model and count as Node sees them (cores the benchmark shares with everything else on the machine). */
export function machineSettings(): Record<string, string> {
  const list = cpus();
  return {
    cpu_model: list[0]?.model ?? '?',
    cpu_count: String(list.length),
    node: process.version,
    load_average_at_start: loadAverage(),
  };
}

/** 1, 5 and 15-minute load averages: above the core count, something else was competing for the CPU. */
export const loadAverage = (): string =>
  loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');

/** `df -T` (and mount options) for each directory a server writes to: the disk behind every fsync. */
export function diskSettings(dirs: Record<string, string | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, dir] of Object.entries(dirs)) {
    if (!dir) continue;
    out[name] = `${dir}: ${run('df', ['-T', dir]).split('\n').slice(1).join(' ').replace(/\s+/g, ' ').trim()}`;
    const options = run('findmnt', ['-no', 'OPTIONS', '--target', dir]).trim();
    if (options) out[`${name}_mount_options`] = options;
  }
  return out;
}

function run(cmd: string, args: string[]): string {
  try {
    return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  } catch {
    return '';
  }
}
