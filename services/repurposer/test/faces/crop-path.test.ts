import { describe, expect, it } from 'vitest';
import { chooseSubjects } from '../../src/faces/choose-subject.ts';
import { pathExpression, trackCropFilter } from '../../src/faces/crop-expression.ts';
import {
  DEFAULT_PATH_BOUNDS,
  buildCropPath,
  cropWindowWidth,
  medianFilter,
  pathAt,
  simplifyPath,
  smoothShot,
  type Keyframe,
} from '../../src/faces/crop-path.ts';
import type { FaceBox } from '../../src/faces/face.ts';

// A 16:9 source cut to 9:16: the window is 0.316 of the source's width.
const WINDOW = cropWindowWidth({ width: 1280, height: 720 }, { width: 1080, height: 1920 });
const B = DEFAULT_PATH_BOUNDS;
const face = (cx: number, size = 0.15, score = 0.9): FaceBox => ({
  x: cx - size / 2,
  y: 0.3,
  width: size,
  height: size * 1.7,
  score,
});

/** The path sampled at 25 fps, as the render evaluates it. */
const frames = (keyframes: Keyframe[], from: number, to: number) => {
  const out: number[] = [];
  for (let t = from; t <= to + 1e-9; t += 0.04) out.push(pathAt(keyframes, t));
  return out;
};

describe('crop path (pure)', () => {
  it('the window of a 16:9 source cut to 9:16 is 0.316 of its width; a source as narrow as the output has nothing to track', () => {
    expect(WINDOW).toBeCloseTo(0.3164, 3);
    expect(cropWindowWidth({ width: 1080, height: 1920 }, { width: 1080, height: 1920 })).toBe(1);
  });

  it('one stray detection does not move the camera (median of 3)', () => {
    const xs = medianFilter([0.5, 0.5, 0.9, 0.5, 0.5].map((x, i) => ({ t: i / 2, x }))).map((p) => p.x);
    expect(xs).toEqual([0.5, 0.5, 0.5, 0.5, 0.5]);
  });

  it('a subject wobbling by less than the dead zone (10% of the window) never moves the camera', () => {
    const wobble = Array.from({ length: 20 }, (_, i) => ({ t: i / 2, x: 0.5 + (i % 2 ? 1 : -1) * 0.045 * WINDOW }));
    const path = smoothShot({ start: 0, end: 10, targets: wobble }, WINDOW);
    const xs = path.map((p) => p.x);
    expect(Math.max(...xs) - Math.min(...xs)).toBeLessThan(0.001);
  });

  it('a jump of the subject is followed within maxSpeed and maxAccel, without overshoot, and settles on it', () => {
    const targets = [
      ...Array.from({ length: 4 }, (_, i) => ({ t: i / 2, x: 0.3 })),
      ...Array.from({ length: 16 }, (_, i) => ({ t: 2 + i / 2, x: 0.7 })),
    ];
    const path = smoothShot({ start: 0, end: 10, targets }, WINDOW);
    for (let i = 1; i < path.length; i++) {
      const v = (path[i]!.x - path[i - 1]!.x) / B.step;
      expect(Math.abs(v)).toBeLessThanOrEqual(B.maxSpeed * WINDOW + 1e-9);
      expect(path[i]!.x).toBeLessThanOrEqual(0.7 + 1e-9); // no overshoot
      if (i > 1) {
        const a = (path[i]!.x - 2 * path[i - 1]!.x + path[i - 2]!.x) / B.step ** 2;
        expect(Math.abs(a)).toBeLessThanOrEqual(B.maxAccel * WINDOW + 1e-6);
      }
    }
    expect(path[path.length - 1]!.x).toBeGreaterThan(0.7 - (B.deadZone * WINDOW) / 4);
  });

  it('the window never leaves the frame: a subject at the edge puts the window against it', () => {
    const path = smoothShot({ start: 0, end: 2, targets: [{ t: 0, x: 0.02 }] }, WINDOW);
    expect(path.every((p) => Math.abs(p.x - WINDOW / 2) < 1e-9)).toBe(true);
  });

  it('two shots with the subject on opposite sides cut at the shot change (two keyframes at one time), never pan', () => {
    const keyframes = buildCropPath(
      [
        { start: 0, end: 3, targets: [0, 1, 2, 2.5].map((t) => ({ t, x: 0.2 })) },
        { start: 3, end: 6, targets: [3, 4, 5, 5.5].map((t) => ({ t, x: 0.8 })) },
      ],
      WINDOW,
    );
    const xs = frames(keyframes, 0, 6);
    const steps = xs.slice(1).map((x, i) => Math.abs(x - xs[i]!));
    // One step is the cut (≈ 0.6 of the frame); every other frame does not move at all.
    expect(steps.filter((s) => s > 0.5)).toHaveLength(1);
    expect(steps.filter((s) => s > 1e-6)).toHaveLength(1);
    expect(pathAt(keyframes, 2.99)).toBeCloseTo(0.2, 3);
    expect(pathAt(keyframes, 3)).toBeCloseTo(0.8, 3);
  });

  it('simplification keeps the path within its tolerance and bounds the keyframes, whatever the length', () => {
    // Ten minutes of a subject wandering: thousands of simulated points.
    const targets = Array.from({ length: 1200 }, (_, i) => ({ t: i / 2, x: 0.5 + 0.3 * Math.sin(i / 15) }));
    const dense = smoothShot({ start: 0, end: 600, targets }, WINDOW);
    const fine = simplifyPath([dense], { tolerance: 0.002, maxKeyframes: 100_000 });
    for (let i = 0; i < dense.length; i += 7)
      expect(Math.abs(pathAt(fine, dense[i]!.t) - dense[i]!.x)).toBeLessThan(0.0021);
    const bounded = simplifyPath([dense], { maxKeyframes: 48 });
    expect(bounded.length).toBeLessThanOrEqual(48);
    expect(pathExpression(bounded).length).toBeLessThan(48 * 45);
  });

  it('the expression is a flat sum of the pans and cuts, and evaluates like pathAt', () => {
    const keyframes: Keyframe[] = [
      { t: 0, x: 0.3 },
      { t: 1, x: 0.3 },
      { t: 2, x: 0.5 },
      { t: 3, x: 0.5 },
      { t: 3, x: 0.8 },
      { t: 4, x: 0.8 },
    ];
    expect(pathExpression(keyframes)).toBe('0.3+0.2*(clip(t,1,2)-1)+0.3*gte(t,3)');
    const evaluate = (t: number) => 0.3 + 0.2 * (Math.min(2, Math.max(1, t)) - 1) + 0.3 * (t >= 3 ? 1 : 0);
    for (const t of [0, 0.5, 1.5, 2.5, 2.999, 3, 3.5, 9]) expect(pathAt(keyframes, t)).toBeCloseTo(evaluate(t), 9);
    expect(trackCropFilter(keyframes, { width: 1080, height: 1920 })).toBe(
      "crop=w='2*trunc(min(iw,ih*1080/1920)/2)':h='2*trunc(min(ih,iw*1920/1080)/2)':x='clip((0.3+0.2*(clip(t,1,2)-1)+0.3*gte(t,3))*iw-ow/2,0,iw-ow)':y='(ih-oh)/2'",
    );
  });
});

