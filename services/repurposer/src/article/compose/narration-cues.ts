import type { Cue } from '../../captions/cue.ts';
import type { VoicedScene } from '../voice-scenes.ts';

/**
 * The captions of the narration: one cue per scene on the video's timeline, with every word's
 * timing (the karaoke highlight). A scene with no picture (`emphasis[i]`) shows its words centred
 * and larger: they are what there is to look at.
 */
export function narrationCues(scenes: VoicedScene[], emphasis: boolean[]): Cue[] {
  return scenes.flatMap((scene, i) => {
    const words = scene.words
      .filter((w) => w.text.trim() !== '')
      .map((w) => ({ start: scene.offset + w.start, end: scene.offset + w.end, text: w.text }));
    if (words.length === 0) return [];
    return [
      {
        start: scene.offset,
        end: scene.offset + scene.speechSeconds,
        text: words.map((w) => w.text).join(' '),
        words,
        ...(emphasis[i] ? { emphasis: true } : {}),
      },
    ];
  });
}
