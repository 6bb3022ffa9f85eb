import { DEFAULT_FONT_FAMILY, outputSize, type RenderOptions, type Transition } from '@reelforge/contracts';
import type { ReframeOptions } from './reframe.ts';

/** Every render option with its default filled in: the one place defaults live. */
export interface ResolvedRender {
  /** How each clip is reframed unless face tracking finds a subject (then `track`, per clip). */
  reframe: ReframeOptions;
  /**
   * Face tracking: `requested` (mode `track`), `auto` (no mode given and a portrait output: track
   * when a face is found), `off` (the caller chose another mode, or a landscape/square output).
   */
  tracking: 'requested' | 'auto' | 'off';
  clipCount: number;
  minClipSeconds: number;
  maxClipSeconds: number;
  fadeSeconds: number;
  transition: Transition;
  transitionSeconds: number;
  loudnorm: boolean;
  targetLufs: number;
  crf: number;
  preset: string;
  captions: boolean;
  title: ResolvedTitle | null;
  logo: { position: 'top-left' | 'top-right' | 'bottom-left' | 'bottom-right'; scale: number; opacity: number } | null;
}

export interface ResolvedTitle {
  text: string;
  fontFamily: string;
  bold: boolean;
  fontSize: number;
  color: string;
  outlineColor: string;
  outlineWidth: number;
  position: 'top' | 'middle' | 'bottom';
  start: number;
  end: number;
}

/**
 * Defaults chosen for a good-looking short with no options: 1080×1920, a window following the main
 * face when there is one (portrait outputs), else the source fitted over a blurred copy of itself
 * (nothing cut off), 3 clips of 15–60 s, 0.3 s fades, -14 LUFS (what the
 * short-video platforms normalise to), captions when there is a transcript.
 */
export function resolveRenderOptions(o: RenderOptions): ResolvedRender {
  const { width, height } = outputSize(o);
  const scale = width / 1080;
  const maxClip = o.maxClipSeconds ?? o.maxDurationSeconds ?? 60;
  const minClip = Math.min(o.minClipSeconds ?? 15, maxClip);
  const t = o.title;
  const titleStart = t?.start ?? 0;
  const tracking = o.mode === 'track' ? 'requested' : o.mode === undefined && height > width ? 'auto' : 'off';
  // Tracking falls back to fit_blur: a clip without a face (or a detector) is reframed as before.
  const mode = o.mode === undefined || o.mode === 'track' ? 'fit_blur' : o.mode;
  return {
    reframe: { mode, width, height, cropX: o.cropX ?? 0.5, padColor: o.padColor ?? '#000000' },
    tracking,
    clipCount: o.clipCount ?? 3,
    minClipSeconds: minClip,
    maxClipSeconds: maxClip,
    fadeSeconds: o.fadeSeconds ?? 0.3,
    transition: o.transition ?? 'fade',
    transitionSeconds: o.transitionSeconds ?? 0.5,
    loudnorm: o.loudnorm ?? true,
    targetLufs: o.targetLufs ?? -14,
    crf: o.crf ?? 23,
    preset: o.preset ?? 'veryfast',
    captions: o.captions?.enabled ?? true,
    title: t
      ? {
          text: t.text,
          fontFamily: t.font?.family ?? DEFAULT_FONT_FAMILY,
          bold: t.font?.bold ?? true,
          fontSize: Math.round((t.font?.size ?? 72) * scale),
          color: t.font?.color ?? '#FFFFFF',
          outlineColor: t.font?.outlineColor ?? '#000000',
          outlineWidth: Math.round((t.font?.outlineWidth ?? 5) * scale),
          position: t.position ?? 'top',
          start: titleStart,
          end: t.end ?? titleStart + 4,
        }
      : null,
    logo: o.logo
      ? { position: o.logo.position ?? 'top-right', scale: o.logo.scale ?? 0.15, opacity: o.logo.opacity ?? 0.85 }
      : null,
  };
}

/** Splits a title into centred lines that fit the frame (drawtext does not wrap). */
export function wrapTitle(text: string, fontSize: number, frameWidth: number, maxLines = 3): string[] {
  const perLine = Math.max(8, Math.floor((frameWidth * 0.88) / (fontSize * 0.6)));
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/).filter(Boolean)) {
    const candidate = line ? `${line} ${word}` : word;
    if (candidate.length <= perLine || !line)
      line = candidate.length > perLine ? candidate.slice(0, perLine) : candidate;
    else {
      lines.push(line);
      line = word.slice(0, perLine);
    }
  }
  if (line) lines.push(line);
  if (lines.length > maxLines) {
    const kept = lines.slice(0, maxLines);
    kept[maxLines - 1] = `${kept[maxLines - 1]!.slice(0, perLine - 1)}…`;
    return kept;
  }
  return lines;
}
