import type { Keyframe } from '../faces/crop-path.ts';
import { trackCropFilter } from '../faces/crop-expression.ts';

export type ReframeMode = 'fit_blur' | 'crop' | 'pad' | 'track';

export interface ReframeOptions {
  mode: ReframeMode;
  width: number;
  height: number;
  /** `crop`: 0 = left edge … 1 = right edge. */
  cropX: number;
  /** `pad`: `#RRGGBB`. */
  padColor: string;
  /** `track`: the window's centre over the clip's time (faces/crop-path.ts); none: the centre. */
  trackPath?: readonly Keyframe[];
}

const even = (n: number) => Math.max(2, Math.round(n / 2) * 2);

/**
 * The filter chain that turns any frame into exactly width×height, from `input` to `output` labels.
 * Expressions use the input's own size (iw/ih) so rotation and odd sources need no special case.
 * - crop: scale to cover, cut a window (centre by default)
 * - pad: scale to fit, solid bars
 * - track: the full source height at the output's aspect, its x following the path (an expression
 *   of `t` evaluated per frame), cut before scaling, so only the window is scaled
 * - fit_blur: scale to fit over a blurred cover-scaled copy; the blur runs at 1/8 size, where it is
 *   ~64× cheaper and looks the same once scaled up. The copy is cut from the fitted picture, not
 *   from the source: the source is scaled once, and the background's downscale reads the fitted
 *   picture's middle instead of the whole source frame; the blurred copy is scaled up bilinear,
 *   which a blurred picture cannot tell from bicubic. Together ~8 % of a 1080p clip's CPU.
 */
export function reframeFilter(o: ReframeOptions, input: string, output: string): string {
  const { width: W, height: H } = o;
  switch (o.mode) {
    case 'crop':
      return `[${input}]scale=${W}:${H}:force_original_aspect_ratio=increase,crop=${W}:${H}:x='(iw-${W})*${o.cropX}':y='(ih-${H})/2',setsar=1[${output}]`;
    case 'track':
      return `[${input}]${trackCropFilter(o.trackPath ?? [], o)},scale=${W}:${H},setsar=1[${output}]`;
    case 'pad':
      return `[${input}]scale=${W}:${H}:force_original_aspect_ratio=decrease,pad=${W}:${H}:x='(ow-iw)/2':y='(oh-ih)/2':color=0x${o.padColor.slice(1)},setsar=1[${output}]`;
    case 'fit_blur': {
      const bw = even(W / 8);
      const bh = even(H / 8);
      // boxblur refuses a radius above half of a plane's side, and chroma planes are half the
      // size: small outputs (a 64-wide clip blurs at 8 px) get a smaller radius.
      const radius = Math.max(1, Math.min(6, Math.floor(Math.min(bw, bh) / 4)));
      // The middle of the fitted picture at the output's aspect (the part a cover-scale keeps).
      const cover = `crop=w='min(iw,ih*${bw}/${bh})':h='min(ih,iw*${bh}/${bw})'`;
      return [
        `[${input}]scale=${W}:${H}:force_original_aspect_ratio=decrease,split=2[${output}_bg][${output}_fgs]`,
        `[${output}_bg]${cover},scale=${bw}:${bh},boxblur=luma_radius=${radius}:luma_power=2,scale=${W}:${H}:flags=bilinear[${output}_bgb]`,
        `[${output}_bgb][${output}_fgs]overlay=x='(W-w)/2':y='(H-h)/2',setsar=1[${output}]`,
      ].join(';');
    }
  }
}
