import { execFileSync, spawnSync } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';

/** Thrown when a required program is missing and cannot be installed here; says how to get it. */
export class MissingToolError extends Error {
  constructor(tool: string, how: string) {
    super(`${tool} is required but was not found on PATH. ${how}`);
    this.name = 'MissingToolError';
  }
}

/** Finds an executable on PATH (or returns the explicit path when it is executable). */
export function which(name: string): string | undefined {
  if (name.includes('/')) return isExecutable(name) ? name : undefined;
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    for (const candidate of [join(dir, name)]) if (dir && isExecutable(candidate)) return candidate;
  }
  // Debian puts daemons in sbin, which a non-login PATH may lack.
  for (const dir of ['/usr/sbin', '/usr/local/sbin', '/sbin']) if (isExecutable(join(dir, name))) return join(dir, name);
  return undefined;
}

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

export interface ToolSpec {
  /** Program name or explicit path (e.g. from FFMPEG_PATH). */
  command: string;
  /** Debian package that provides it. */
  aptPackage: string;
  /** Extra packages installed alongside (e.g. fonts for ffmpeg's text rendering). */
  aptExtras?: string[];
}

let aptUpdated = false;

/**
 * Returns the path of a required program. Missing and running as root with apt-get: installs the
 * Debian package (once `apt-get update`d). Otherwise throws a MissingToolError saying exactly how.
 */
export function ensureTool(spec: ToolSpec, log: (line: string) => void = () => undefined): string {
  const found = which(spec.command);
  if (found) return found;
  const pkgs = [spec.aptPackage, ...(spec.aptExtras ?? [])];
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  if (isRoot && which('apt-get')) {
    log(`${spec.command} not found: installing Debian package(s) ${pkgs.join(' ')} …`);
    const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
    if (!aptUpdated) {
      spawnSync('apt-get', ['update', '-qq'], { stdio: 'ignore', env });
      aptUpdated = true;
    }
    const r = spawnSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...pkgs], { stdio: ['ignore', 'ignore', 'pipe'], env, encoding: 'utf8' });
    const installed = which(spec.command);
    if (r.status === 0 && installed) return installed;
    throw new MissingToolError(spec.command, `Installing it with apt-get failed: ${(r.stderr ?? '').trim().split('\n').slice(-2).join(' ')}`);
  }
  const how = which('apt-get')
    ? `Install it with: sudo apt-get install ${pkgs.join(' ')}`
    : `Install the ${spec.aptPackage} package with your system's package manager (or set its path in the environment).`;
  throw new MissingToolError(spec.command, how);
}

/** First line of `<cmd> --version`-style output, for logs. */
export function toolVersion(path: string, args: string[] = ['--version']): string {
  try {
    return execFileSync(path, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).split('\n')[0]?.trim() ?? '';
  } catch {
    return 'unknown version';
  }
}

export const TOOLS = {
  natsServer: { command: 'nats-server', aptPackage: 'nats-server' },
  ffmpeg: { command: process.env.FFMPEG_PATH ?? 'ffmpeg', aptPackage: 'ffmpeg', aptExtras: ['fonts-dejavu-core', 'fontconfig'] },
  ffprobe: { command: process.env.FFPROBE_PATH ?? 'ffprobe', aptPackage: 'ffmpeg' },
} as const satisfies Record<string, ToolSpec>;
