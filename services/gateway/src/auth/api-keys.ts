import { createHash, randomBytes } from 'node:crypto';
import { DomainError, uuidv7, type Principal } from '@reelforge/contracts';
import type { MikroORM } from '@reelforge/persistence';
import type { Logger } from 'pino';
import { apiKeyRoles } from './roles.ts';
import { createTtlCache } from './ttl-cache.ts';
import type { VerifyToken } from './verify-token.ts';

/** API keys look like `rf_<43 url-safe chars>` (256 random bits); only their SHA-256 is stored. */
const API_KEY_PREFIX = 'rf_';
const KEY_SHAPE = /^rf_[A-Za-z0-9_-]{43}$/;

const hash = (key: string) => createHash('sha256').update(key).digest('hex');

export interface ApiKeyView {
  id: string;
  name: string;
  roles: string[];
  createdAt: string;
  lastUsedAt: string | null;
  revokedAt: string | null;
}

interface KeyRow {
  id: string;
  principal_id: string;
  name: string;
  roles: string[];
  created_at: Date;
  last_used_at: Date | null;
  revoked_at: Date | null;
}

/** A valid key as cached in memory (keyed by its hash, never the key itself). */
interface KnownKey {
  id: string;
  principal: Principal;
  /** When its use was last written (or claimed for writing), in ms; null = never. */
  lastUsedAt: number | null;
}

/** How long a valid key is trusted without asking the database: a revoke made through another instance takes effect within this. */
export const API_KEY_CACHE_TTL_MS = 5_000;
/** `last_used_at` is written at most this often per key. */
const LAST_USED_EVERY_MS = 60_000;

const toView = (r: KeyRow): ApiKeyView => ({
  id: r.id,
  name: r.name,
  roles: r.roles,
  createdAt: new Date(r.created_at).toISOString(),
  lastUsedAt: r.last_used_at ? new Date(r.last_used_at).toISOString() : null,
  revokedAt: r.revoked_at ? new Date(r.revoked_at).toISOString() : null,
});

/**
 * Server-to-server API keys, owned by the principal that made them (same tenant; the roles asked
 * for, each one the maker holds, else the maker's without `operator`: see roles.ts).
 *
 * Verification stays off the database's write path: valid keys are cached by hash for
 * API_KEY_CACHE_TTL_MS (a revoke through this instance evicts at once, other instances notice
 * within the TTL), unknown keys cost one SELECT and no write, and `last_used_at` is written at
 * most once a minute per key, in the background.
 */
export function createApiKeys(deps: { orm: MikroORM; schema: string; log: Pick<Logger, 'warn'>; cacheTtlMs?: number }) {
  const t = `"${deps.schema}".api_keys`;
  const em = () => deps.orm.em.fork();
  const cache = createTtlCache<KnownKey>({ ttlMs: deps.cacheTtlMs ?? API_KEY_CACHE_TTL_MS, maxEntries: 10_000 });
  // One SELECT per hash at a time; every revoke bumps `revokes`, so a lookup racing one is not cached.
  const lookups = new Map<string, Promise<KnownKey | undefined>>();
  let revokes = 0;

  async function select(keyHash: string): Promise<KnownKey | undefined> {
    const before = revokes;
    const [row] = await em().execute<KeyRow[]>(
      `select id, principal_id, roles, last_used_at from ${t} where key_hash = ? and revoked_at is null`,
      [keyHash],
    );
    if (!row) return undefined;
    const known = {
      id: row.id,
      principal: { id: row.principal_id, roles: row.roles },
      lastUsedAt: row.last_used_at ? new Date(row.last_used_at).getTime() : null,
    };
    if (revokes === before) cache.set(keyHash, known);
    return known;
  }
  function lookup(keyHash: string): Promise<KnownKey | undefined> {
    const running = lookups.get(keyHash);
    if (running) return running;
    const pending: Promise<KnownKey | undefined> = select(keyHash).finally(() => {
      if (lookups.get(keyHash) === pending) lookups.delete(keyHash);
    });
    lookups.set(keyHash, pending);
    return pending;
  }
  /** Records the use without delaying the request; the condition keeps it to one write a minute even across instances. */
  function recordUse(known: KnownKey): void {
    const now = Date.now();
    if (known.lastUsedAt !== null && now - known.lastUsedAt < LAST_USED_EVERY_MS) return;
    known.lastUsedAt = now; // claimed before writing, so concurrent calls do not write again
    void em()
      .execute(
        `update ${t} set last_used_at = now() where id = ? and (last_used_at is null or last_used_at < now() - interval '1 minute')`,
        [known.id],
      )
      .catch((err: unknown) => deps.log.warn({ err, keyId: known.id }, 'could not record an API key use'));
  }

  return {
    create: async (
      principal: Principal,
      name: string,
      requestedRoles?: readonly string[],
    ): Promise<ApiKeyView & { key: string }> => {
      const roles = apiKeyRoles(principal, requestedRoles);
      const key = `${API_KEY_PREFIX}${randomBytes(32).toString('base64url')}`;
      const [row] = await em().execute<KeyRow[]>(
        `insert into ${t} (id, principal_id, name, key_hash, roles)
         values (?, ?, ?, ?, (select coalesce(array_agg(r), '{}') from jsonb_array_elements_text(?::jsonb) r)) returning *`,
        [uuidv7(), principal.id, name, hash(key), JSON.stringify(roles)],
      );
      return { ...toView(row!), key };
    },
    list: async (principal: Principal): Promise<ApiKeyView[]> => {
      return (
        await em().execute<KeyRow[]>(`select * from ${t} where principal_id = ? order by id desc limit 200`, [
          principal.id,
        ])
      ).map(toView);
    },
    revoke: async (principal: Principal, id: string): Promise<void> => {
      const [row] = await em().execute<{ key_hash: string }[]>(
        `update ${t} set revoked_at = coalesce(revoked_at, now()) where id = ? and principal_id = ? returning key_hash`,
        [id, principal.id],
      );
      if (!row) throw new DomainError('NOT_FOUND', `API key ${id} not found`);
      revokes++; // a lookup that read the row before this committed must not cache it
      cache.delete(row.key_hash);
      lookups.delete(row.key_hash);
    },
    /** The principal behind a key; revoked, unknown and malformed keys are all just "invalid". */
    verify: async (key: string): Promise<Principal> => {
      if (!KEY_SHAPE.test(key)) throw new DomainError('UNAUTHENTICATED', 'API key is invalid');
      const keyHash = hash(key);
      const known = cache.get(keyHash) ?? (await lookup(keyHash));
      if (!known) throw new DomainError('UNAUTHENTICATED', 'API key is invalid or revoked');
      recordUse(known);
      return { id: known.principal.id, roles: [...known.principal.roles] };
    },
  };
}

export type ApiKeys = ReturnType<typeof createApiKeys>;

/** Bearer credentials: `rf_…` is an API key, anything else a JWT. */
export function verifyBearer(jwt: VerifyToken, keys: Pick<ApiKeys, 'verify'>): VerifyToken {
  return (token) => (token.startsWith(API_KEY_PREFIX) ? keys.verify(token) : jwt(token));
}
