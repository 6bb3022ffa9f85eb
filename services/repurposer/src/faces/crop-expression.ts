import type { Keyframe } from './crop-path.ts';

const num = (n: number, digits: number) => {
  const s = n.toFixed(digits);
  return /^-?0\.0+$/.test(s) ? '0' : s.replace(/(\.\d*?)0+$/, '$1').replace(/\.$/, '');
};

/**
 * The path as an ffmpeg expression of `t` giving the window's centre (fraction of the source
 * width). A flat sum, never nested, so ffmpeg's parser depth does not grow with the path:
 * `x0 + Σ slope·(clip(t,a,b)-a)` for each pan and `+ jump·gte(t,c)` for each cut. Its size grows
 * with the keyframes only (≈ 40 bytes each; simplifyPath bounds their count).
 */
export function pathExpression(keyframes: readonly Keyframe[]): string {
  if (keyframes.length === 0) return '0.5';
  const terms = [num(keyframes[0]!.x, 4)];
  for (let i = 0; i + 1 < keyframes.length; i++) {
    const a = keyframes[i]!;
    const b = keyframes[i + 1]!;
    const dx = b.x - a.x;
    if (Math.abs(dx) < 1e-6) continue;
    const ta = num(a.t, 3);
    if (a.t === b.t) terms.push(`${num(dx, 4)}*gte(t,${ta})`);
    else terms.push(`${num(dx / (b.t - a.t), 6)}*(clip(t,${ta},${num(b.t, 3)})-${ta})`);
  }
  return terms.join('+').replace(/\+-/g, '-');
}

/**
 * The crop filter that follows the path: the largest window at the output's aspect (even sizes;
 * the full source height unless the source is narrower than that aspect), its left edge at the path's centre less half a window, kept inside the frame. `x` is
 * evaluated for every frame; `t` is the clip's time (the parts are joined before the reframe).
 */
export function trackCropFilter(keyframes: readonly Keyframe[], output: { width: number; height: number }): string {
  const { width: W, height: H } = output;
  // A source narrower than the output's aspect (portrait into landscape) keeps its whole width and
  // a middle band: a window as tall as the frame would be wider than it, and ffmpeg refuses that.
  return `crop=w='2*trunc(min(iw,ih*${W}/${H})/2)':h='2*trunc(min(ih,iw*${H}/${W})/2)':x='clip((${pathExpression(keyframes)})*iw-ow/2,0,iw-ow)':y='(ih-oh)/2'`;
}
