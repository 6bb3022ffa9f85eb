import { describe, expect, it } from 'vitest';
import { slotAt, slotsBetween } from '../src/jobs/slots.ts';

const at = (iso: string) => new Date(iso);

describe('job slots', () => {
  it('puts an instant in the latest fire time at or before it', () => {
    const every30 = { cron: '*/30 * * * *', timezone: 'UTC' };
    expect(slotAt(every30, at('2026-03-08T07:30:00.000Z')).toISOString()).toBe('2026-03-08T07:30:00.000Z');
    expect(slotAt(every30, at('2026-03-08T07:29:59.999Z')).toISOString()).toBe('2026-03-08T07:00:00.000Z');
    expect(slotAt({ cron: '0 3 * * *', timezone: 'UTC' }, at('2026-03-08T02:00:00Z')).toISOString()).toBe(
      '2026-03-07T03:00:00.000Z',
    );
  });

  it('reads the cron in SCHEDULER_TIMEZONE, across a DST change', () => {
    const daily = { cron: '0 3 * * *', timezone: 'America/New_York' };
    // 03:00 EST is 08:00Z; on 2026-03-08 New York moves to EDT, so 03:00 is 07:00Z.
    expect(
      slotsBetween(daily, at('2026-03-07T00:00:00Z'), at('2026-03-09T00:00:00Z')).map((d) => d.toISOString()),
    ).toEqual(['2026-03-07T08:00:00.000Z', '2026-03-08T07:00:00.000Z']);
  });

  it('lists fire times after `from` up to and including `to`, keeping the newest when capped', () => {
    const every5 = { cron: '*/5 * * * *', timezone: 'UTC' };
    expect(
      slotsBetween(every5, at('2026-03-08T07:00:00Z'), at('2026-03-08T07:15:00Z')).map((d) => d.toISOString()),
    ).toEqual(['2026-03-08T07:05:00.000Z', '2026-03-08T07:10:00.000Z', '2026-03-08T07:15:00.000Z']);
    expect(
      slotsBetween(every5, at('2026-03-08T00:00:00Z'), at('2026-03-08T07:15:00Z'), 2).map((d) => d.toISOString()),
    ).toEqual(['2026-03-08T07:10:00.000Z', '2026-03-08T07:15:00.000Z']);
  });
});
