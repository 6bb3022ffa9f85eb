/** One thing a Server-Sent Events stream sent: an event, or a comment (heartbeats). */
export type SseItem =
  | { kind: 'event'; id: string | undefined; event: string; data: Record<string, unknown> }
  | { kind: 'comment'; text: string };

/**
 * A test client for the gateway's SSE routes, read the way a browser's EventSource parses them.
 * `next()` gives what the server sent next, or null once the server ended the stream.
 */
export async function openSse(baseUrl: string, path: string, bearer: string, lastEventId?: string) {
  const controller = new AbortController();
  const res = await fetch(`${baseUrl}${path}`, {
    headers: { authorization: `Bearer ${bearer}`, ...(lastEventId ? { 'last-event-id': lastEventId } : {}) },
    signal: controller.signal,
  });
  const reader = res.status === 200 ? res.body!.getReader() : undefined;
  const decoder = new TextDecoder();
  const queued: SseItem[] = [];
  let buffer = '';
  let ended = false;

  const parse = (block: string) => {
    const lines = block.split('\n');
    const field = (name: string) => lines.find((l) => l.startsWith(`${name}: `))?.slice(name.length + 2);
    const data = field('data');
    if (data !== undefined)
      queued.push({
        kind: 'event',
        id: field('id'),
        event: field('event') ?? 'message',
        data: JSON.parse(data) as Record<string, unknown>,
      });
    else if (block.startsWith(':')) queued.push({ kind: 'comment', text: block.slice(1).trim() });
  };

  async function next(): Promise<SseItem | null> {
    while (queued.length === 0) {
      if (ended || !reader) return null;
      const { value, done } = await reader.read();
      if (done) {
        ended = true;
        return null;
      }
      buffer += decoder.decode(value, { stream: true });
      let end: number;
      while ((end = buffer.indexOf('\n\n')) >= 0) {
        parse(buffer.slice(0, end));
        buffer = buffer.slice(end + 2);
      }
    }
    return queued.shift()!;
  }

  return {
    res,
    next,
    /** The next event, skipping comments (null once the stream ended). */
    async nextEvent() {
      for (;;) {
        const item = await next();
        if (item === null || item.kind === 'event') return item;
      }
    },
    /** Every event until the server ends the stream. */
    async rest() {
      const events: Extract<SseItem, { kind: 'event' }>[] = [];
      for (let item = await next(); item !== null; item = await next()) if (item.kind === 'event') events.push(item);
      return events;
    },
    close() {
      controller.abort();
      void reader?.cancel().catch(() => undefined);
    },
  };
}

/** The task status a `job_status` event carries. */
export const statusIn = (item: SseItem | null) =>
  item?.kind === 'event' ? (item.data.status as { status?: string } | undefined)?.status : undefined;
