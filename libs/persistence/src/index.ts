export * from './orm.ts';
export * from './outbox.ts';
