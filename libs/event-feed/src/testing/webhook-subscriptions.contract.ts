/**
 * The contract of the subscription store, run against SQLite and PostgreSQL: what delivery
 * relies on (one lease holder at a time; progress written only under a claim that still holds)
 * and what administration relies on (every change bumps the version).
 */
import { migrateToLatest, type ReadModelDatabase } from '@lib/read-models';
import type { TestDatabases } from '@lib/read-models/testing/read-models.suite';
import { randomBytes } from 'node:crypto';
import { migrateEventFeed } from '../subscriptions/event-feed-migrations';
import { encryptedSecrets } from '../subscriptions/secret-box';
import {
  WebhookSubscriptions,
  type NewDeliveryAttempt,
  type NewWebhookSubscription,
} from '../subscriptions/webhook-subscriptions.repository';

const T0 = Date.parse('2026-12-04T09:00:00Z');
const LEASE = 3_000;

const subscription = (id: string, overrides: Partial<NewWebhookSubscription> = {}): NewWebhookSubscription => ({
  id,
  url: 'https://example.com/hooks',
  description: 'crm',
  filter: { eventTypes: ['Conversation*'], streams: ['conversation'] },
  secret: 'whsec_c2VjcmV0LXNlY3JldC1zZWNyZXQ=',
  status: 'active',
  checkpoint: 10,
  createdBy: 'admin-1',
  ...overrides,
});

const attempt = (position: number, overrides: Partial<NewDeliveryAttempt> = {}): NewDeliveryAttempt => ({
  kind: 'event',
  eventId: `00000000-0000-4000-8000-${String(position).padStart(12, '0')}`,
  eventType: 'ConversationOpened',
  position,
  attempt: 1,
  attemptedAt: new Date(T0).toISOString(),
  result: 'delivered',
  statusCode: 200,
  durationMs: 4,
  ...overrides,
});

