import { isIP } from 'node:net';

/**
 * Hosts whose page URLs are resolved with yt-dlp rather than fetched as a media file. Exact host
 * names, no wildcards: a subdomain of a platform is not necessarily the platform's own (user
 * pages, regional mirrors), so each one is listed on purpose.
 */
export const DEFAULT_VIDEO_PLATFORM_HOSTS: readonly string[] = [
  'youtube.com',
  'www.youtube.com',
  'm.youtube.com',
  'music.youtube.com',
  'youtu.be',
  'vimeo.com',
  'www.vimeo.com',
  'player.vimeo.com',
  'tiktok.com',
  'www.tiktok.com',
  'm.tiktok.com',
  'vm.tiktok.com',
  'twitch.tv',
  'www.twitch.tv',
  'm.twitch.tv',
  'clips.twitch.tv',
  'dailymotion.com',
  'www.dailymotion.com',
  'dai.ly',
  'x.com',
  'twitter.com',
  'mobile.twitter.com',
  'instagram.com',
  'www.instagram.com',
  'facebook.com',
  'www.facebook.com',
  'fb.watch',
  'streamable.com',
  'rumble.com',
];

const HOST_NAME = /^(?=.{1,253}$)[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*$/;

/** A host as compared: lower case, without a trailing dot or IPv6 brackets. */
export function normalizeHost(host: string): string {
  return host
    .trim()
    .toLowerCase()
    .replace(/^\[|\]$/g, '')
    .replace(/\.$/, '');
}

/**
 * Reads VIDEO_PLATFORM_HOSTS: a comma-separated list of host names (or IP addresses, for tests),
 * `none` to turn platform links off, unset for the default list. A scheme, port or path in an
 * entry is refused rather than guessed at: `https://youtube.com/` would otherwise never match.
 */
export function parsePlatformHosts(raw: string): string[] | string {
  if (raw.trim().toLowerCase() === 'none') return [];
  const hosts = raw.split(',').map(normalizeHost).filter(Boolean);
  const bad = hosts.find((h) => !HOST_NAME.test(h) && isIP(h) === 0);
  return bad === undefined ? hosts : `"${bad}" is not a host name (give hosts only, like www.youtube.com)`;
}

/** The shape of a service-kit config setting (its `Setting` type is not exported), for one that needs its own parser. */
interface HostsSetting {
  read(name: string, raw: string | undefined): { ok: true; value: readonly string[] } | { ok: false; problem: string };
}

/** The config setting for VIDEO_PLATFORM_HOSTS (see parsePlatformHosts). */
export const platformHostsSetting: HostsSetting = {
  read: (name, raw) => {
    if (raw === undefined || raw === '') return { ok: true, value: DEFAULT_VIDEO_PLATFORM_HOSTS };
    const parsed = parsePlatformHosts(raw);
    return typeof parsed === 'string' ? { ok: false, problem: `${name}: ${parsed}` } : { ok: true, value: parsed };
  },
};

/** True when `url` is an http(s) URL whose host is on the allow-list. */
export function isPlatformUrl(url: string, hosts: ReadonlySet<string>): boolean {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return false;
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') return false;
  return hosts.has(normalizeHost(parsed.hostname));
}
