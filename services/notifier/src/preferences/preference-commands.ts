import type { NotificationPreferences, NotificationPreferencesBody, Principal } from '@reelforge/contracts';
import type { EntityManager } from '@reelforge/persistence';

interface PreferenceRow {
  email: string | null;
  email_opt_out: boolean;
  completion_email: boolean;
  digest: boolean;
}

/** A principal who never set anything gets no mail. */
const DEFAULT_PREFERENCES: NotificationPreferences = {
  email: null,
  emailOptOut: false,
  completionEmail: false,
  digest: false,
};

const toView = (r: PreferenceRow): NotificationPreferences => ({
  email: r.email,
  emailOptOut: r.email_opt_out,
  completionEmail: r.completion_email,
  digest: r.digest,
});

/** One principal's preferences (the defaults when it has no row), in the caller's transaction when there is one. */
export async function loadPreferences(
  em: EntityManager,
  schema: string,
  ownerId: string,
): Promise<NotificationPreferences> {
  const [row] = await em.execute<PreferenceRow[]>(
    `select email, email_opt_out, completion_email, digest from "${schema}".notification_preferences where owner_id = ?`,
    [ownerId],
  );
  return row ? toView(row) : DEFAULT_PREFERENCES;
}

/** The caller's own preferences; a PUT changes only the fields it names. */
export function createPreferenceCommands(deps: { fork: () => EntityManager; schema: string; clock: () => Date }) {
  const { schema } = deps;
  return {
    get: (req: { principal: Principal }) => loadPreferences(deps.fork(), schema, req.principal.id),
    put: async (req: { principal: Principal; body: NotificationPreferencesBody }): Promise<NotificationPreferences> => {
      const b = req.body;
      const next = { ...DEFAULT_PREFERENCES, ...b };
      // One upsert that sets only the named fields: no read-modify-write race between two PUTs.
      const [row] = await deps.fork().execute<PreferenceRow[]>(
        `insert into "${schema}".notification_preferences (owner_id, email, email_opt_out, completion_email, digest, updated_at) values (?, ?, ?, ?, ?, ?)
         on conflict (owner_id) do update set
           email = case when ? then excluded.email else notification_preferences.email end,
           email_opt_out = case when ? then excluded.email_opt_out else notification_preferences.email_opt_out end,
           completion_email = case when ? then excluded.completion_email else notification_preferences.completion_email end,
           digest = case when ? then excluded.digest else notification_preferences.digest end,
           updated_at = excluded.updated_at
         returning email, email_opt_out, completion_email, digest`,
        [
          req.principal.id,
          next.email,
          next.emailOptOut,
          next.completionEmail,
          next.digest,
          deps.clock(),
          'email' in b,
          'emailOptOut' in b,
          'completionEmail' in b,
          'digest' in b,
        ],
      );
      return toView(row!);
    },
  };
}
