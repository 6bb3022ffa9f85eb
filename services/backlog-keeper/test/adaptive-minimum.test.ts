import { describe, expect, it } from 'vitest';
import { adaptiveMinimum, percentile } from '../src/backlog/adaptive-minimum.ts';

describe('the adaptive minimum', () => {
  it('is the configured minimum while demand is below it', () => {
    expect(adaptiveMinimum(3, new Array(24).fill(1), 50)).toBe(3);
    expect(adaptiveMinimum(3, [], 50)).toBe(3);
  });

  it('rises to the 95th percentile of hourly claims, bounded by the cap', () => {
    const hours = [...new Array(20).fill(2), 10, 12, 14, 40];
    expect(percentile(hours, 95)).toBe(14);
    expect(adaptiveMinimum(3, hours, 50)).toBe(14);
    expect(adaptiveMinimum(3, hours, 8)).toBe(8);
  });

  it('stays off for a recipe whose minimum is 0, whatever the demand', () => {
    expect(adaptiveMinimum(0, new Array(24).fill(30), 50)).toBe(0);
  });
});
