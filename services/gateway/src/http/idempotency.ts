import { createHash } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { DomainError } from '@reelforge/contracts';
import type { MikroORM } from '@reelforge/persistence';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Honour an `Idempotency-Key` header on this route (POSTs that create something). */
    idempotent?: boolean;
  }
  interface FastifyRequest {
    idempotency?: { key: string; route: string };
  }
}

const KEY = /^[\x21-\x7e]{1,255}$/;
/** How long a key is remembered (Stripe's choice, and long enough for any client retry loop). */
const RETENTION_HOURS = 24;

/**
 * `Idempotency-Key` for the routes marked `idempotent`: the first request with a key runs and its
 * 2xx answer is stored; a retry with the same key and the same request gets that answer again
 * (with `Idempotent-Replayed: true`); the same key with a different request is a 422; a retry while
 * the first is still running is a 409. A non-2xx answer is not stored, so the client may retry.
 * Records live in the gateway's own schema, scoped by principal and route.
 */
export function installIdempotency(app: FastifyInstance, deps: { orm: MikroORM; schema: string }): void {
  const table = `"${deps.schema}".idempotency_records`;

  app.addHook('preHandler', async (req: FastifyRequest, reply: FastifyReply) => {
    if (!req.routeOptions.config?.idempotent) return;
    const key = req.headers['idempotency-key'];
    if (key === undefined) return;
    if (typeof key !== 'string' || !KEY.test(key)) throw new DomainError('VALIDATION_FAILED', 'Idempotency-Key must be 1-255 visible ASCII characters', { field: 'headers/idempotency-key' });
    const route = `${req.method} ${req.url.split('?')[0]}`;
    const hash = createHash('sha256').update(JSON.stringify(req.body ?? null)).digest('hex');
    const em = deps.orm.em.fork();
    const inserted = await em.execute<{ key: string }[]>(
      `insert into ${table} (principal_id, key, route, request_hash) values (?, ?, ?, ?)
       on conflict (principal_id, key, route) do update set key = excluded.key, request_hash = excluded.request_hash, created_at = now(), status_code = null, response = null
         where ${table}.created_at < now() - interval '${RETENTION_HOURS} hours'
       returning key`,
      [req.principal.id, key, route, hash],
    );
    if (inserted.length === 1) {
      req.idempotency = { key, route };
      return;
    }
    const [existing] = await em.execute<{ request_hash: string; status_code: number | null; response: unknown }[]>(
      `select request_hash, status_code, response from ${table} where principal_id = ? and key = ? and route = ?`,
      [req.principal.id, key, route],
    );
    if (!existing) throw new DomainError('CONFLICT', 'the Idempotency-Key record vanished; retry the request');
    if (existing.request_hash !== hash) throw new DomainError('UNPROCESSABLE', 'this Idempotency-Key was used with a different request body');
    if (existing.status_code === null) throw new DomainError('CONFLICT', 'a request with this Idempotency-Key is still in progress');
    return reply.status(existing.status_code).header('idempotent-replayed', 'true').send(existing.response);
  });

  app.addHook('onSend', async (req, reply, payload) => {
    const idem = req.idempotency;
    if (!idem) return payload;
    const em = deps.orm.em.fork();
    if (reply.statusCode >= 200 && reply.statusCode < 300 && typeof payload === 'string') {
      await em.execute(`update ${table} set status_code = ?, response = ?::jsonb where principal_id = ? and key = ? and route = ?`, [reply.statusCode, payload, req.principal.id, idem.key, idem.route]);
    } else {
      await em.execute(`delete from ${table} where principal_id = ? and key = ? and route = ?`, [req.principal.id, idem.key, idem.route]);
    }
    return payload;
  });
}
