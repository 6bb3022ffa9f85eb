import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ArticleScript } from '@reelforge/contracts';
import { PermanentError } from '@reelforge/messaging';
import type { Word } from '../captions/cue.ts';
import { TaskErrorCodes, retryable } from '../pipeline/errors.ts';
import { runFfmpeg } from '../render/run-ffmpeg.ts';
import { normalizeAudioCommand } from '../speech/normalize-audio.ts';
import { SpeechError, type Speech } from '../speech/speech.ts';
import { concatWavs, parseWav, type WavInfo } from '../speech/wav.ts';

/** One scene's voice-over, placed on the video's timeline. */
export interface VoicedScene {
  /** Where the scene starts in the narration, seconds. */
  offset: number;
  /** The scene's length: its speech and the pause after it. */
  seconds: number;
  /** The speech alone (captions end here). */
  speechSeconds: number;
  /** Word timings, from the scene's start. */
  words: Word[];
}

/** A breath between scenes, and a longer one at the end so the video does not stop mid-word. */
const PAUSE_SECONDS = 0.35;
const TAIL_SECONDS = 0.6;

/** Silence of WAV `info`'s format: a part concatWavs can join (data only, no header of its own). */
function silence(info: WavInfo, seconds: number): { buf: Buffer; info: WavInfo } {
  const frames = Math.round(seconds * info.sampleRate);
  const buf = Buffer.alloc(frames * info.blockAlign);
  return { buf, info: { ...info, dataOffset: 0, dataLength: buf.length, frames, seconds: frames / info.sampleRate } };
}

/** A speech failure as a task error: bad input and refused credentials are permanent, the rest retried. */
function taskError(err: unknown, signal: AbortSignal): unknown {
  if (signal.aborted || !(err instanceof SpeechError)) return err;
  return err.permanent
    ? new PermanentError(TaskErrorCodes.INVALID_INPUT, `the voice-over cannot be made: ${err.message}`, { cause: err })
    : retryable(TaskErrorCodes.SPEECH_FAILED, `the voice-over failed: ${err.message}`, err);
}

/**
 * Speaks each scene, normalises its loudness (so no scene is louder than the next), and joins them
 * sample for sample with a short pause between scenes into `narration.wav`: every scene starts
 * exactly at the sum of the earlier scenes' lengths, which the video's scenes follow.
 */
export async function voiceScenes(
  script: ArticleScript,
  o: {
    speech: Speech;
    ffmpegPath: string;
    voice: string | null;
    rate: number | null;
    work: string;
    signal: AbortSignal;
  },
  onScene: (done: number) => void,
): Promise<{ file: string; scenes: VoicedScene[] }> {
  const parts: { buf: Buffer; info: WavInfo }[] = [];
  const scenes: VoicedScene[] = [];
  let offset = 0;
  for (const [i, scene] of script.scenes.entries()) {
    const raw = join(o.work, `voice-${i}.raw.wav`);
    let words: Word[];
    try {
      ({ words } = await o.speech.synthesize(
        { text: scene.narration, voice: o.voice, rate: o.rate, outFile: raw },
        o.signal,
      ));
    } catch (err) {
      throw taskError(err, o.signal);
    }
    const normalized = `voice-${i}.wav`;
    await runFfmpeg(normalizeAudioCommand(raw, normalized, { channels: 1, codec: 'pcm' }), {
      ffmpegPath: o.ffmpegPath,
      cwd: o.work,
      signal: o.signal,
      expectedSeconds: 0,
    });
    const buf = await readFile(join(o.work, normalized));
    const info = parseWav(buf);
    const pause = silence(info, i === script.scenes.length - 1 ? TAIL_SECONDS : PAUSE_SECONDS);
    parts.push({ buf, info }, pause);
    const seconds = info.seconds + pause.info.seconds;
    scenes.push({
      offset,
      seconds,
      speechSeconds: info.seconds,
      words: words.map((w) => ({ ...w, start: Math.min(w.start, info.seconds), end: Math.min(w.end, info.seconds) })),
    });
    offset += seconds;
    onScene(i + 1);
  }
  await writeFile(join(o.work, 'narration.wav'), concatWavs(parts));
  return { file: 'narration.wav', scenes };
}
