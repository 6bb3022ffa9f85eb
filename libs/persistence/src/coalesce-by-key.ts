/**
 * Runs work items of one key one batch at a time, and gathers the items that arrive meanwhile into
 * the next batch (group commit: the first item goes at once, the rest wait no longer than the
 * batch before them). Each caller's promise settles with its own item's result. When a batch
 * fails, its items run again one by one, so an error belongs to the item that caused it and a
 * poisoned item never takes the others of its batch down with it.
 */
export function coalesceByKey<T, R = void>(options: {
  /** One result per item, in the items' order. */
  runBatch: (key: string, items: T[]) => Promise<R[]>;
  runOne: (key: string, item: T) => Promise<R>;
  maxBatch: number;
}): (key: string, item: T) => Promise<R> {
  interface Waiting {
    item: T;
    resolve: (result: R) => void;
    reject: (err: unknown) => void;
  }
  const queues = new Map<string, Waiting[]>();

  async function runAlone(key: string, w: Waiting): Promise<void> {
    try {
      w.resolve(await options.runOne(key, w.item));
    } catch (err) {
      w.reject(err);
    }
  }

  async function drain(key: string, queue: Waiting[]): Promise<void> {
    while (queue.length > 0) {
      const batch = queue.splice(0, options.maxBatch);
      if (batch.length === 1) {
        await runAlone(key, batch[0]!);
        continue;
      }
      let results: R[];
      try {
        results = await options.runBatch(
          key,
          batch.map((w) => w.item),
        );
      } catch {
        for (const w of batch) await runAlone(key, w);
        continue;
      }
      batch.forEach((w, i) => w.resolve(results[i]!));
    }
    queues.delete(key);
  }

  return (key, item) =>
    new Promise<R>((resolve, reject) => {
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
