import { describe, expect, it } from 'vitest';
import {
  buildComposeCommand,
  composedSeconds,
  sceneTransition,
  type ComposeSpec,
} from '../../src/article/compose/compose-command.ts';
import { ffmpegArgs } from '../../src/render/ffmpeg-command.ts';

const spec = (over: Partial<ComposeSpec> = {}): ComposeSpec => ({
  scenes: [
    { seconds: 4, image: 'image-0' },
    { seconds: 6, image: null },
    { seconds: 5, image: 'image-1' },
  ],
  narration: 'narration.wav',
  size: { width: 1080, height: 1920 },
  fps: 30,
  transitionSeconds: 0.5,
  fadeSeconds: 0.3,
  captionsFile: 'captions.ass',
  music: null,
  title: null,
  targetLufs: -14,
  encode: { crf: 23, preset: 'veryfast', threads: 0 },
  output: 'video.mp4',
  ...over,
});

describe('the article compose command', () => {
  it("is exactly as long as the narration, with crossfades starting where each scene's narration does", () => {
    const cmd = buildComposeCommand(spec());
    expect(composedSeconds(spec().scenes)).toBe(15);
    expect(cmd.outputOptions.join(' ')).toContain('-t 15.000');
    expect(cmd.filterComplex).toContain('xfade=transition=fade:duration=0.500:offset=4.000');
    expect(cmd.filterComplex).toContain('xfade=transition=fade:duration=0.500:offset=10.000');
    // Scenes before the last run a transition longer than their narration, so the join lands on the boundary.
    expect(cmd.filterComplex).toContain(`d=${Math.round(4.5 * 30)}`);
    expect(cmd.inputs[1]!.path).toContain('gradients=s=1080x1920');
    expect(cmd.inputs[1]!.path).toContain('d=6.500');
  });

  it('opens images only through the image demuxers and the narration through wav only', () => {
    const args = ffmpegArgs(buildComposeCommand(spec())).join(' ');
    expect(args).toContain('-format_whitelist png_pipe,jpeg_pipe,webp_pipe -i image-0');
    expect(args).toContain('-format_whitelist wav -f wav -i file:narration.wav');
  });

  it('keeps crossfades to a third of the shortest scene', () => {
    expect(
      sceneTransition(
        [
          { seconds: 0.9, image: null },
          { seconds: 5, image: null },
        ],
        0.5,
      ),
    ).toBeCloseTo(0.3);
    expect(sceneTransition([{ seconds: 5, image: null }], 0.5)).toBe(0);
  });

  it('loops the music under the voice and ducks it with the voice as the key; none without music', () => {
    const withMusic = buildComposeCommand(spec({ music: { file: 'music', volume: 0.25 } }));
    const music = withMusic.inputs.find((i) => i.path === 'music')!;
    expect(music).toMatchObject({ kind: 'audio', options: ['-stream_loop', '-1'] });
    expect(withMusic.filterComplex).toContain('asplit=2[voice][key]');
    expect(withMusic.filterComplex).toContain('volume=0.25[bed]');
    expect(withMusic.filterComplex).toContain('[bed][key]sidechaincompress=');
    expect(withMusic.filterComplex).toContain('[voice][ducked]amix=inputs=2:duration=first');
    expect(buildComposeCommand(spec()).filterComplex).not.toContain('sidechaincompress');
  });
});
