/**
 * The local speech child process: whisper.cpp transcription and soundswallower alignment run here,
 * never in the service. Killing this process is what stops them (whisper.cpp's binding cannot
 * interrupt a transcription it started), a crash in native code takes only this process down,
 * soundswallower's synchronous WebAssembly never blocks the service's event loop, and its
 * Emscripten runtime's process-wide handlers stay out of the service. One request per process:
 * it answers on the IPC channel and exits.
 */
import { open } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dictionaryWords, spokenWords, timeTokens, type AlignedWord } from './align-tokens.ts';
import {
  WORKER_SAMPLE_RATE,
  type AlignRequest,
  type TranscribeRequest,
  type WhisperToken,
  type WorkerReply,
  type WorkerRequest,
  type WorkerStage,
} from './worker-protocol.ts';
import type { Word } from '../cue.ts';

/** The only whisper.cpp build this service depends on: CPU, linux-x64 (the GPU builds are 50–190 MB). */
export const WHISPER_BINDING = '@fugood/node-whisper-linux-x64';

interface WhisperBinding {
  WhisperContext: new (o: { filePath: string; useGpu?: boolean }) => {
    transcribeFile(
      file: string,
      o: Record<string, unknown>,
    ): { promise: Promise<{ segments: WhisperToken[]; isAborted: boolean }> };
    release(): Promise<void>;
  };
}

function loadWhisper(): WhisperBinding {
  if (process.platform !== 'linux' || process.arch !== 'x64')
    throw new Error(
      `local speech-to-text needs whisper.cpp's linux-x64 build (${WHISPER_BINDING}); this machine is ${process.platform}-${process.arch}: use TRANSCRIBE_API_URL instead`,
    );
  try {
    return createRequire(import.meta.url)(WHISPER_BINDING) as WhisperBinding;
  } catch (err) {
    throw new Error(
      `the whisper.cpp binding ${WHISPER_BINDING} cannot be loaded (installed without optional dependencies?): ${err instanceof Error ? err.message : String(err)}`,
      { cause: err },
    );
  }
}

async function transcribe(r: TranscribeRequest): Promise<WhisperToken[]> {
  const { WhisperContext } = loadWhisper();
  let context: InstanceType<WhisperBinding['WhisperContext']>;
  try {
    context = new WhisperContext({ filePath: r.modelPath, useGpu: false });
  } catch (err) {
    const why = err instanceof Error ? err.message : String(err);
    throw new Error(`whisper.cpp cannot load the model ${r.modelPath}: ${why}`, { cause: err });
  }
  process.send!({ stage: 'model-loaded' } satisfies WorkerStage);
  // One token per segment (maxLen 1) with token timestamps: words are rebuilt from the tokens.
  const result = await context.transcribeFile(r.audioFile, {
    language: r.language,
    maxThreads: r.threads,
    tokenTimestamps: true,
    maxLen: 1,
  }).promise;
  await context.release();
  return result.segments.map((s) => ({ text: s.text, t0: s.t0, t1: s.t1 }));
}

/**
 * Deterministic low-level noise (uniform ±0.005, about -51 dBFS RMS): the aligner's features break
 * on digital silence (log of zero), and a floor this high also made its alignments steadier in tests
 * (all cues aligned whatever the padding; at -71 dBFS one in four failed).
 */
function dither(samples: Int16Array): Float32Array {
  const out = new Float32Array(samples.length);
  let seed = 12345;
  for (let i = 0; i < samples.length; i++) {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    out[i] = samples[i]! / 32768 + (seed / 0x7fffffff - 0.5) * 1e-2;
  }
  return out;
}

/** Padding read around each cue: caption timing is rarely exact, and the aligner needs a little lead-in. */
const PAD_SECONDS = 0.2;

async function align(r: AlignRequest): Promise<(Word[] | null)[]> {
  const { default: createModule } = await import('soundswallower');
  const modelBase = new URL('./model/', import.meta.resolve('soundswallower')).pathname;
  const quiet = () => undefined;
  const ss = await createModule({ modelBase, print: quiet, printErr: quiet } as Partial<EmscriptenModule>);
  // Wide beams: alignment searches one sentence's paths, so breadth is cheap and saves hard cases.
  const decoder = new ss.Decoder({
    samprate: WORKER_SAMPLE_RATE,
    loglevel: 'FATAL',
    beam: 1e-100,
    pbeam: 1e-100,
    wbeam: 1e-80,
  });
  await decoder.initialize();
  const known = (w: string) => decoder.lookup_word(w) !== null;
  const file = await open(r.audioFile, 'r');
  const { size } = await file.stat();
  const out: (Word[] | null)[] = [];
  try {
    for (const cue of r.cues) {
      const said = cue.tokens.map((t) => dictionaryWords(t, known));
      const text = said.flatMap((s) => s ?? []).join(' ');
      if (!text) {
        out.push(null);
        continue;
      }
      const from = Math.max(0, Math.floor((cue.start - PAD_SECONDS) * WORKER_SAMPLE_RATE));
      const to = Math.min(size / 2, Math.ceil((cue.end + PAD_SECONDS) * WORKER_SAMPLE_RATE));
      if (to - from < WORKER_SAMPLE_RATE / 10) {
        out.push(null);
        continue;
      }
      const bytes = Buffer.alloc((to - from) * 2);
      await file.read(bytes, 0, bytes.length, from * 2);
      const pcm = dither(new Int16Array(bytes.buffer, bytes.byteOffset, to - from));
      let aligned: AlignedWord[] = [];
      try {
        decoder.set_align_text(text);
        decoder.start();
        decoder.process_audio(pcm, false, true);
        decoder.stop();
        aligned = spokenWords(decoder.get_alignment().w ?? []);
      } catch {
        aligned = [];
      }
      out.push(timeTokens(cue.tokens, said, aligned, from / WORKER_SAMPLE_RATE, cue));
    }
  } finally {
    await file.close();
    decoder.delete();
  }
  return out;
}

async function handle(request: WorkerRequest): Promise<WorkerReply> {
  try {
    if (request.op === 'transcribe') return { ok: true, tokens: await transcribe(request) };
    return { ok: true, words: await align(request) };
  } catch (err) {
    return { ok: false, error: err instanceof Error ? err.message : String(err) };
  }
}

process.once('message', (request: WorkerRequest) => {
  void handle(request).then((reply) => process.send!(reply, () => process.exit(0)));
});
