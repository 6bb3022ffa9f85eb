import { defineEntity, p, type InferEntity } from '@mikro-orm/core';

/** A source in an account's library (a video, or an article page): available → reserved → used (or failed). */
export const SourceVideo = defineEntity({
  name: 'SourceVideo',
  tableName: 'source_videos',
  properties: {
    id: p.uuid().primary(),
    accountId: p.uuid(),
    url: p.text(),
    captionsUrl: p.text().nullable(),
    kind: p.string().default('video'),
    state: p.string(),
    generationId: p.uuid().nullable(),
    createdAt: p.datetime(),
    updatedAt: p.datetime(),
  },
});
export type SourceVideo = InferEntity<typeof SourceVideo>;
