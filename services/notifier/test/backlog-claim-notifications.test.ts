import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { trace } from '@opentelemetry/api';
import { afterAll, beforeAll, describe, expect, it, inject } from 'vitest';
import {
  BacklogItemClaimed,
  STREAMS,
  makeEnvelope,
  notifierCommands,
  subjects,
  uuidv7,
  webhookCommands,
  type Principal,
} from '@reelforge/contracts';
import { publishEvent, sendCommand } from '@reelforge/messaging';
import { bootService, type BootedService } from '@reelforge/service-kit';
import { eventually, memoryLogger, uniqueToken } from '@reelforge/testing';
import type { NotifierConfig } from '../src/config.ts';
import { BACKLOG_CLAIM_CONSUMER } from '../src/notifications/consumers.ts';
import { createNotifierService } from '../src/service.ts';

interface ReceivedCall {
  path: string;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** A real HTTP endpoint that records every call and lets a test await the first one on a path. */
async function startReceiver() {
  const calls: ReceivedCall[] = [];
  const waiters: { path: string; resolve: (call: ReceivedCall) => void }[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const call = { path: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('utf8') };
      calls.push(call);
      res.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
      for (const w of waiters.filter((x) => x.path === call.path)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(call);
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: (path: string) => `http://127.0.0.1:${port}${path}`,
    calls,
    first: (path: string): Promise<ReceivedCall> => {
      const seen = calls.find((c) => c.path === path);
      return seen ? Promise.resolve(seen) : new Promise((resolve) => waiters.push({ path, resolve }));
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

// The notifier on the run's real NATS and PostgreSQL (its own namespace and schema): a
// `backlog.item.claimed.v1` fact on the BACKLOG stream tells the claimer once, in the app and at
// the webhooks whose filter takes `backlog.item.claimed`.
describe('instant claims notify the claimer', () => {
  let svc: BootedService<NotifierConfig>;
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  const mailDir = mkdtempSync(join(tmpdir(), 'reelforge-notifier-mail-'));
  const alice: Principal = { id: 'claim-alice', roles: [] };
  const bob: Principal = { id: 'claim-bob', roles: [] };
  const ACCOUNT = uuidv7();

  beforeAll(async () => {
    const token = uniqueToken();
    svc = await bootService(
      createNotifierService(),
      {
        DATABASE_URL: inject('databaseUrl'),
        NATS_URL: inject('natsUrl'),
        NATS_NAMESPACE: token,
        NATS_STREAM_MAX_BYTES: String(16 * 1024 * 1024),
        DB_SCHEMA: `${token}_notifier`,
        HEALTH_PORT: '0',
        MAIL_DIR: mailDir,
        WEBHOOK_URL_ALLOW_PRIVATE: 'true',
        WEBHOOK_POLL_INTERVAL: '100ms',
      },
      { log: memoryLogger('test').log, tracer: trace.getTracer('test') },
    );
    receiver = await startReceiver();
  });
  afterAll(async () => {
    await svc?.stop();
    await receiver?.close();
    rmSync(mailDir, { recursive: true, force: true });
  });

  const m = () => svc.platform.messaging;
  const opts = { timeoutMs: 10_000, owner: 'notifier', strict: true };
  const notificationsOf = (principal: Principal) =>
    sendCommand(m(), notifierCommands.listNotifications, { principal }, opts);
  const deliveriesOf = (principal: Principal, webhookId: string) =>
    sendCommand(m(), webhookCommands.deliveries, { principal, webhookId }, opts);
  const sql = <T extends object>(query: string, params: unknown[]) =>
    svc.platform.orm.em.fork().execute<T[]>(query.replaceAll('$schema', `"${svc.config.DB_SCHEMA}"`), params);

  const claim = (ownerId: string): BacklogItemClaimed =>
    makeEnvelope('backlog.item.claimed.v1', 'backlog-keeper', ACCOUNT, {
      claimId: uuidv7(),
      recipeId: uuidv7(),
      recipeName: 'Calm shorts',
      generationId: uuidv7(),
      accountId: ACCOUNT,
      ownerId,
      creditsCharged: 5,
      claimedAt: new Date().toISOString(),
    });
  /** Resolves once the notifier's claim consumer has acked everything up to `seq` (no sleeping). */
  const handledUpTo = (seq: number) =>
    eventually(`the claim consumer acked stream sequence ${seq}`, async () => {
      const info = await m().jsm.consumers.info(
        m().stream(STREAMS.BACKLOG.name),
        `${m().ns.streamPrefix}${BACKLOG_CLAIM_CONSUMER}`,
      );
      return info.ack_floor.stream_seq >= seq && info.num_ack_pending === 0 ? info : undefined;
    });

  it('tells the claimer once (in the app and at a webhook filtered on backlog.item.claimed), nobody else, and mails nothing', async () => {
    // Completion mail is on for the claimer: a claim still queues no mail (see queue-completion-mail.ts).
    await sendCommand(
      m(),
      notifierCommands.putPreferences,
      { principal: alice, body: { email: 'alice@example.com', completionEmail: true } },
      opts,
    );
    // The exact type and its family are accepted filters; a generation-only hook gets nothing.
    const exact = await sendCommand(
      m(),
      webhookCommands.create,
      { principal: alice, body: { url: receiver.url('/claims'), events: ['backlog.item.claimed'] } },
      opts,
    );
    const family = await sendCommand(
      m(),
      webhookCommands.create,
      { principal: alice, body: { url: receiver.url('/backlog'), events: ['backlog.*'] } },
      opts,
    );
    const generationsOnly = await sendCommand(
      m(),
      webhookCommands.create,
      { principal: alice, body: { url: receiver.url('/generations'), events: ['generation.*'] } },
      opts,
    );
    expect(exact.events).toEqual(['backlog.item.claimed']);

    const fact = claim(alice.id);
    await publishEvent(m(), subjects.backlogClaimed(ACCOUNT), fact, BacklogItemClaimed);

    const page = await eventually('the claimer is notified', async () => {
      const p = await notificationsOf(alice);
      return p.items.length > 0 ? p : undefined;
    });
    expect(page.items).toHaveLength(1);
    expect(page.items[0]).toMatchObject({
      kind: 'backlog.item.claimed',
      accountId: ACCOUNT,
      subjectId: fact.data.generationId,
      readAt: null,
    });
    expect(page.items[0]!.message).toBe('Your instant "Calm shorts" video is ready for 5 credits.');
    expect(page.unread).toBe(1);
    expect(await notificationsOf(bob)).toMatchObject({ items: [], unread: 0 });

    // The webhook delivery: signed POST of the fact's id, type and data, never the owner principal.
    const delivered = await receiver.first('/claims');
    expect(JSON.parse(delivered.body)).toEqual({
      id: fact.id,
      type: 'backlog.item.claimed',
      occurredAt: fact.occurredAt,
      accountId: ACCOUNT,
      data: {
        claimId: fact.data.claimId,
        recipeId: fact.data.recipeId,
        recipeName: 'Calm shorts',
        generationId: fact.data.generationId,
        accountId: ACCOUNT,
        creditsCharged: 5,
        claimedAt: fact.data.claimedAt,
      },
    });
    expect(delivered.headers).toMatchObject({
      'reelforge-event-id': fact.id,
      'reelforge-event-type': 'backlog.item.claimed',
    });
    expect(delivered.body).not.toContain(alice.id);
    expect(JSON.parse((await receiver.first('/backlog')).body)).toMatchObject({
      id: fact.id,
      type: 'backlog.item.claimed',
    });
    await eventually('the delivery is recorded as delivered', async () => {
      const [d] = (await deliveriesOf(alice, exact.id)).items;
      return d?.status === 'delivered' ? d : undefined;
    });
    expect((await deliveriesOf(alice, generationsOnly.id)).items).toEqual([]);
    expect(await sql('select 1 from $schema.mail_deliveries where source_event_id = ?', [fact.id])).toEqual([]);

    // The same fact again past JetStream's duplicate window (another Nats-Msg-Id, as a relay re-send
    // would be): the inbox absorbs it, so no second notification and no second delivery.
    const again = await m().js.publish(m().subject(subjects.backlogClaimed(ACCOUNT)), JSON.stringify(fact), {
      msgID: randomUUID(),
    });
    expect(again.duplicate).toBe(false);
    await handledUpTo(again.seq);
    expect((await notificationsOf(alice)).items).toHaveLength(1);
    expect(await sql('select 1 from $schema.notifications where event_id = ?', [fact.id])).toHaveLength(1);
    for (const hook of [exact, family]) expect((await deliveriesOf(alice, hook.id)).items).toHaveLength(1);
    expect(receiver.calls.filter((c) => c.path === '/claims')).toHaveLength(1);
    expect(receiver.calls.filter((c) => c.path === '/generations')).toEqual([]);
  });

  it('a claim fact naming a system principal notifies nobody', async () => {
    const fact = claim('reelforge:backlog');
    const ack = await publishEvent(m(), subjects.backlogClaimed(ACCOUNT), fact, BacklogItemClaimed);
    await handledUpTo(ack.seq);
    expect(
      await sql('select 1 from $schema.notifications where event_id = ? or owner_id like ?', [fact.id, 'reelforge:%']),
    ).toEqual([]);
  });
});
