export {
  DbTimeoutOptionError,
  type EntityManager,
  MikroORM,
  createOrm,
  databaseCheck,
  dbTimeoutKind,
  migrate,
  type DbTimeouts,
} from './orm.ts';
export {
  OUTBOX_INBOX_SQL,
  claimInbox,
  enqueueOutbox,
  enqueueOutboxMany,
  outboxInsert,
  startOutboxRelay,
  type OutboxEntry,
  type OutboxRelay,
  type OutboxRow,
} from './outbox.ts';
export { existingRules, inboxRule, outboxRule, startPruner, type PruneRule } from './prune.ts';
