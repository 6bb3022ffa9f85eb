import { DomainError, WEBHOOK_EVENT_TYPES } from '@reelforge/contracts';

/** Whether a filter entry (`generation.completed`, `generation.*`, `*`) takes this event type. */
const entryMatches = (entry: string, type: string): boolean =>
  entry === '*' || entry === type || (entry.endsWith('.*') && type.startsWith(entry.slice(0, -1)));

export const filterMatches = (filter: readonly string[], type: string): boolean =>
  filter.some((entry) => entryMatches(entry, type));

/**
 * Refuses a filter entry that can never match (a typo would otherwise subscribe to nothing, silently).
 * Returns the filter without duplicates.
 */
export function validateEventFilter(filter: readonly string[]): string[] {
  for (const entry of filter) {
    if (!WEBHOOK_EVENT_TYPES.some((type) => entryMatches(entry, type))) {
      throw new DomainError(
        'VALIDATION_FAILED',
        `"${entry}" matches no event; events are ${WEBHOOK_EVENT_TYPES.join(', ')}, a family such as generation.*, or *`,
        { field: 'body/events' },
      );
    }
  }
  return [...new Set(filter)];
}
