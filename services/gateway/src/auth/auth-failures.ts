/**
 * Failed authentications per client address, counted in a window that opens at the address's
 * first failure: after `max` failures within `windowMs`, the address is refused until the window
 * ends. Bounded: the oldest addresses are forgotten first, so a flood of addresses cannot grow memory.
 */
export interface AuthFailures {
  /** Seconds until `address` may try again, or 0 when it may try now. */
  retryAfterSeconds(address: string): number;
  record(address: string): void;
}

export function createAuthFailures(options: {
  max: number;
  windowMs: number;
  maxEntries?: number;
  now?: () => number;
}): AuthFailures {
  const now = options.now ?? Date.now;
  const maxEntries = options.maxEntries ?? 10_000;
  const windows = new Map<string, { count: number; endsAt: number }>();
  const current = (address: string) => {
    const w = windows.get(address);
    if (w && w.endsAt > now()) return w;
    if (w) windows.delete(address);
    return undefined;
  };
  return {
    retryAfterSeconds: (address) => {
      const w = current(address);
      return w && w.count >= options.max ? Math.max(1, Math.ceil((w.endsAt - now()) / 1000)) : 0;
    },
    record: (address) => {
      const w = current(address);
      if (w) {
        w.count++;
        return;
      }
      windows.set(address, { count: 1, endsAt: now() + options.windowMs });
      while (windows.size > maxEntries) {
        const oldest = windows.keys().next();
        if (oldest.done) break;
        windows.delete(oldest.value);
      }
    },
  };
}
