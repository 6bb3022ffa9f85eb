import { execFile, spawnSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEspeakSpeech } from '../../src/speech/espeak-speech.ts';
import type { Speech } from '../../src/speech/speech.ts';
import { splitSentences, tokenize } from '../../src/speech/word-timing.ts';
import { speechTools } from './support.ts';

const run = promisify(execFile);

/**
 * The reference: libespeak-ng itself (the library under the espeak-ng program, same synthesis)
 * reports a WORD event with its exact audio position for every word. The program cannot print
 * those, so production measures instead; here Python's ctypes asks the library directly, to see
 * how close the measurement comes. Prints {samples, words: [{pos (1-based char), ms}]}.
 */
const ORACLE = String.raw`
import ctypes, json, sys
lib = ctypes.CDLL('libespeak-ng.so.1')
class Event(ctypes.Structure):
    _fields_ = [('type', ctypes.c_int), ('uid', ctypes.c_uint), ('text_position', ctypes.c_int), ('length', ctypes.c_int),
                ('audio_position', ctypes.c_int), ('sample', ctypes.c_int), ('user_data', ctypes.c_void_p), ('id', ctypes.c_char * 8)]
Callback = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.POINTER(ctypes.c_short), ctypes.c_int, ctypes.POINTER(Event))
lib.espeak_Initialize(1, 0, None, 0)  # AUDIO_OUTPUT_RETRIEVAL
lib.espeak_SetVoiceByName(b'en')
lib.espeak_SetParameter(1, int(sys.argv[2]), 0)  # espeakRATE
words, total = [], [0]
def on_audio(wav, n, events):
    i = 0
    while events[i].type != 0:
        if events[i].type == 1: words.append({'pos': events[i].text_position, 'ms': events[i].audio_position})
        i += 1
    total[0] += n
    return 0
cb = Callback(on_audio)
lib.espeak_SetSynthCallback(cb)
text = sys.argv[1].encode('utf-8')
lib.espeak_Synth(text, len(text) + 1, 0, 1, 0, 0x1000, None, None)  # POS_CHARACTER, espeakENDPAUSE like the program
lib.espeak_Synchronize()
print(json.dumps({'samples': total[0], 'words': words}))
`;

const TEXTS = [
  'The quick brown fox jumps over the lazy dog, and then it runs away. In 1999, the well-known firm sold 3.5 million widgets. Short one!',
  'Scientists have discovered a new species of frog in the rainforest. It is bright blue, about the size of a thumbnail, and it sings at night. Researchers say the find shows how much remains unknown; more surveys are planned for next year.',
  'Kate took the bus to Boston. Despite the delays, she arrived on time, grabbed a coffee, and started her talk about climate policy and carbon taxes.',
];

const canAskLibrary = spawnSync('python3', ['-c', "import ctypes; ctypes.CDLL('libespeak-ng.so.1')"]).status === 0;

// How close the measured word starts come to the library's own word events (ASCII texts, so
// character positions map to tokens directly). Needs python3 with ctypes; skipped without it.
describe.skipIf(!canAskLibrary)('espeak-ng word timing accuracy', () => {
  let dir: string;
  let speech: Speech;
  beforeAll(async () => {
    speech = createEspeakSpeech({ espeakPath: speechTools().espeakPath });
    dir = await mkdtemp(join(tmpdir(), 'rf-speech-acc-'));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  for (const [rate, meanMs, maxMs] of [
    [120, 50, 200],
    [175, 40, 150],
    [300, 40, 150],
  ] as const) {
    it(`at ${rate} wpm word starts land within ~${meanMs} ms on average of the library's word events`, async () => {
      const errors: number[] = [];
      for (const text of TEXTS) {
        for (const sentence of splitSentences(text)) {
          const tokens = tokenize(sentence);
          const said = tokens.join(' ');
          const [ours, ref] = await Promise.all([
            speech.synthesize(
              { text: said, voice: null, rate, outFile: join(dir, 'acc.wav') },
              new AbortController().signal,
            ),
            run('python3', ['-c', ORACLE, said, String(rate)]).then(
              ({ stdout }) => JSON.parse(stdout) as { samples: number; words: { pos: number; ms: number }[] },
            ),
          ]);
          // Same synthesis: the program's audio and the library's are the same length to the sample.
          expect(Math.round(ours.seconds * 22050)).toBe(ref.samples);
          let at = 0;
          tokens.forEach((token, i) => {
            const from = said.indexOf(token, at);
            at = from + token.length;
            const event = ref.words.find((e) => e.pos - 1 >= from && e.pos - 1 < at);
            if (event) errors.push(ours.words[i]!.start - event.ms / 1000);
          });
        }
      }
      const abs = errors.map(Math.abs).sort((a, b) => a - b);
      const mean = abs.reduce((a, e) => a + e, 0) / abs.length;
      console.info(
        `espeak-ng ${rate} wpm: ${abs.length} words, mean |error| ${(mean * 1000).toFixed(0)} ms, p90 ${(abs[Math.floor(abs.length * 0.9)]! * 1000).toFixed(0)} ms, max ${(abs.at(-1)! * 1000).toFixed(0)} ms`,
      );
      expect(abs.length).toBeGreaterThan(80);
      expect(mean * 1000).toBeLessThan(meanMs);
      expect(abs.at(-1)! * 1000).toBeLessThan(maxMs);
    });
  }
});