describe('subject choice (pure)', () => {
  it('follows the largest, most persistent face of each shot; a shot without faces has no targets', () => {
    const samples = [0, 0.5, 1, 1.5, 2, 2.5].map((t) => ({
      t,
      // A big face at 0.3 in every sample, a small one at 0.8 in every other one.
      faces: t % 1 === 0 ? [face(0.8, 0.08), face(0.3, 0.2)] : [face(0.3 + t * 0.01, 0.2)],
    }));
    const [first, second] = chooseSubjects(samples, [
      { start: 0, end: 3 },
      { start: 3, end: 4 },
    ]);
    expect(first!.faces).toBe(2);
    expect(first!.targets).toHaveLength(6);
    expect(first!.targets.every((p) => Math.abs(p.x - 0.3) < 0.05)).toBe(true);
    expect(second!.targets).toEqual([]);
  });

  it('a persistent face beats a bigger one seen once', () => {
    const samples = [0, 0.5, 1, 1.5, 2].map((t) => ({
      t,
      faces: t === 1 ? [face(0.2, 0.15), face(0.75, 0.3)] : [face(0.2, 0.15)],
    }));
    const [shot] = chooseSubjects(samples, [{ start: 0, end: 2.5 }]);
    expect(shot!.targets.map((p) => p.x)).toEqual([0.2, 0.2, 0.2, 0.2, 0.2].map((x) => expect.closeTo(x, 6)));
  });
});
