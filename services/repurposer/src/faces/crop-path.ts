/**
 * The crop window's path: where its centre sits across the source, over the clip's time. Positions
 * are fractions of the source's width (0 = left edge, 1 = right edge), times are seconds of the
 * clip. Pure functions: the subject's positions in, a smooth, simplified path out.
 */

/** Where the subject is at `t` (its centre, as a fraction of the source width). */
export interface TargetPoint {
  t: number;
  x: number;
}

/** One shot of the clip (between two scene cuts) and where its subject was seen; none: hold the centre. */
export interface ShotTargets {
  start: number;
  end: number;
  targets: TargetPoint[];
}

/** A point of the path. Two keyframes at the same time are a cut: the window jumps, it does not pan. */
export interface Keyframe {
  t: number;
  x: number;
}

export interface PathBounds {
  /** The camera does not move while the subject stays this close to the window's centre (window widths). */
  deadZone: number;
  /** Fastest pan, in window widths per second. */
  maxSpeed: number;
  /** Fastest change of pan speed, in window widths per second². */
  maxAccel: number;
  /** Simulation step, seconds. */
  step: number;
}

export const DEFAULT_PATH_BOUNDS: PathBounds = { deadZone: 0.1, maxSpeed: 1, maxAccel: 2, step: 0.04 };

/**
 * The crop window's width as a fraction of the source width: the full source height cut to the
 * output's aspect. 1 (or more) means the source is no wider than the output: nothing to track.
 */
export function cropWindowWidth(source: { width: number; height: number }, output: { width: number; height: number }) {
  return (source.height * output.width) / output.height / source.width;
}

// Near the target the wanted speed also falls with the distance (per second), so the camera settles instead of hunting.
const GAIN = 3;
const clamp = (v: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, v));

/** The median of each target and its neighbours: one stray detection does not move the camera. */
export function medianFilter(targets: readonly TargetPoint[], radius = 1): TargetPoint[] {
  return targets.map((p, i) => {
    // Centred on the point: narrower at the ends, so the first and last targets stay their own.
    const r = Math.min(radius, i, targets.length - 1 - i);
    const window = targets.slice(i - r, i + r + 1).map((q) => q.x);
    window.sort((a, b) => a - b);
    return { t: p.t, x: window[Math.floor(window.length / 2)]! };
  });
}

/** The target at `t`: linear between samples, held before the first and after the last. */
function targetAt(targets: readonly TargetPoint[], t: number): number {
  if (t <= targets[0]!.t) return targets[0]!.x;
  for (let i = 1; i < targets.length; i++) {
    const b = targets[i]!;
    if (t <= b.t) {
      const a = targets[i - 1]!;
      return b.t === a.t ? b.x : a.x + ((b.x - a.x) * (t - a.t)) / (b.t - a.t);
    }
  }
  return targets[targets.length - 1]!.x;
}

/**
 * A virtual camera over one shot, stepped every `bounds.step` seconds: it starts on the subject
 * (a cut needs no pan), stays still while the subject is inside the dead zone, and otherwise pans
 * toward it no faster than `maxSpeed`, changing speed no faster than `maxAccel` (it brakes in time,
 * so it does not overshoot). The window never leaves the frame.
 */
export function smoothShot(shot: ShotTargets, windowWidth: number, bounds: PathBounds = DEFAULT_PATH_BOUNDS) {
  const half = Math.min(0.5, windowWidth / 2);
  const lo = half;
  const hi = 1 - half;
  const targets = medianFilter(shot.targets).map((p) => ({ t: p.t, x: clamp(p.x, lo, hi) }));
  const points: Keyframe[] = [];
  if (targets.length === 0) {
    points.push({ t: shot.start, x: 0.5 }, { t: shot.end, x: 0.5 });
    return points;
  }
  const dead = bounds.deadZone * windowWidth;
  const vMax = bounds.maxSpeed * windowWidth;
  const aMax = bounds.maxAccel * windowWidth;
  const dt = bounds.step;
  let x = targetAt(targets, shot.start);
  let v = 0;
  let moving = false;
  points.push({ t: shot.start, x });
  for (let t = shot.start + dt; t < shot.end + dt / 2; t += dt) {
    const now = Math.min(t, shot.end);
    const error = targetAt(targets, now) - x;
    // Hysteresis: start moving once the subject leaves the dead zone, stop once it is centred again.
    if (Math.abs(error) > dead) moving = true;
    else if (Math.abs(error) < dead / 4) moving = false;
    // The speed that still stops on the target at maxAccel, capped at maxSpeed; 0 when not moving.
    const speed = Math.min(vMax, Math.sqrt(2 * aMax * Math.abs(error)), GAIN * Math.abs(error));
    const wanted = moving ? Math.sign(error) * speed : 0;
    v += clamp(wanted - v, -aMax * dt, aMax * dt);
    x = clamp(x + v * dt, lo, hi);
    if (x === lo || x === hi) v = 0;
    points.push({ t: now, x });
  }
  return points;
}

