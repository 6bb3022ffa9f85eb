import type { Word } from '../cue.ts';

/** Transcribe a 16 kHz mono WAV with whisper.cpp: its tokens with their times (ms), in order. */
export interface TranscribeRequest {
  op: 'transcribe';
  modelPath: string;
  /** A 16 kHz mono 16-bit WAV. */
  audioFile: string;
  threads: number;
  /** A whisper language code, or `auto`. */
  language: string;
}

export interface WhisperToken {
  text: string;
  /** Milliseconds from the start of the audio. */
  t0: number;
  t1: number;
}

/** Align known text to audio per cue: each cue's tokens get times inside the cue, or null. */
export interface AlignRequest {
  op: 'align';
  /** Raw 16 kHz mono signed 16-bit little-endian samples. */
  audioFile: string;
  cues: { start: number; end: number; tokens: string[] }[];
}

export type WorkerRequest = TranscribeRequest | AlignRequest;

/** Sent by the worker as it goes (`model-loaded`): a crash before it is the model's fault, after it maybe not. */
export interface WorkerStage {
  stage: string;
}

export type WorkerReply =
  { ok: true; tokens: WhisperToken[] } | { ok: true; words: (Word[] | null)[] } | { ok: false; error: string };

/** Sample rate of every audio file the worker reads. */
export const WORKER_SAMPLE_RATE = 16_000;
