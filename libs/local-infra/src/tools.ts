import { execFileSync, spawnSync } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';

/** Thrown when a required program is missing and cannot be installed here; says how to get it. */
export class MissingToolError extends Error {
  constructor(tool: string, how: string, missing = 'was not found on PATH') {
    super(`${tool} is required but ${missing}. ${how}`);
    this.name = 'MissingToolError';
  }
}

/** Finds an executable on PATH (or returns the explicit path when it is executable). */
function which(name: string): string | undefined {
  if (name.includes('/')) return isExecutable(name) ? name : undefined;
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    for (const candidate of [join(dir, name)]) if (dir && isExecutable(candidate)) return candidate;
  }
  // Debian puts daemons in sbin, which a non-login PATH may lack.
  for (const dir of ['/usr/sbin', '/usr/local/sbin', '/sbin'])
    if (isExecutable(join(dir, name))) return join(dir, name);
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
  const failure = aptInstall(pkgs, `${spec.command} not found`, log);
  const installed = which(spec.command);
  if (failure === null && installed) return installed;
  throw new MissingToolError(spec.command, failure ?? howToInstall(pkgs));
}

const canApt = () => typeof process.getuid === 'function' && process.getuid() === 0 && which('apt-get') !== undefined;
const howToInstall = (pkgs: string[]) =>
  which('apt-get')
    ? `Install it with: sudo apt-get install ${pkgs.join(' ')}`
    : `Install the ${pkgs[0]} package with your system's package manager (or set its path in the environment).`;

/** Installs Debian packages when root with apt-get; returns null on success, else why not (a readable sentence). */
function aptInstall(pkgs: string[], reason: string, log: (line: string) => void): string | null {
  if (!canApt()) return howToInstall(pkgs);
  log(`${reason}: installing Debian package(s) ${pkgs.join(' ')} …`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  if (!aptUpdated) {
    spawnSync('apt-get', ['update', '-qq'], { stdio: 'ignore', env });
    aptUpdated = true;
  }
  const r = spawnSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...pkgs], {
    stdio: ['ignore', 'ignore', 'pipe'],
    env,
    encoding: 'utf8',
  });
  return r.status === 0
    ? null
    : `Installing it with apt-get failed: ${(r.stderr ?? '').trim().split('\n').slice(-2).join(' ')}`;
}

/**
 * Makes sure fontconfig lists `family` (the pipeline's default font: titles and captions fail
 * without it). ffmpeg may already be installed without fonts, so this is checked on its own.
 */
export function ensureFontFamily(family: string, log: (line: string) => void = () => undefined): void {
  const pkgs = ['fontconfig', 'fonts-dejavu-core'];
  const listed = () => {
    const fcList = which('fc-list');
    return fcList !== undefined && spawnSync(fcList, [family, 'family'], { encoding: 'utf8' }).stdout.trim() !== '';
  };
  if (listed()) return;
  const failure = aptInstall(pkgs, `the font "${family}" is not installed`, log);
  if (failure === null && listed()) return;
  throw new MissingToolError(`The font "${family}"`, failure ?? howToInstall(pkgs), 'fontconfig does not list it');
}

/** First line of `<cmd> --version`-style output, for logs. */
export function toolVersion(path: string, args: string[] = ['--version']): string {
  try {
    return (
      execFileSync(path, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] })
        .split('\n')[0]
        ?.trim() ?? ''
    );
  } catch {
    return 'unknown version';
  }
}

export const TOOLS = {
  natsServer: { command: 'nats-server', aptPackage: 'nats-server' },
  redisServer: { command: 'redis-server', aptPackage: 'redis-server' },
  ffmpeg: {
    command: process.env.FFMPEG_PATH ?? 'ffmpeg',
    aptPackage: 'ffmpeg',
    aptExtras: ['fonts-dejavu-core', 'fontconfig'],
  },
  ffprobe: { command: process.env.FFPROBE_PATH ?? 'ffprobe', aptPackage: 'ffmpeg' },
  espeakNg: { command: process.env.ESPEAK_NG_PATH ?? 'espeak-ng', aptPackage: 'espeak-ng' },
  /** Resolves video-platform page URLs to a media URL (the repurposer downloads that itself). */
  ytDlp: { command: process.env.YT_DLP_PATH ?? 'yt-dlp', aptPackage: 'yt-dlp' },
} as const satisfies Record<string, ToolSpec>;