/** Perpendicular (vertical) distance of `p` from the line through `a` and `b`. */
function offLine(p: Keyframe, a: Keyframe, b: Keyframe): number {
  if (b.t === a.t) return Math.abs(p.x - a.x);
  return Math.abs(p.x - (a.x + ((b.x - a.x) * (p.t - a.t)) / (b.t - a.t)));
}

/** Ramer–Douglas–Peucker on one continuous piece: the fewest points that stay within `tolerance`. */
function simplifyPiece(points: readonly Keyframe[], tolerance: number): Keyframe[] {
  if (points.length <= 2) return [...points];
  const keep = new Uint8Array(points.length);
  keep[0] = 1;
  keep[points.length - 1] = 1;
  const stack: [number, number][] = [[0, points.length - 1]];
  while (stack.length) {
    const [a, b] = stack.pop()!;
    let worst = -1;
    let dist = tolerance;
    for (let i = a + 1; i < b; i++) {
      const d = offLine(points[i]!, points[a]!, points[b]!);
      if (d > dist) {
        dist = d;
        worst = i;
      }
    }
    if (worst >= 0) {
      keep[worst] = 1;
      stack.push([a, worst], [worst, b]);
    }
  }
  return points.filter((_, i) => keep[i]);
}

/**
 * Joins the shots' smooth paths into keyframes: each shot simplified (RDP) until the whole path has
 * at most `maxKeyframes` (the tolerance doubles from `tolerance`, a fraction of the source width),
 * so the crop expression stays bounded whatever the clip's length. A shot starts with a keyframe at
 * its start time, so consecutive shots meet in two keyframes at the same time: a cut.
 */
export function simplifyPath(
  shots: readonly Keyframe[][],
  options: { tolerance?: number; maxKeyframes?: number } = {},
): Keyframe[] {
  const maxKeyframes = Math.max(2 * shots.length, options.maxKeyframes ?? 48);
  let tolerance = options.tolerance ?? 0.002;
  for (;;) {
    const out = shots.flatMap((s) => simplifyPiece(s, tolerance));
    if (out.length <= maxKeyframes) return dropRedundantCuts(out);
    tolerance *= 2;
  }
}

/** A "cut" to the same place is no cut: one keyframe is enough. */
function dropRedundantCuts(keyframes: Keyframe[]): Keyframe[] {
  const out: Keyframe[] = [];
  for (const k of keyframes) {
    const last = out[out.length - 1];
    if (last && last.t === k.t && Math.abs(last.x - k.x) < 1e-6) continue;
    out.push({ t: Math.round(k.t * 1000) / 1000, x: Math.round(k.x * 10000) / 10000 });
  }
  return out;
}

/** The path's position at `t`, as the crop expression computes it (for tests and checks). */
export function pathAt(keyframes: readonly Keyframe[], t: number): number {
  if (keyframes.length === 0) return 0.5;
  let x = keyframes[0]!.x;
  for (let i = 0; i + 1 < keyframes.length; i++) {
    const a = keyframes[i]!;
    const b = keyframes[i + 1]!;
    if (a.t === b.t) x += t >= a.t ? b.x - a.x : 0;
    else x += ((b.x - a.x) / (b.t - a.t)) * (clamp(t, a.t, b.t) - a.t);
  }
  return x;
}

/** The whole path for a clip: each shot smoothed on its own (cut, not panned, between them), then simplified. */
export function buildCropPath(
  shots: readonly ShotTargets[],
  windowWidth: number,
  bounds: PathBounds = DEFAULT_PATH_BOUNDS,
  limits: { tolerance?: number; maxKeyframes?: number } = {},
): Keyframe[] {
  return simplifyPath(
    shots.filter((s) => s.end > s.start).map((s) => smoothShot(s, windowWidth, bounds)),
    limits,
  );
}
