/**
 * Runs work items of one key one batch at a time, and gathers the items that arrive meanwhile into
 * the next batch (group commit: the first item goes at once, the rest wait no longer than the
 * batch before them). Each caller's promise settles with its own item. When a batch fails, its
 * items run again one by one, so an error belongs to the item that caused it and a poisoned item
 * never takes the others of its batch down with it.
 */
export function coalesceByKey<T>(options: {
  runBatch: (key: string, items: T[]) => Promise<void>;
  runOne: (key: string, item: T) => Promise<void>;
  maxBatch: number;
}): (key: string, item: T) => Promise<void> {
  interface Waiting {
    item: T;
    resolve: () => void;
    reject: (err: unknown) => void;
  }
  const queues = new Map<string, Waiting[]>();

  async function drain(key: string, queue: Waiting[]): Promise<void> {
    while (queue.length > 0) {
      const batch = queue.splice(0, options.maxBatch);
      try {
        if (batch.length === 1) await options.runOne(key, batch[0]!.item);
        else
          await options.runBatch(
            key,
            batch.map((w) => w.item),
          );
        for (const w of batch) w.resolve();
        continue;
      } catch (err) {
        if (batch.length === 1) {
          batch[0]!.reject(err);
          continue;
        }
      }
      for (const w of batch) {
        try {
          await options.runOne(key, w.item);
          w.resolve();
        } catch (err) {
          w.reject(err);
        }
      }
    }
    queues.delete(key);
  }

  return (key, item) =>
    new Promise<void>((resolve, reject) => {
      const queue = queues.get(key);
      if (queue) {
        queue.push({ item, resolve, reject });
        return;
      }
      const fresh: Waiting[] = [{ item, resolve, reject }];
      queues.set(key, fresh);
      void drain(key, fresh);
    });
}
