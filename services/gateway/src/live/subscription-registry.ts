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
    /** Delivers once to each subscriber of any of the event's ids. */
    dispatch: (event: StatusEvent) => {
      const targets = new Set<Subscriber>();
      for (const id of [event.accountId, event.generationId, event.taskId]) {
        if (id) for (const s of byId.get(id) ?? []) targets.add(s);
      }
      for (const s of targets) s.deliver(event);
    },
    get size() {
      return byId.size;
    },
  };
}

export type SubscriptionRegistry = ReturnType<typeof createSubscriptionRegistry>;
