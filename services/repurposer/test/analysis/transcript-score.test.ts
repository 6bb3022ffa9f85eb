import { describe, expect, it } from 'vitest';
import { chooseSegments } from '../../src/analysis/choose-segments.ts';
import type { Signals } from '../../src/analysis/signals.ts';
import {
  hookKind,
  indexTranscript,
  transcriptScore,
  transcriptSentences,
} from '../../src/analysis/transcript-score.ts';
import type { Cue } from '../../src/captions/cue.ts';

/** One cue per sentence, each 4.5 s long, 0.5 s of silence between: sentence i spans [5i, 5i + 4.5]. */
function talk(sentences: string[], louder?: { start: number; end: number }): { cues: Cue[]; signals: Signals } {
  const cues = sentences.map((text, i) => ({ start: i * 5, end: i * 5 + 4.5, text }));
  const durationSeconds = sentences.length * 5;
  const silences = cues.map((c) => ({ start: c.end, end: c.end + 0.5 }));
  const loudness = [];
  // Flat loudness wherever there is speech (3 LU louder in `louder`): the signals alone cannot find the moment.
  for (let t = 0.2; t < durationSeconds - 0.2; t += 0.1) {
    const quiet = silences.some((s) => t >= s.start && t <= s.end);
    const loud = louder && t >= louder.start && t <= louder.end;
    loudness.push({ t: Math.round(t * 1000) / 1000, lufs: quiet ? -120.7 : loud ? -17 : -20 });
  }
  return { cues, signals: { durationSeconds, loudness, silences, sceneCuts: [] } };
}

const FILLER = [
  'So we got here a little early today.',
  'The weather was fine and the drive was long.',
  'My cousin came along with us for the trip.',
  'We had lunch at a small place near the station.',
  'Then we walked around the old town for a while.',
  'Anyway the hotel was nice and quiet.',
  'Our sales team met the new customers on Monday.',
  'The room had a view of the river.',
  'We talked about pricing over dinner.',
  'Later the rain started and we stayed inside.',
  'The coffee there was not great.',
  'I slept well that night.',
];
// The moment worth clipping: a how-to hook and a question, dense with the talk's own keywords.
const MOMENT = [
  'How to double your sales without cutting your pricing?',
  'Ask your customers what they would pay, then raise your pricing for new customers.',
  'Your sales go up because customers trust pricing that matches value.',
  'Test the new pricing on ten customers first and watch the sales.',
];
const OUTRO = [
  'After that we drove back home.',
  'The traffic was slow near the bridge.',
  'We stopped for fuel once.',
  'It was a good weekend overall.',
  'Thanks for listening.',
  'See you next time.',
  'Bye for now.',
  'The end.',
];

describe('transcript scoring (better moments)', () => {
  it('finds the known best moment (60–80 s) over a louder stretch of small talk, and says why', () => {
    const { cues, signals } = talk([...FILLER, ...MOMENT, ...OUTRO], { start: 20, end: 40 });
    const o = { count: 1, minSeconds: 15, maxSeconds: 20 };
    const [withText] = chooseSegments(signals, { ...o, transcript: indexTranscript(cues) });
    expect(withText, 'a segment').toBeDefined();
    // The moment's sentences span 60–79.5 s; boundaries sit in the pauses, 0.25 s either side.
    expect(withText!.start).toBeGreaterThanOrEqual(59.5);
    expect(withText!.start).toBeLessThanOrEqual(60.5);
    expect(withText!.end).toBeGreaterThanOrEqual(74.5);
    expect(withText!.end).toBeLessThanOrEqual(80);
    expect(withText!.reason).toContain('transcript: complete sentences');
    expect(withText!.reason).toContain('hook (how-to): "How to double your sales');
    expect(withText!.reason).toContain('1 question');
    expect(withText!.reason).toMatch(/keywords [\d.]+× the source's density: (pricing|customers|sales)/);

    // Without the transcript, the signals pick the louder small talk.
    const [blind] = chooseSegments(signals, o);
    expect(blind!.start).toBeGreaterThanOrEqual(19.5);
    expect(blind!.end).toBeLessThanOrEqual(40.5);
    expect(blind!.reason).not.toContain('transcript');
  });

  it('marks stretches that cut a sentence, and scores silence 0', () => {
    const { cues } = talk([...FILLER.slice(0, 4)]);
    const index = indexTranscript(cues);
    const whole = index.stats(0, 9.75);
    expect(whole.cleanStart).toBe(true);
    expect(whole.cleanEnd).toBe(true);
    const cut = index.stats(2, 12);
    expect(cut.cleanStart).toBe(false);
    expect(cut.cleanEnd).toBe(false);
    expect(transcriptScore(cut)).toBeLessThan(transcriptScore(whole));
    expect(transcriptScore(index.stats(30, 40))).toBe(0);
  });

  it('recognises hooks and splits unpunctuated speech at long gaps', () => {
    expect(hookKind('3 mistakes everyone makes')).toBe('opens with a number');
    expect(hookKind('How do you start a podcast?')).toBe('how-to');
    expect(hookKind('Why nobody reads your emails.')).toBe('asks why');
    expect(hookKind('Stop doing this in the morning.')).toBe('imperative opener');
    expect(hookKind('Here is the secret to good bread.')).toBe('promises a reveal');
    expect(hookKind('We went to the shop.')).toBeNull();
    const sentences = transcriptSentences([
      { start: 0, end: 2, text: 'no punctuation here' },
      { start: 5, end: 7, text: 'still none' },
    ]);
    expect(sentences.map((s) => s.text)).toEqual(['no punctuation here', 'still none']);
    const index = indexTranscript([
      { start: 0, end: 2, text: 'no punctuation here' },
      { start: 5, end: 7, text: 'still none' },
    ]);
    expect(index.stats(0, 7).cleanStart).toBeNull();
  });
});
