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
  outboxInsertKeyed,
  keyedOutboxRow,
  type KeyedOutboxRow,
  type OutboxEntry,
} from './outbox.ts';
export {
  OUTBOX_LEASE_SQL,
  OUTBOX_LEASE_OWNER_SQL,
  OutboxLeaseMigration,
  OutboxLeaseOwnerMigration,
  startOutboxRelay,
  type OutboxRelay,
  type OutboxRow,
} from './outbox-relay.ts';
export { coalesceByKey } from './coalesce-by-key.ts';
export { existingRules, inboxRule, outboxRule, startPruner, type PruneRule } from './prune.ts';
export { executePrepared, toPositional } from './prepared-statements.ts';
