import { describe, expect, it } from 'vitest';
import { drawForm } from '../src/backlog/draw-form.ts';
import { checkVariables } from '../src/recipes/recipe-variables.ts';

/** A seeded generator (mulberry32): the same draws every run. */
function seeded(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const schema = checkVariables({
  type: 'object',
  properties: {
    colour: { type: 'string', enum: ['red', 'green', 'blue'], default: 'red' },
    clips: { type: 'integer', minimum: 1, maximum: 5, default: 2 },
    loud: { type: 'boolean', default: false },
    headline: { type: 'string', minLength: 1, default: 'Today' },
  },
});

describe('drawing a backlog item’s form', () => {
  it('follows real usage: values are drawn in proportion to their uses', () => {
    const usage = [
      { variable: 'colour', value: 'blue', uses: 90 },
      { variable: 'colour', value: 'green', uses: 10 },
    ];
    const random = seeded(7);
    const counts: Record<string, number> = {};
    for (let i = 0; i < 2000; i++) {
      const c = String(drawForm(schema, usage, random).colour);
      counts[c] = (counts[c] ?? 0) + 1;
    }
    // Never a value nobody used while usage exists; blue ≈ 90 %.
    expect(counts.red).toBeUndefined();
    expect(counts.blue! / 2000).toBeGreaterThan(0.86);
    expect(counts.blue! / 2000).toBeLessThan(0.94);
  });

  it('without usage draws any allowed value, keeps the default where there is no range, and always validates', () => {
    const random = seeded(11);
    const seen = { colour: new Set<unknown>(), clips: new Set<unknown>(), loud: new Set<unknown>() };
    for (let i = 0; i < 300; i++) {
      const form = drawForm(schema, [], random);
      expect(form.headline).toBe('Today');
      expect(Number.isInteger(form.clips) && (form.clips as number) >= 1 && (form.clips as number) <= 5).toBe(true);
      seen.colour.add(form.colour);
      seen.clips.add(form.clips);
      seen.loud.add(form.loud);
    }
    expect(seen.colour).toEqual(new Set(['red', 'green', 'blue']));
    expect(seen.clips).toEqual(new Set([1, 2, 3, 4, 5]));
    expect(seen.loud).toEqual(new Set([true, false]));
  });

  it('ignores recorded values the schema no longer allows', () => {
    const usage = [
      { variable: 'colour', value: 'purple', uses: 1000 },
      { variable: 'clips', value: 9, uses: 1000 },
      { variable: 'clips', value: 3, uses: 1 },
    ];
    const random = seeded(3);
    for (let i = 0; i < 50; i++) {
      const form = drawForm(schema, usage, random);
      expect(['red', 'green', 'blue']).toContain(form.colour);
      expect(form.clips).toBe(3);
    }
  });
});
