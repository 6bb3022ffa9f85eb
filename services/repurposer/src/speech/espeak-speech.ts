import { mkdtemp, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { Word } from '../captions/cue.ts';
import { runTool, type ToolResult } from './run-tool.ts';
import { DEFAULT_RATE_WPM, SpeechError, type Speech, type SpeechInput, type SpeechResult } from './speech.ts';
import { concatWavs, findSilences, parseWav, type Span, type WavInfo } from './wav.ts';
import {
  alignToSegments,
  estimateSyllables,
  placeWords,
  proportionalSpans,
  soundSpans,
  splitSentences,
  tokenize,
  toSpeechOnly,
} from './word-timing.ts';

export interface EspeakSpeechOptions {
  /** The espeak-ng binary (`ensureTool(TOOLS.espeakNg)` locally; ESPEAK_NG_PATH in a deployment). */
  espeakPath: string;
  /** One espeak-ng run (one sentence) taking longer than this is killed and the synthesis fails, retryably. */
  timeoutMs?: number;
  /** Longer texts are refused (a scene's narration is a paragraph, not a book). */
  maxChars?: number;
}

const MIN_RATE_WPM = 80;
const MAX_RATE_WPM = 450;
const DEFAULT_VOICE = 'en';
const SILENCE_DB = -50;

/** A voice argument as espeak-ng spells them: a language, file or voice name, optionally `+variant`. */
const VOICE_PATTERN = /^[\p{L}\p{N}_(),'./-]{1,80}(\+[\p{L}\p{N}_-]{1,40})?$/u;

interface VoiceList {
  /** Language codes, voice names and voice files that `-v` accepts. */
  voices: Set<string>;
  /** Variant file names usable after `+`. */
  variants: Set<string>;
  /** The names to offer in a list: the language codes (and short aliases such as `en`). */
  listed: string[];
}

/** `espeak-ng --voices` table: Pty, Language, Age/Gender, VoiceName, File, then `(alias priority)` pairs. */
export function parseVoiceTable(stdout: string): {
  languages: string[];
  names: string[];
  files: string[];
  aliases: string[];
} {
  const out = { languages: [] as string[], names: [] as string[], files: [] as string[], aliases: [] as string[] };
  for (const line of stdout.split('\n').slice(1)) {
    const cols = line.trim().split(/\s+/);
    if (cols.length < 5) continue;
    out.languages.push(cols[1]!);
    out.names.push(cols[3]!);
    out.files.push(cols[4]!);
    for (const c of cols.slice(5)) if (c.startsWith('(') && c.length > 1) out.aliases.push(c.slice(1));
  }
  return out;
}

/**
 * Offline narration with espeak-ng (robotic but free, deterministic and always there).
 *
 * The text goes to espeak-ng on standard input, never on the command line, so text starting with
 * `-` is spoken, not read as an option; the voice is checked against `espeak-ng --voices`.
 *
 * Word timing, honestly measured: espeak-ng's command line reports no word events, and `--pho`
 * (phoneme durations) works only with MBROLA voices in 1.51. So each sentence is rendered twice:
 * once as heard, once with a long gap after every word (`-g`: the same words and phonemes, only
 * some word-final sounds come out a little longer before a gap). In the gapped rendering every word
 * stands alone between silences, found in its samples by ffmpeg `silencedetect`'s rule (`findSilences`:
 * the same spans to the millisecond, without an ffmpeg process per sentence); the words of the text
 * are matched to those stretches of sound (using
 * espeak-ng's own phoneme transcription `-x` to know how long each word is and how many words it
 * becomes: "1999" is three); the gaps are cut out and the positions laid onto the real audio, with
 * boundaries next to a real pause (a comma, a full stop) pinned to it. Sentences are rendered
 * separately and joined sample for sample, so every sentence starts exactly where the earlier ones
 * end. Measured against libespeak-ng's own word events the starts land within a few tens of ms (see
 * the accuracy test). If the gapped rendering cannot be matched, a sentence falls back to spreading
 * its words by phoneme count over its sound, with pauses still pinned.
 */
export function createEspeakSpeech(o: EspeakSpeechOptions): Speech {
  const timeoutMs = o.timeoutMs ?? 120_000;
  const maxChars = o.maxChars ?? 20_000;
  let voiceList: Promise<VoiceList> | null = null;

  const espeak = (args: string[], stdin: string | undefined, signal: AbortSignal) =>
    runTool(o.espeakPath, args, { signal, timeoutMs, name: 'espeak-ng', ...(stdin === undefined ? {} : { stdin }) });
  const failed = (what: string, r: ToolResult) =>
    new SpeechError('failed', `espeak-ng failed to ${what} (exit ${r.code}): ${r.stderr || 'no message'}`);

  // Loaded once, shared by all callers: not tied to one caller's signal (it takes milliseconds).
  const loadVoices = (): Promise<VoiceList> => {
    voiceList ??= (async () => {
      const never = new AbortController().signal;
      const [voices, variants] = await Promise.all([
        espeak(['--voices'], undefined, never),
        espeak(['--voices=variant'], undefined, never),
      ]);
      if (voices.code !== 0) throw failed('list its voices', voices);
      if (variants.code !== 0) throw failed('list its voice variants', variants);
      const v = parseVoiceTable(voices.stdout);
      const variantFiles = parseVoiceTable(variants.stdout).files.map((f) => f.split('/').pop()!);
      return {
        voices: new Set([...v.languages, ...v.names, ...v.files, ...v.aliases]),
        variants: new Set(variantFiles),
        listed: [...new Set([...v.languages, ...v.aliases])].sort(),
      };
    })();
    voiceList.catch(() => (voiceList = null));
    return voiceList;
  };

  const checkVoice = async (voice: string, signal: AbortSignal) => {
    const unknown = () =>
      new SpeechError('invalid-input', `espeak-ng has no voice "${voice}" (see espeak-ng --voices)`);
    if (!VOICE_PATTERN.test(voice) || voice.startsWith('-')) throw unknown();
    const list = await loadVoices();
    if (signal.aborted) throw new SpeechError('aborted', 'speech synthesis was stopped', { cause: signal.reason });
    const [base, variant] = voice.split('+') as [string, string | undefined];
    if (!list.voices.has(base) || (variant !== undefined && !list.variants.has(variant))) throw unknown();
  };

  return {
    voices: async () => {
      return (await loadVoices()).listed;
    },

    synthesize: async (input: SpeechInput, signal: AbortSignal): Promise<SpeechResult> => {
      if (signal.aborted) throw new SpeechError('aborted', 'speech synthesis was stopped', { cause: signal.reason });
      const sentences = splitSentences(input.text)
        .map(tokenize)
        .filter((t) => t.length > 0);
      if (sentences.length === 0) throw new SpeechError('invalid-input', 'there is no text to speak');
      if (input.text.length > maxChars)
        throw new SpeechError(
          'invalid-input',
          `the text is ${input.text.length} characters, above the ${maxChars} one narration may have`,
        );
      const rate = input.rate ?? DEFAULT_RATE_WPM;
      if (!Number.isFinite(rate) || rate < MIN_RATE_WPM || rate > MAX_RATE_WPM)
        throw new SpeechError(
          'invalid-input',
          `the speaking rate ${rate} is outside espeak-ng's ${MIN_RATE_WPM}–${MAX_RATE_WPM} words per minute`,
        );
      const voice = input.voice ?? DEFAULT_VOICE;
      await checkVoice(voice, signal);
      const wpm = String(Math.round(rate));
      const base = ['-b', '1', '-v', voice, '-s', wpm];

      // Parts live next to the output (same volume: the final rename is atomic) and go in any case.
      let work: string | null = null;
      try {
        work = await mkdtemp(join(dirname(input.outFile), '.speech-'));
        const parts: { buf: Buffer; info: WavInfo }[] = [];
        const words: Word[] = [];
        let offset = 0;
        for (const [k, tokens] of sentences.entries()) {
          const sentence = await renderSentence(tokens, join(work, `s${k}`), base, rate, signal);
          // Not rounded again: a sentence's first word must not start before the sentence's audio does.
          for (const w of sentence.words) words.push({ start: w.start + offset, end: w.end + offset, text: w.text });
          parts.push(sentence.audio);
          offset += sentence.audio.info.seconds;
        }
        const joined = concatWavs(parts);
        const seconds = parseWav(joined).seconds;
        if (seconds === 0) throw new SpeechError('invalid-input', 'espeak-ng found nothing to pronounce in the text');
        const tmp = join(work, 'speech.wav');
        await writeFile(tmp, joined);
        if (signal.aborted) throw new SpeechError('aborted', 'speech synthesis was stopped', { cause: signal.reason });
        await rename(tmp, input.outFile);
        return {
          file: input.outFile,
          seconds,
          words: words.map((w) => ({ start: Math.min(w.start, seconds), end: Math.min(w.end, seconds), text: w.text })),
        };
      } catch (err) {
        if (err instanceof SpeechError && (err.failure === 'aborted' || !signal.aborted)) throw err;
        if (signal.aborted) throw new SpeechError('aborted', 'speech synthesis was stopped', { cause: err });
        throw new SpeechError(
          'failed',
          `espeak-ng speech failed: ${err instanceof Error ? err.message : String(err)}`,
          { cause: err },
        );
      } finally {
        if (work) await rm(work, { recursive: true, force: true });
      }
    },
  };

  /** One sentence: the audio as heard, its gapped twin and its phonemes, then its words timed within it. */
  async function renderSentence(tokens: string[], stem: string, base: string[], rate: number, signal: AbortSignal) {
    const text = tokens.join(' ');
    // A gap of ~0.3 s at normal speeds: far longer than any stop closure inside a word.
    const gapUnits = String(Math.max(10, Math.round((30 * rate) / DEFAULT_RATE_WPM)));
    const [heard, gapped, phonemes] = await Promise.all([
      espeak([...base, '-w', `${stem}.wav`, '--stdin'], text, signal),
      espeak([...base, '-g', gapUnits, '-w', `${stem}-gapped.wav`, '--stdin'], text, signal),
      // One token per line, each line its own clause (-l): one line of phonemes per token.
      espeak([...base, '-q', '-x', '-l', '100000', '--stdin'], tokens.join('\n'), signal),
    ]);
    for (const r of [heard, gapped, phonemes]) if (r.code !== 0) throw failed('speak', r);
    const buf = await readFile(`${stem}.wav`);
    // No frames: nothing pronounceable in this sentence (a lone dash); its words get zero length.
    const info = parseWav(buf);
    const gappedBuf = await readFile(`${stem}-gapped.wav`);
    return {
      audio: { buf, info },
      words: timeWords(tokens, phonemes.stdout, { buf, info }, { buf: gappedBuf, info: parseWav(gappedBuf) }, rate),
    };
  }
}

/** Phoneme weight and engine word count per token, from `-x` output (one line per token), or null. */
export function phonemeWeights(tokens: string[], xOutput: string): { weight: number; parts: number }[] | null {
  const lines = xOutput.replace(/\n$/, '').split('\n');
  if (lines.length !== tokens.length) return null;
  return lines.map((line) => {
    const words = line
      .trim()
      .split(/\s+/)
      .map((w) => w.replace(/['",%=_:!|#]/g, '').length)
      .filter((n) => n > 0);
    return { weight: words.reduce((a, n) => a + n, 0), parts: words.length };
  });
}

/** The words of one sentence in its heard audio, from its gapped twin (or by weight if that fails). */
function timeWords(
  tokens: string[],
  xOutput: string,
  heard: { buf: Buffer; info: WavInfo },
  gapped: { buf: Buffer; info: WavInfo },
  rate: number,
): Word[] {
  const measured = phonemeWeights(tokens, xOutput);
  const tokenInfo = measured ?? tokens.map((t) => ({ weight: estimateSyllables(t), parts: null as number | null }));
  // Natural pauses (commas, sentence end): longer than stop closures, which shrink with the rate.
  const pauseMin = 0.09 * (DEFAULT_RATE_WPM / rate) ** 0.75;
  const pauses = findSilences(heard.buf, heard.info, { thresholdDb: SILENCE_DB, minSeconds: pauseMin }) ?? [];
  const audio = { seconds: heard.info.seconds, pauses };
  const speechLength = heard.info.seconds - pauses.reduce((a, p) => a + p.end - p.start, 0);
  const spokenIdx = tokenInfo.flatMap((t, i) => (t.weight > 0 ? [i] : []));

  const gaps =
    spokenIdx.length > 0 ? wordGaps(gapped, spokenIdx.reduce((a, i) => a + (tokenInfo[i]!.parts ?? 1), 0) - 1) : null;
  if (gaps) {
    const segments = soundSpans(gaps, gapped.info.seconds);
    const aligned = alignToSegments(
      spokenIdx.map((i) => tokenInfo[i]!),
      segments,
    );
    if (aligned) {
      const spans: (Span | null)[] = tokens.map(() => null);
      aligned.forEach(
        (s, k) => (spans[spokenIdx[k]!] = { start: toSpeechOnly(s.start, gaps), end: toSpeechOnly(s.end, gaps) }),
      );
      return placeWords(tokens, spans, toSpeechOnly(gapped.info.seconds, gaps), audio, {
        tolerance: 0.08,
        punctuationTolerance: 0.15,
      });
    }
  }
  return placeWords(
    tokens,
    proportionalSpans(
      tokenInfo.map((t) => t.weight),
      speechLength,
    ),
    speechLength,
    audio,
    { tolerance: 0.15, punctuationTolerance: 0.4 },
  );
}

/**
 * The silences of a gapped rendering that are word gaps: every gap espeak-ng inserted has about the
 * same length, so the typical length of the `expected` longest silences sets the bar (half of it),
 * which stop closures inside words stay far below. Leading and trailing silence count as gaps.
 */
function wordGaps({ buf, info }: { buf: Buffer; info: WavInfo }, expected: number): Span[] | null {
  const all = findSilences(buf, info, { thresholdDb: SILENCE_DB, minSeconds: 0.012 });
  if (!all) return null;
  if (expected <= 0) return all.filter((s) => s.start === 0 || s.end >= info.seconds);
  const internal = all
    .filter((s) => s.start > 0 && s.end < info.seconds)
    .map((s) => s.end - s.start)
    .sort((a, b) => b - a);
  const top = internal.slice(0, Math.max(1, expected));
  const typical = top.length ? top[Math.floor(top.length / 2)]! : Infinity;
  const bar = Math.max(0.012, typical / 2);
  return all.filter((s) => s.start === 0 || s.end >= info.seconds || s.end - s.start >= bar);
}
