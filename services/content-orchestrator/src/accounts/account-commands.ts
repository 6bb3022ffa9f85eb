import { DomainError, uuidv7, type AccountView, type Principal } from '@reelforge/contracts';
import type { EntityManager } from '@reelforge/persistence';
import { Account } from '../entities/index.ts';

function toAccountView(a: Account): AccountView {
  return {
    id: a.id,
    name: a.name,
    timezone: a.timezone,
    autoGenerateEnabled: a.autoGenerateEnabled,
    autoGenerateHour: a.autoGenerateHour ?? null,
    autoGenerateType: a.autoGenerateType ?? null,
    autoGenerateCount: a.autoGenerateCount ?? null,
    mediaRetentionDays: a.mediaRetentionDays ?? null,
    createdAt: a.createdAt.toISOString(),
  };
}

/** Loads an account owned by the principal; another tenant's account is NOT_FOUND (no existence leak). */
export async function findOwnedAccount(em: EntityManager, principal: Principal, accountId: string): Promise<Account> {
  const account = await em.findOne(Account, { id: accountId, ownerId: principal.id });
  if (!account) throw new DomainError('NOT_FOUND', `account ${accountId} not found`);
  return account;
}

function isValidTimezone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

export function createAccountCommands(deps: { fork: () => EntityManager }) {
  return {
    create: async (req: {
      principal: Principal;
      body: { name: string; timezone?: string; autoGenerateEnabled?: boolean; autoGenerateHour?: number };
    }): Promise<AccountView> => {
      const timezone = req.body.timezone ?? 'UTC';
      if (!isValidTimezone(timezone))
        throw new DomainError('VALIDATION_FAILED', `timezone ${JSON.stringify(timezone)} is not an IANA time zone`, {
          field: 'body/timezone',
        });
      if (req.body.autoGenerateEnabled && req.body.autoGenerateHour === undefined) {
        throw new DomainError('UNPROCESSABLE', 'auto-generation needs autoGenerateHour (0-23)', {
          field: 'body/autoGenerateHour',
        });
      }
      const em = deps.fork();
      const now = new Date();
      const account = em.create(Account, {
        id: uuidv7(),
        ownerId: req.principal.id,
        name: req.body.name,
        timezone,
        autoGenerateEnabled: req.body.autoGenerateEnabled ?? false,
        autoGenerateHour: req.body.autoGenerateHour ?? null,
        autoGenerateType: null,
        autoGenerateCount: null,
        mediaRetentionDays: null,
        createdAt: now,
        updatedAt: now,
      });
      await em.flush();
      return toAccountView(account);
    },
    get: async (req: { principal: Principal; accountId: string }): Promise<AccountView> => {
      return toAccountView(await findOwnedAccount(deps.fork(), req.principal, req.accountId));
    },
    update: async (req: {
      principal: Principal;
      accountId: string;
      body: {
        name?: string;
        timezone?: string;
        autoGenerateEnabled?: boolean;
        autoGenerateHour?: number | null;
        autoGenerateType?: string | null;
        autoGenerateCount?: number | null;
        mediaRetentionDays?: number | null;
      };
    }): Promise<AccountView> => {
      const em = deps.fork();
      const account = await findOwnedAccount(em, req.principal, req.accountId);
      const b = req.body;
      if (b.timezone !== undefined && !isValidTimezone(b.timezone))
        throw new DomainError('VALIDATION_FAILED', `timezone ${JSON.stringify(b.timezone)} is not an IANA time zone`, {
          field: 'body/timezone',
        });
      if (b.name !== undefined) account.name = b.name;
      if (b.timezone !== undefined) account.timezone = b.timezone;
      if (b.autoGenerateEnabled !== undefined) account.autoGenerateEnabled = b.autoGenerateEnabled;
      if (b.autoGenerateHour !== undefined) account.autoGenerateHour = b.autoGenerateHour;
      if (b.mediaRetentionDays !== undefined) account.mediaRetentionDays = b.mediaRetentionDays;
      if (b.autoGenerateType !== undefined) account.autoGenerateType = b.autoGenerateType;
      if (b.autoGenerateCount !== undefined) account.autoGenerateCount = b.autoGenerateCount;
      if (account.autoGenerateEnabled && (account.autoGenerateHour ?? null) === null) {
        throw new DomainError('UNPROCESSABLE', 'auto-generation needs autoGenerateHour (0-23)', {
          field: 'body/autoGenerateHour',
        });
      }
      account.updatedAt = new Date();
      await em.flush();
      return toAccountView(account);
    },
    list: async (req: { principal: Principal }): Promise<{ items: AccountView[] }> => {
      const rows = await deps
        .fork()
        .find(Account, { ownerId: req.principal.id }, { orderBy: { createdAt: 'asc' }, limit: 500 });
      return { items: rows.map(toAccountView) };
    },
  };
}
