export * from './orm.ts';
export * from './outbox.ts';
export * from './prune.ts';
