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
    /** Set when this request holds the key: `key` goes on to the owner, `holder` guards the answer's write. */
    idempotency?: { key: string; route: string; holder: string };
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
 *
 * The request holding a key has a lease (`locked_until`, `leaseMs` from now): a retry after it runs
 * again instead of answering 409 until the record expires (the gateway holding it crashed). A
 * retry that runs again may reach an owner that already did the work (the first answer was lost to
 * a timeout or a crash): the key goes on to the owner (`req.idempotency.key`), which returns what
 * it made the first time. Only the current holder (`locked_by` = its request id) writes the answer.
 */
export function installIdempotency(
  app: FastifyInstance,
  deps: { orm: MikroORM; schema: string; leaseMs: number },
): void {
  const table = `"${deps.schema}".idempotency_records`;

  app.addHook('preHandler', async (req: FastifyRequest, reply: FastifyReply) => {
    if (!req.routeOptions.config?.idempotent) return;
    const key = req.headers['idempotency-key'];
    if (key === undefined) return;
    if (typeof key !== 'string' || !KEY.test(key))
      throw new DomainError('VALIDATION_FAILED', 'Idempotency-Key must be 1-255 visible ASCII characters', {
        field: 'headers/idempotency-key',
      });
    const route = `${req.method} ${req.url.split('?')[0]}`;
    const hash = createHash('sha256')
      .update(JSON.stringify(req.body ?? null))
      .digest('hex');
    const em = deps.orm.em.fork();
    // Taken when new, expired, or in progress past its lease with the same request (a lost holder).
    const inserted = await em.execute<{ key: string }[]>(
      `insert into ${table} (principal_id, key, route, request_hash, locked_until, locked_by) values (?, ?, ?, ?, now() + (? * interval '1 millisecond'), ?)
       on conflict (principal_id, key, route) do update set key = excluded.key, request_hash = excluded.request_hash, created_at = now(), status_code = null, response = null,
           locked_until = excluded.locked_until, locked_by = excluded.locked_by
         where ${table}.created_at < now() - interval '${RETENTION_HOURS} hours'
            or (${table}.status_code is null and ${table}.request_hash = excluded.request_hash and coalesce(${table}.locked_until, ${table}.created_at) < now())
       returning key`,
      [req.principal.id, key, route, hash, deps.leaseMs, req.id],
    );
    if (inserted.length === 1) {
      req.idempotency = { key, route, holder: req.id };
      return;
    }
    const [existing] = await em.execute<{ request_hash: string; status_code: number | null; response: unknown }[]>(
      `select request_hash, status_code, response from ${table} where principal_id = ? and key = ? and route = ?`,
      [req.principal.id, key, route],
    );
    if (!existing) throw new DomainError('CONFLICT', 'the Idempotency-Key record vanished; retry the request');
    if (existing.request_hash !== hash)
      throw new DomainError('UNPROCESSABLE', 'this Idempotency-Key was used with a different request body');
    if (existing.status_code === null)
      throw new DomainError('CONFLICT', 'a request with this Idempotency-Key is still in progress');
    return reply.status(existing.status_code).header('idempotent-replayed', 'true').send(existing.response);
  });

  app.addHook('onSend', async (req, reply, payload) => {
    const idem = req.idempotency;
    if (!idem) return payload;
    const em = deps.orm.em.fork();
    // A holder whose lease was taken over leaves the record to the new holder.
    if (reply.statusCode >= 200 && reply.statusCode < 300 && typeof payload === 'string') {
      await em.execute(
        `update ${table} set status_code = ?, response = ?::jsonb, locked_until = null where principal_id = ? and key = ? and route = ? and locked_by = ?`,
        [reply.statusCode, payload, req.principal.id, idem.key, idem.route, idem.holder],
      );
    } else {
      await em.execute(`delete from ${table} where principal_id = ? and key = ? and route = ? and locked_by = ?`, [
        req.principal.id,
        idem.key,
        idem.route,
        idem.holder,
      ]);
    }
    return payload;
  });
}