export function describeWebhookSubscriptions(name: string, databases: TestDatabases): void {
  describe(`webhook subscriptions on ${name}`, () => {
    let database: ReadModelDatabase;
    let reopen: () => Promise<ReadModelDatabase>;
    let store: WebhookSubscriptions;

    beforeEach(async () => {
      ({ database, reopen } = await databases.open());
      // Beside the read models, in the same database, with their own migration history.
      await migrateToLatest(database);
      await migrateEventFeed(database);
      await migrateEventFeed(database);
      store = new WebhookSubscriptions(database);
    });
    afterEach(() => databases.disposeAll());

    it('given a created subscription, when read, then it is as created, version 1, no lease, no failure', async () => {
      await store.create(subscription('w1'), T0);
      expect(await store.get('w1')).toEqual({
        id: 'w1',
        url: 'https://example.com/hooks',
        description: 'crm',
        filter: { eventTypes: ['Conversation*'], streams: ['conversation'] },
        status: 'active',
        secret: 'whsec_c2VjcmV0LXNlY3JldC1zZWNyZXQ=',
        checkpoint: 10,
        version: 1,
        failures: 0,
        createdAt: new Date(T0).toISOString(),
        createdBy: 'admin-1',
        updatedAt: new Date(T0).toISOString(),
      });
      expect((await store.list()).map((s) => s.id)).toEqual(['w1']);
      await expect(store.get('nope')).rejects.toMatchObject({ code: 'WEBHOOK.NOT_FOUND', statusCode: 404 });
    });

    it('given administrator changes, when each is made, then the version goes up and what it changed is stored', async () => {
      await store.create(subscription('w1'), T0);
      const updated = await store.update('w1', { url: 'https://example.org/x', filter: { eventTypes: [], streams: ['queue'] } }, T0 + 1);
      expect(updated).toMatchObject({ url: 'https://example.org/x', filter: { eventTypes: [], streams: ['queue'] }, version: 2 });
      expect(await store.pause('w1', 'paused by admin-1', T0 + 2)).toMatchObject({
        status: 'paused',
        statusReason: 'paused by admin-1',
        version: 3,
      });
      expect(await store.resume('w1', T0 + 3)).toMatchObject({ status: 'active', version: 4 });
      expect(await store.rotateSecret('w1', 'whsec_bmV3', 'whsec_b2xk', T0 + 60_000, T0 + 4)).toMatchObject({
        secret: 'whsec_bmV3',
        previousSecret: 'whsec_b2xk',
        previousSecretUntil: T0 + 60_000,
        version: 5,
      });
      expect(await store.replayFrom('w1', 3, T0 + 5)).toMatchObject({ checkpoint: 3, version: 6 });
      await expect(store.pause('nope', 'x', T0)).rejects.toMatchObject({ code: 'WEBHOOK.NOT_FOUND' });
    });

    it('given a lease held, when another owner asks before it runs out, then it is refused; after, it is granted', async () => {
      await store.create(subscription('w1'), T0);
      expect(await store.acquireLease('w1', 'a', T0, LEASE)).toMatchObject({ leaseOwner: 'a', leaseUntil: T0 + LEASE });
      expect(await store.acquireLease('w1', 'b', T0 + LEASE - 1, LEASE)).toBeUndefined();
      expect(await store.claimable('b', T0 + LEASE - 1)).toEqual([]);
      expect(await store.claimable('a', T0 + LEASE - 1)).toEqual(['w1']);
      // The holder renews: still its own.
      expect(await store.acquireLease('w1', 'a', T0 + 1_000, LEASE)).toMatchObject({ leaseUntil: T0 + 1_000 + LEASE });
      expect(await store.acquireLease('w1', 'b', T0 + LEASE + 1, LEASE)).toBeUndefined();
      expect(await store.acquireLease('w1', 'b', T0 + 1_000 + LEASE + 1, LEASE)).toMatchObject({ leaseOwner: 'b' });
      await store.releaseLease('w1', 'a');
      expect((await store.get('w1')).leaseOwner).toBe('b');
      await store.releaseLease('w1', 'b');
      expect(await store.acquireLease('w1', 'c', T0 + 1_000, LEASE)).toMatchObject({ leaseOwner: 'c' });
    });

    it('given a subscription that is not active, when a lease is asked for, then none is granted', async () => {
      await store.create(subscription('w1', { status: 'paused' }), T0);
      expect(await store.acquireLease('w1', 'a', T0, LEASE)).toBeUndefined();
      expect(await store.claimable('a', T0)).toEqual([]);
    });

    it('given owners racing for one lease on separate connections, then exactly one wins', async () => {
      await store.create(subscription('w1'), T0);
      const handles = databases.concurrentHandles ? await Promise.all([reopen(), reopen(), reopen()]) : [database];
      const stores = handles.map((handle) => new WebhookSubscriptions(handle));
      for (let round = 0; round < 5; round += 1) {
        const at = T0 + round * 2 * LEASE;
        const owners = stores.flatMap((s, i) => [0, 1].map((j) => ({ s, owner: `o${round}-${i}-${j}` })));
        const won = await Promise.all(owners.map(({ s, owner }) => s.acquireLease('w1', owner, at, LEASE)));
        expect(won.filter((held) => held !== undefined)).toHaveLength(1);
      }
    });

    it('given the claim holds, when progress is recorded, then the checkpoint moves and the attempt is logged in one write', async () => {
      await store.create(subscription('w1'), T0);
      await store.acquireLease('w1', 'a', T0, LEASE);
      expect(await store.recordProgress('w1', { owner: 'a', version: 1 }, { checkpoint: 12, failures: 0 }, [attempt(12)])).toBe(true);
      expect(
        await store.recordProgress(
          'w1',
          { owner: 'a', version: 1 },
          { checkpoint: 12, failures: 1, failingSince: T0, nextAttemptAt: T0 + 50 },
          [attempt(13, { result: 'rejected', statusCode: 500, nextRetryAt: new Date(T0 + 50).toISOString() })],
        ),
      ).toBe(true);
      expect(await store.get('w1')).toMatchObject({ checkpoint: 12, failures: 1, failingSince: T0, nextAttemptAt: T0 + 50 });
      const log = await store.deliveries('w1', 10);
      expect(log.map((row) => [row.position, row.result, row.statusCode])).toEqual([
        [13, 'rejected', 500],
        [12, 'delivered', 200],
      ]);
      expect(log[0].nextRetryAt).toBe(new Date(T0 + 50).toISOString());
    });

    it('given the lease taken over or the subscription changed, when the old claim records progress, then nothing is written', async () => {
      await store.create(subscription('w1'), T0);
      await store.acquireLease('w1', 'a', T0, LEASE);
      await store.acquireLease('w1', 'b', T0 + LEASE + 1, LEASE);
      expect(await store.recordProgress('w1', { owner: 'a', version: 1 }, { checkpoint: 99, failures: 0 }, [attempt(99)])).toBe(false);
      await store.replayFrom('w1', 5, T0 + LEASE + 2);
      expect(await store.recordProgress('w1', { owner: 'b', version: 1 }, { checkpoint: 98, failures: 0 }, [attempt(98)])).toBe(false);
      expect(await store.get('w1')).toMatchObject({ checkpoint: 5, version: 2 });
      expect(await store.deliveries('w1', 10)).toEqual([]);
      expect(await store.recordProgress('w1', { owner: 'b', version: 2 }, { checkpoint: 6, failures: 0 }, [attempt(6)])).toBe(true);
    });

    it('given a batch of attempts, when recorded with their progress, then all are logged in order with one checkpoint move', async () => {
      await store.create(subscription('w1'), T0);
      await store.acquireLease('w1', 'a', T0, LEASE);
      const batch = Array.from({ length: 120 }, (_, i) => attempt(11 + i));
      expect(await store.recordProgress('w1', { owner: 'a', version: 1 }, { checkpoint: 130, failures: 0 }, batch)).toBe(true);
      expect((await store.get('w1')).checkpoint).toBe(130);
      const logged = await store.deliveries('w1', 500);
      expect(logged.map((row) => row.position)).toEqual(batch.map((a) => a.position).reverse());
    });

    it('given a failing outcome with a status, when recorded, then the subscription leaves delivery with its reason', async () => {
      await store.create(subscription('w1'), T0);
      await store.acquireLease('w1', 'a', T0, LEASE);
      const progress = { checkpoint: 10, failures: 30, failingSince: T0, status: 'failing' as const, statusReason: 'HTTP 503 for a day' };
      expect(await store.recordProgress('w1', { owner: 'a', version: 1 }, progress)).toBe(true);
      expect(await store.get('w1')).toMatchObject({ status: 'failing', statusReason: 'HTTP 503 for a day', checkpoint: 10 });
      expect(await store.claimable('a', T0)).toEqual([]);
    });

    it('given a secrets key, then secrets are stored sealed, read back as they are, and older plain ones are sealed at start', async () => {
      await store.create(subscription('plain'), T0);
      const key = randomBytes(32);
      const sealing = new WebhookSubscriptions(database, encryptedSecrets(key));
      expect(await sealing.sealStoredSecrets()).toBe(1);
      expect(await sealing.sealStoredSecrets()).toBe(0);
      await sealing.create(subscription('sealed'), T0);
      await sealing.rotateSecret('sealed', 'whsec_bmV3', 'whsec_c2VjcmV0LXNlY3JldC1zZWNyZXQ=', T0 + 60_000, T0);
      const raw = await database.db
        .withTables<{ webhook_subscriptions: { id: string; secret: string; previous_secret: string | null } }>()
        .selectFrom('webhook_subscriptions')
        .select(['id', 'secret', 'previous_secret'])
        .execute();
      for (const row of raw) {
        expect(row.secret).toMatch(/^enc:v1:/);
        expect(row.secret).not.toContain('c2VjcmV0');
      }
      expect((await sealing.get('plain')).secret).toBe('whsec_c2VjcmV0LXNlY3JldC1zZWNyZXQ=');
      expect(await sealing.get('sealed')).toMatchObject({ secret: 'whsec_bmV3', previousSecret: 'whsec_c2VjcmV0LXNlY3JldC1zZWNyZXQ=' });
      // Another key, or none: the start stops, naming the setting.
      await expect(new WebhookSubscriptions(database, encryptedSecrets(randomBytes(32))).sealStoredSecrets()).rejects.toThrow(
        /WEBHOOK_SECRETS_KEY/,
      );
      await expect(new WebhookSubscriptions(database).sealStoredSecrets()).rejects.toThrow(/no key is set/);
    });

    it('given many attempts, when pruned, then the newest are kept and pages go back in time', async () => {
      await store.create(subscription('w1'), T0);
      await store.create(subscription('w2'), T0);
      for (let position = 1; position <= 25; position += 1) await store.logAttempt('w1', attempt(position));
      await store.logAttempt('w2', attempt(1));
      await store.pruneDeliveries('w1', 10);
      const newest = await store.deliveries('w1', 4);
      expect(newest.map((row) => row.position)).toEqual([25, 24, 23, 22]);
      const older = await store.deliveries('w1', 100, newest[3].id);
      expect(older.map((row) => row.position)).toEqual([21, 20, 19, 18, 17, 16]);
      expect(await store.deliveries('w2', 10)).toHaveLength(1);
      await store.delete('w1');
      expect(await store.deliveries('w1', 10)).toEqual([]);
      await expect(store.delete('w1')).rejects.toMatchObject({ code: 'WEBHOOK.NOT_FOUND' });
    });
  });
}
