import { defineEntity, p, type InferEntity } from '@mikro-orm/core';

/** A source video in an account's library: available → reserved → used (or failed). */
export const SourceVideo = defineEntity({
  name: 'SourceVideo',
  tableName: 'source_videos',
  properties: {
    id: p.uuid().primary(),
    accountId: p.uuid(),
    url: p.text(),
    captionsUrl: p.text().nullable(),
    state: p.string(),
    generationId: p.uuid().nullable(),
    createdAt: p.datetime(),
    updatedAt: p.datetime(),
  },
});
export type SourceVideo = InferEntity<typeof SourceVideo>;
