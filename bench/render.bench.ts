import { execFile } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { makeTestVideo } from '@reelforge/testing';
import { transcodeVertical } from '../services/repurposer/src/pipeline/transcode-vertical.ts';
import type { BenchResult } from './result.ts';

const run = promisify(execFile);

/** The repurposer's 9:16 render (through fluent-ffmpeg, with progress parsing) against the same ffmpeg command run raw. */
export async function benchRender(ffmpeg: string, _ffprobe: string, work: string): Promise<BenchResult[]> {
  const dir = join(work, 'render');
  mkdirSync(dir, { recursive: true });
  const source = await makeTestVideo(ffmpeg, join(dir, 'source.mp4'), { seconds: 20, width: 1280, height: 720 });
  const args = ['-hide_banner', '-loglevel', 'error', '-y', '-i', source, '-vf', 'scale=720:1280:force_original_aspect_ratio=increase,crop=720:1280,setsar=1', '-map', '0:v:0', '-map', '0:a:0', '-t', '20.000', '-c:v', 'libx264', '-preset', 'veryfast', '-crf', '23', '-pix_fmt', 'yuv420p', '-c:a', 'aac', '-b:a', '128k', '-ac', '2', '-movflags', '+faststart', '-threads', '0', '-f', 'mp4'];
  const timeRaw = async () => {
    const t = performance.now();
    await run(ffmpeg, [...args, join(dir, 'raw.mp4')]);
    return (performance.now() - t) / 1000;
  };
  const timeOurs = async () => {
    const t = performance.now();
    await transcodeVertical({ ffmpegPath: ffmpeg, input: source, output: join(dir, 'ours.mp4'), width: 720, height: 1280, durationSeconds: 20, hasAudio: true, crf: 23, preset: 'veryfast', threads: 0, signal: new AbortController().signal, onProgress: () => undefined });
    return (performance.now() - t) / 1000;
  };
  // Alternate, best of 3 each: the machine's other load hits both sides alike.
  const raw: number[] = [];
  const ours: number[] = [];
  for (let i = 0; i < 3; i++) {
    raw.push(await timeRaw());
    ours.push(await timeOurs());
  }
  return [{ name: 'render 20 s 720p → 720×1280 (veryfast)', unit: 's', ours: Math.min(...ours), baseline: Math.min(...raw), baselineName: 'raw ffmpeg CLI, same args', higherIsBetter: false, decimals: 2 }];
}
