import { createHash, randomBytes } from 'node:crypto';
import { DomainError, uuidv7, type Principal } from '@reelforge/contracts';
import type { MikroORM } from '@reelforge/persistence';
import type { VerifyToken } from './verify-token.ts';

/** API keys look like `rf_<43 url-safe chars>` (256 random bits); only their SHA-256 is stored. */
export const API_KEY_PREFIX = 'rf_';
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

const toView = (r: KeyRow): ApiKeyView => ({
  id: r.id,
  name: r.name,
  roles: r.roles,
  createdAt: new Date(r.created_at).toISOString(),
  lastUsedAt: r.last_used_at ? new Date(r.last_used_at).toISOString() : null,
  revokedAt: r.revoked_at ? new Date(r.revoked_at).toISOString() : null,
});

/** Server-to-server API keys, owned by the principal that made them (same tenant, same roles). */
export function createApiKeys(deps: { orm: MikroORM; schema: string }) {
  const t = `"${deps.schema}".api_keys`;
  const em = () => deps.orm.em.fork();
  return {
    async create(principal: Principal, name: string): Promise<ApiKeyView & { key: string }> {
      const key = `${API_KEY_PREFIX}${randomBytes(32).toString('base64url')}`;
      const [row] = await em().execute<KeyRow[]>(
        `insert into ${t} (id, principal_id, name, key_hash, roles)
         values (?, ?, ?, ?, (select coalesce(array_agg(r), '{}') from jsonb_array_elements_text(?::jsonb) r)) returning *`,
        [uuidv7(), principal.id, name, hash(key), JSON.stringify(principal.roles)],
      );
      return { ...toView(row!), key };
    },
    async list(principal: Principal): Promise<ApiKeyView[]> {
      return (await em().execute<KeyRow[]>(`select * from ${t} where principal_id = ? order by id desc limit 200`, [principal.id])).map(toView);
    },
    async revoke(principal: Principal, id: string): Promise<void> {
      const rows = await em().execute(`update ${t} set revoked_at = coalesce(revoked_at, now()) where id = ? and principal_id = ? returning id`, [id, principal.id]);
      if (rows.length === 0) throw new DomainError('NOT_FOUND', `API key ${id} not found`);
    },
    /** The principal behind a key; revoked, unknown and malformed keys are all just "invalid". */
    async verify(key: string): Promise<Principal> {
      if (!KEY_SHAPE.test(key)) throw new DomainError('UNAUTHENTICATED', 'API key is invalid');
      const [row] = await em().execute<KeyRow[]>(
        `update ${t} set last_used_at = now() where key_hash = ? and revoked_at is null returning *`,
        [hash(key)],
      );
      if (!row) throw new DomainError('UNAUTHENTICATED', 'API key is invalid or revoked');
      return { id: row.principal_id, roles: row.roles };
    },
  };
}

export type ApiKeys = ReturnType<typeof createApiKeys>;

/** Bearer credentials: `rf_…` is an API key, anything else a JWT. */
export function verifyBearer(jwt: VerifyToken, keys: Pick<ApiKeys, 'verify'>): VerifyToken {
  return (token) => (token.startsWith(API_KEY_PREFIX) ? keys.verify(token) : jwt(token));
}
