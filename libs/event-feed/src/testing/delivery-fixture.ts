/** Test-only: an in-memory SQLite subscription store holding one subscription, `w1`, to every conversation event. */
import { migrateToLatest, openReadModelDatabase, type ReadModelDatabase } from '@lib/read-models';
import type { FeedLogger } from '../delivery/subscription-deliverer';
import { migrateEventFeed } from '../subscriptions/event-feed-migrations';
import { WebhookSubscriptions } from '../subscriptions/webhook-subscriptions.repository';

export const SUBSCRIPTION_ID = 'w1';

export async function storeWithOneSubscription(
  nowMs: number,
): Promise<{ database: ReadModelDatabase; subscriptions: WebhookSubscriptions }> {
  const database = await openReadModelDatabase({ kind: 'sqlite', filename: ':memory:' });
  await migrateToLatest(database);
  await migrateEventFeed(database);
  const subscriptions = new WebhookSubscriptions(database);
  await subscriptions.create(
    {
      id: SUBSCRIPTION_ID,
      url: 'https://example.com/h',
      description: '',
      filter: { eventTypes: [], streams: ['conversation'] },
      secret: 'whsec_c2VjcmV0LXNlY3JldC1zZWNyZXQ=',
      status: 'active',
      checkpoint: 0,
      createdBy: 'test',
    },
    nowMs,
  );
  return { database, subscriptions };
}

export const QUIET: FeedLogger = { log: () => undefined, warn: () => undefined, error: () => undefined };
