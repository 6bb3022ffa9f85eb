import { execFile } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { ensureTool, TOOLS } from '@reelforge/local-infra';

const run = promisify(execFile);

/** The real programs (installed through apt-get when root and missing, as the test setup does for ffmpeg). */
export function speechTools(): { espeakPath: string; ffmpegPath: string; ffprobePath: string } {
  const log = (line: string) => process.stderr.write(`[speech-test] ${line}\n`);
  return {
    ffmpegPath: ensureTool(TOOLS.ffmpeg, log),
    ffprobePath: ensureTool(TOOLS.ffprobe, log),
    espeakPath: ensureTool(TOOLS.espeakNg, log),
  };
}

/** ffmpeg's `volumedetect` on a file: mean and peak level in dBFS (digital silence reads about -91). */
export async function volume(ffmpegPath: string, file: string): Promise<{ meanDb: number; maxDb: number }> {
  const { stderr } = await run(ffmpegPath, [
    '-hide_banner',
    '-nostats',
    '-i',
    file,
    '-af',
    'volumedetect',
    '-f',
    'null',
    '-',
  ]);
  const mean = /mean_volume:\s*(-?[\d.]+|-inf) dB/.exec(stderr)?.[1];
  const max = /max_volume:\s*(-?[\d.]+|-inf) dB/.exec(stderr)?.[1];
  const db = (v: string | undefined) => (v === undefined || v === '-inf' ? -Infinity : Number(v));
  return { meanDb: db(mean), maxDb: db(max) };
}

/** ffmpeg's `ebur128` integrated loudness (LUFS). */
export async function loudness(ffmpegPath: string, file: string): Promise<number> {
  const { stderr } = await run(ffmpegPath, [
    '-hide_banner',
    '-nostats',
    '-i',
    file,
    '-af',
    'ebur128',
    '-f',
    'null',
    '-',
  ]);
  const summary = stderr.slice(stderr.lastIndexOf('Summary:'));
  return Number(/I:\s*(-?[\d.]+) LUFS/.exec(summary)?.[1]);
}

/** ffprobe's view of a file's first audio stream and container. */
export async function probeAudio(
  ffprobePath: string,
  file: string,
): Promise<{ seconds: number; sampleRate: number; channels: number; codec: string }> {
  const { stdout } = await run(ffprobePath, [
    '-v',
    'error',
    '-select_streams',
    'a:0',
    '-show_entries',
    'stream=codec_name,sample_rate,channels,duration:format=duration',
    '-of',
    'json',
    file,
  ]);
  const j = JSON.parse(stdout) as {
    streams: { codec_name: string; sample_rate: string; channels: number; duration?: string }[];
    format: { duration: string };
  };
  const s = j.streams[0]!;
  return {
    seconds: Number(s.duration ?? j.format.duration),
    sampleRate: Number(s.sample_rate),
    channels: s.channels,
    codec: s.codec_name,
  };
}

/** A WAV of a sine tone made by ffmpeg's lavfi source (stands in for an API's speech). */
export async function sineWav(ffmpegPath: string, file: string, seconds: number, sampleRate = 24_000): Promise<void> {
  await run(ffmpegPath, [
    '-hide_banner',
    '-loglevel',
    'error',
    '-y',
    '-f',
    'lavfi',
    '-i',
    `sine=frequency=440:sample_rate=${sampleRate}:duration=${seconds}`,
    '-c:a',
    'pcm_s16le',
    '-f',
    'wav',
    file,
  ]);
}

/** Process ids of this process's live children running `command` (by /proc, Linux). */
export function childProcesses(command: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      // pid (comm) state ppid …: comm may hold spaces, so read after the last ')'.
      const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      const [state, ppid] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (comm === command.slice(0, 15) && Number(ppid) === process.pid && state !== 'Z') pids.push(Number(entry));
    } catch {
      // Gone while we looked.
    }
  }
  return pids;
}
