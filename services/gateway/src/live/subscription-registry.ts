import type { StatusEvent } from './status-event.ts';

/** Something that receives status events: one WebSocket or SSE connection. */
export interface Subscriber {
  deliver(event: StatusEvent): void;
}

/**
 * Who listens to which id (account, generation or task), indexed so an event reaches its
 * subscribers without scanning every connection.
 */
export function createSubscriptionRegistry() {
  const byId = new Map<string, Set<Subscriber>>();
  return {
    add: (id: string, s: Subscriber) => {
      let set = byId.get(id);
      if (!set) byId.set(id, (set = new Set()));
      set.add(s);
    },
    remove: (id: string, s: Subscriber) => {
      const set = byId.get(id);
      if (!set) return;
      set.delete(s);
      if (set.size === 0) byId.delete(id);
    },
    /** Whether anyone here listens to this id. */
    has: (id: string): boolean => byId.has(id),
    /** Delivers once to each subscriber of any of the event's ids. */
    dispatch: (event: StatusEvent) => {
      const sets: Set<Subscriber>[] = [];
      for (const id of [event.accountId, event.generationId, event.taskId]) {
        const set = id ? byId.get(id) : undefined;
        if (set) sets.push(set);
      }
      // One id subscribed (the usual case, e.g. thousands of sockets on one account): iterated as
      // is, nothing to deduplicate (a delivery never subscribes; a Set skips what is removed meanwhile).
      const targets = sets.length === 1 ? sets[0]! : new Set(sets.flatMap((set) => [...set]));
      for (const s of targets) s.deliver(event);
    },
    get size() {
      return byId.size;
    },
  };
}

export type SubscriptionRegistry = ReturnType<typeof createSubscriptionRegistry>;
