import { describe, expect, it } from 'vitest';
import { DomainError } from '@reelforge/contracts';
import { filterMatches, validateEventFilter } from '../src/webhooks/event-filter.ts';
import { createWebhookCommands } from '../src/webhooks/webhook-commands.ts';

// The URL and filter rules run before anything is stored: a refused hook never reaches the database.
const commands = createWebhookCommands({
  fork: () => {
    throw new Error('a refused webhook must not reach the database');
  },
  schema: 'unused',
  clock: () => new Date(),
  allowPrivate: false,
  maxPerOwner: 20,
  kick: () => undefined,
});
const create = (url: string) =>
  commands.create({ principal: { id: 'someone', roles: [] }, body: { url, events: ['*'] } });

describe('webhook URL policy (production settings)', () => {
  it.each([
    ['http://example.com/hook', 'must use https'],
    ['https://127.0.0.1/hook', 'private or loopback'],
    ['https://10.1.2.3/hook', 'private or loopback'],
    ['https://[::1]/hook', 'private or loopback'],
    ['https://169.254.169.254/latest', 'private or loopback'],
    ['https://user:pw@example.com/hook', 'credentials'],
  ])('%s is refused (%s)', async (url, reason) => {
    const err = await create(url).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DomainError);
    expect((err as DomainError).code).toBe('VALIDATION_FAILED');
    expect((err as DomainError).message).toContain(reason);
  });
});

describe('event filters', () => {
  it('matches exact types, families and everything', () => {
    expect(filterMatches(['generation.*'], 'generation.failed')).toBe(true);
    expect(filterMatches(['generation.*'], 'task.failed')).toBe(false);
    expect(filterMatches(['*'], 'task.failed')).toBe(true);
    expect(filterMatches(['task.failed'], 'task.failed')).toBe(true);
    expect(filterMatches(['task.failed'], 'task.failedx')).toBe(false);
    expect(filterMatches(['backlog.*'], 'backlog.item.claimed')).toBe(true);
    expect(filterMatches(['backlog.item.claimed'], 'backlog.item.claimed')).toBe(true);
    expect(filterMatches(['generation.*'], 'backlog.item.claimed')).toBe(false);
  });
  it('refuses entries that match no event, and drops duplicates', () => {
    expect(() => validateEventFilter(['task.completed'])).toThrow(/matches no event/);
    expect(() => validateEventFilter(['gen*'])).toThrow(/matches no event/);
    expect(validateEventFilter(['*', '*', 'task.failed'])).toEqual(['*', 'task.failed']);
    expect(validateEventFilter(['backlog.item.claimed', 'backlog.*'])).toEqual(['backlog.item.claimed', 'backlog.*']);
    expect(() => validateEventFilter(['backlog.claimed'])).toThrow(/matches no event/);
  });
});
