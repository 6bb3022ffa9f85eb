import { defineEntity, p, type InferEntity } from '@mikro-orm/core';

/** A creator account, owned by one principal (the tenant boundary). */
export const Account = defineEntity({
  name: 'Account',
  tableName: 'accounts',
  properties: {
    id: p.uuid().primary(),
    ownerId: p.string(),
    name: p.string(),
    timezone: p.string(),
    autoGenerateEnabled: p.boolean(),
    autoGenerateHour: p.integer().nullable(),
    autoGenerateType: p.string().nullable(),
    autoGenerateCount: p.integer().nullable(),
    mediaRetentionDays: p.integer().nullable(),
    createdAt: p.datetime(),
    updatedAt: p.datetime(),
  },
});
export type Account = InferEntity<typeof Account>;
