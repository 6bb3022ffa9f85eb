import {
  DomainError,
  type MarkReadBody,
  type NotificationPage,
  type NotificationView,
  type Principal,
} from '@reelforge/contracts';
import type { EntityManager } from '@reelforge/persistence';

interface NotificationRow {
  id: string;
  account_id: string;
  kind: NotificationView['kind'];
  subject_id: string;
  message: string;
  created_at: Date | string;
  read_at: Date | string | null;
}

const iso = (d: Date | string) => new Date(d).toISOString();
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function toView(r: NotificationRow): NotificationView {
  return {
    id: r.id,
    kind: r.kind,
    accountId: r.account_id,
    subjectId: r.subject_id,
    message: r.message,
    createdAt: iso(r.created_at),
    readAt: r.read_at === null ? null : iso(r.read_at),
  };
}

async function unreadOf(em: EntityManager, schema: string, ownerId: string): Promise<number> {
  const [row] = await em.execute<{ n: string }[]>(
    `select count(*) as n from "${schema}".notifications where owner_id = ? and read_at is null`,
    [ownerId],
  );
  return Number(row?.n ?? 0);
}

/** The caller's own notifications, newest first; every query is scoped to the principal. */
export function createNotificationCommands(deps: { fork: () => EntityManager; schema: string; clock: () => Date }) {
  const { schema } = deps;
  return {
    list: async (req: { principal: Principal; limit?: number; cursor?: string }): Promise<NotificationPage> => {
      // The cursor is the last id seen (UUIDv7: id order is time order).
      if (req.cursor !== undefined && !UUID.test(req.cursor))
        throw new DomainError('VALIDATION_FAILED', 'cursor is not one this API gave', { field: 'querystring/cursor' });
      const limit = req.limit ?? 20;
      const em = deps.fork();
      const rows = await em.execute<NotificationRow[]>(
        `select * from "${schema}".notifications where owner_id = ? ${req.cursor ? 'and id < ?' : ''} order by id desc limit ?`,
        req.cursor ? [req.principal.id, req.cursor, limit + 1] : [req.principal.id, limit + 1],
      );
      const page = rows.slice(0, limit);
      return {
        items: page.map(toView),
        nextCursor: rows.length > limit ? page[page.length - 1]!.id : null,
        unread: await unreadOf(em, schema, req.principal.id),
      };
    },
    markRead: async (req: {
      principal: Principal;
      body: MarkReadBody;
    }): Promise<{ updated: number; unread: number }> => {
      const em = deps.fork();
      const now = deps.clock();
      // Ids of other principals simply match nothing: no existence leak.
      const rows =
        'all' in req.body
          ? await em.execute<{ id: string }[]>(
              `update "${schema}".notifications set read_at = ? where owner_id = ? and read_at is null returning id`,
              [now, req.principal.id],
            )
          : await em.execute<{ id: string }[]>(
              `update "${schema}".notifications set read_at = ? where owner_id = ? and read_at is null and id = any(?::uuid[]) returning id`,
              [now, req.principal.id, `{${req.body.ids.join(',')}}`],
            ); // a Postgres array literal: the driver would spread a JS array
      return { updated: rows.length, unread: await unreadOf(em, schema, req.principal.id) };
    },
  };
}
