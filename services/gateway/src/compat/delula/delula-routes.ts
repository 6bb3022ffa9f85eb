import { Type } from '@sinclair/typebox';
import { DomainError, backlogCommands } from '@reelforge/contracts';
import type { Forward } from '../../http/forward.ts';
import type { GatewayApp } from '../../http/gateway-app.ts';
import type { CompatAccounts } from '../compat-account.ts';

const Uuid = Type.String({ format: 'uuid' });

/**
 * Delula's instant generation (its "Backlog and Instant Generation System" document) over v1's
 * `POST /api/v1/instant`: the same atomic claim and debit, with its answers — 200 with the
 * generation, 404 `{message, fallbackToModal: true}` when nothing is ready, 400 `{message,
 * required, available}` when credits are short. Mapping and differences: docs/compat.md.
 */
export function registerDelulaRoutes(app: GatewayApp, deps: { forward: Forward; accounts: CompatAccounts }): void {
  app.post(
    '/api/generate/instant',
    {
      config: { compat: true, idempotent: true },
      schema: {
        hide: true,
        // Its clients send `{recipeId}`; `accountId` (a Reelforge extension) picks the paying account.
        body: Type.Object({ recipeId: Uuid, accountId: Type.Optional(Uuid) }),
      },
    },
    async (req, reply) => {
      const { recipeId } = req.body;
      const accountId = req.body.accountId ?? (await deps.accounts.find(req.principal));
      // No account can hold no credits: the same answer as an account that has none.
      if (!accountId) return reply.status(400).send({ message: 'Insufficient credits', required: null, available: 0 });
      const idempotencyKey = req.idempotency?.key;
      try {
        return await deps.forward(backlogCommands.claimInstant, {
          principal: req.principal,
          body: { recipeId, accountId },
          ...(idempotencyKey ? { idempotencyKey } : {}),
        });
      } catch (err) {
        if (!(err instanceof DomainError)) throw err;
        const details = err.details ?? {};
        if (err.code === 'NOT_FOUND' && details.fallbackToModal === true)
          return reply.status(404).send({ message: 'No instant generation available', fallbackToModal: true });
        if (err.code === 'PAYMENT_REQUIRED')
          return reply
            .status(400)
            .send({ message: 'Insufficient credits', required: details.required, available: details.available });
        throw err;
      }
    },
  );
}
