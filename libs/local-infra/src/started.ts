/** Something started that can be stopped (a server, a supervised service). */
interface Stoppable {
  stop(): Promise<void>;
}

/** Stopping some of what was started failed; `errors` says what, in stop order. */
class StopError extends AggregateError {
  constructor(errors: Error[]) {
    super(errors, `could not stop: ${errors.map((e) => e.message).join('; ')}`);
    this.name = 'StopError';
  }
}

export interface StartedList {
  /** Records `item` (returned as is) to be stopped by `stopAll`. */
  add<T extends Stoppable>(name: string, item: T): T;
  /** Stops everything recorded, newest first (services before the servers they use); each is tried even if another fails. */
  stopAll(): Promise<void>;
}

/**
 * What a setup has started so far. A setup that fails half-way calls `stopAll` before rethrowing,
 * so no server outlives it (a nats-server left running would hold its port and store).
 */
export function startedList(): StartedList {
  const items: { name: string; item: Stoppable }[] = [];
  return {
    add: (name, item) => {
      items.push({ name, item });
      return item;
    },
    stopAll: async () => {
      const errors: Error[] = [];
      for (let entry = items.pop(); entry; entry = items.pop()) {
        try {
          await entry.item.stop();
        } catch (err) {
          errors.push(new Error(`${entry.name}: ${err instanceof Error ? err.message : String(err)}`, { cause: err }));
        }
      }
      if (errors.length) throw new StopError(errors);
    },
  };
}
