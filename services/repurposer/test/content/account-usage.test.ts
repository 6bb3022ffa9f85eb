import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Principal } from '@reelforge/contracts';
import { createLocalMediaStore } from '@reelforge/media-store';
import { memoryLogger } from '@reelforge/testing';
import { createContentStorage } from '../../src/content/content-storage.ts';
import { createTaskStore, type StoredClip } from '../../src/tasks/task-store.ts';
import { renderJob } from '../support/render-job.ts';
import { createServiceHarness, type ServiceHarness } from '../support/service-harness.ts';

const clip = (clipIndex: number, sizeBytes: number): StoredClip => ({
  clipIndex,
  mediaKey: `clips/usage-${process.pid}-${clipIndex}-${sizeBytes}.mp4`,
  durationSeconds: 10,
  sizeBytes,
  width: 1080,
  height: 1920,
  checksumSha256: 'x'.repeat(64),
  segment: [{ start: 0, end: 10 }],
  score: null,
  reason: 'test',
  captioned: false,
  title: null,
  thumbnailKey: `thumbs/usage-${process.pid}-${clipIndex}-${sizeBytes}.jpg`,
});

// What an account's clips take is read from running totals kept by triggers on the clips table:
// checked here against the clips themselves after each way clips come and go, on the real database.
describe('account storage usage', () => {
  let svc: ServiceHarness;
  beforeAll(async () => {
    svc = await createServiceHarness();
  });
  afterAll(async () => {
    await svc?.close();
  });

  it('counts clips as tasks store them, as the owner deletes them and as they expire, per account and owner', async () => {
    const booted = await svc.boot();
    const { orm } = booted.platform;
    const tasks = createTaskStore({ orm, schema: svc.schema, service: 'repurposer', afterCommit: () => undefined });
    const storage = createContentStorage({
      orm,
      schema: svc.schema,
      store: createLocalMediaStore(svc.mediaRoot),
      quotaBytes: 400,
      log: memoryLogger('usage').log,
    });
    const owner: Principal = { id: 'tenant-usage', roles: [] };
    const stranger: Principal = { id: 'tenant-stranger', roles: [] };
    const a = renderJob(owner.id);
    const a2 = renderJob(owner.id, a.accountId);
    const b = renderJob(owner.id);
    // Completed together, as a group-committed batch does, and one alone.
    for (const j of [a, a2, b]) expect(await tasks.beginAttempt(j, 4)).toMatchObject({ kind: 'run', attempt: 1 });
    await Promise.all([tasks.complete(a, 1, 0, [clip(0, 100), clip(1, 250)]), tasks.complete(b, 1, 0, [clip(0, 7)])]);
    await tasks.complete(a2, 1, 0, [clip(0, 40)]);

    const usage = (principal: Principal, accountId: string) => storage.usage({ principal, accountId });
    expect(await usage(owner, a.accountId)).toMatchObject({ usedBytes: 390, clips: 3, quotaBytes: 400 });
    expect(await usage(owner, b.accountId)).toMatchObject({ usedBytes: 7, clips: 1 });
    // Another tenant asking about the account reads nothing of it.
    expect(await usage(stranger, a.accountId)).toMatchObject({ usedBytes: 0, clips: 0 });
    await expect(storage.ensureRoom(a.accountId, 11)).rejects.toThrow(/would take the account to 401 of its 400 bytes/);
    await storage.ensureRoom(a.accountId, 10);

    const [big] = await svc.sql<{ id: string }>(
      `select id from "${svc.schema}".generated_content where account_id = $1 and size_bytes = 250`,
      [a.accountId],
    );
    expect(await storage.remove({ principal: owner, contentId: big!.id })).toEqual({ deleted: true });
    expect(await usage(owner, a.accountId)).toMatchObject({ usedBytes: 140, clips: 2 });

    // A clip past its retention goes with the expiry job (the update that dates it changes nothing).
    await svc.sql(
      `update "${svc.schema}".generated_content set expires_at = now() - interval '1 day' where account_id = $1 and size_bytes = 40`,
      [a.accountId],
    );
    expect(await usage(owner, a.accountId)).toMatchObject({ usedBytes: 140, clips: 2 });
    expect(await storage.expire()).toBe(1);
    expect(await usage(owner, a.accountId)).toMatchObject({ usedBytes: 100, clips: 1 });

    // The totals are the clips' own sums, whatever wrote them.
    const [drift] = await svc.sql<{ n: number }>(
      `select count(*)::int as n from (
         select account_id, coalesce(owner_id, '') as owner_id, sum(size_bytes) as bytes, count(*) as clips
           from "${svc.schema}".generated_content group by 1, 2
       ) c full join (select * from "${svc.schema}".account_usage where bytes <> 0 or clips <> 0) u using (account_id, owner_id)
       where c.bytes is distinct from u.bytes or c.clips is distinct from u.clips`,
    );
    expect(drift!.n).toBe(0);
    await booted.stop();
  });
});
