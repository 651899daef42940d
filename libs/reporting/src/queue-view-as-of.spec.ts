import { InMemoryEventStore } from '@lib/event-store';
import { QueueViewBuilder, queueViewAsOf, type QueueItemAsOf } from './queue-view-as-of';
import { at } from './testing/history';
import { QA, QB, syntheticHistory } from './testing/synthetic-history';

/** Queue contents of the synthetic history (timeline in testing/synthetic-history.ts) at past times. */
describe('queueViewAsOf', () => {
  let store: InMemoryEventStore;
  beforeAll(async () => {
    store = new InMemoryEventStore();
    await syntheticHistory().writeTo(store);
  });

  const item = (fields: Partial<QueueItemAsOf> & Pick<QueueItemAsOf, 'conversationId'>): QueueItemAsOf => ({
    queueId: QA,
    channel: 'live_chat',
    customerId: `customer-${fields.conversationId}`,
    priority: 0,
    openedAt: '',
    queuedSince: '',
    waitSeconds: 0,
    unreadCustomerMessages: 0,
    ...fields,
  });

  it('minute 5: higher priority first even when it waited less', async () => {
    // c1 active (picked at 2); c3 open since 3; c2 opened at 5 (an event at asOf has happened)
    expect(await queueViewAsOf(store, at(5))).toEqual({
      asOf: at(5),
      queues: [
        {
          queueId: QA,
          items: [
            item({ conversationId: 'c2', channel: 'persistent_chat', priority: 1, openedAt: at(5), queuedSince: at(5), waitSeconds: 0 }),
            item({ conversationId: 'c3', openedAt: at(3), queuedSince: at(3), waitSeconds: 120 }),
          ],
        },
      ],
    });
  });

  it('minute 15.5: same priority, longest waiting first', async () => {
    // c6 open since 13 (2.5 min); c1 revived by the customer at 15 (0.5 min), with the customer's message unread
    expect(await queueViewAsOf(store, at(15.5))).toEqual({
      asOf: at(15.5),
      queues: [
        {
          queueId: QA,
          items: [
            item({ conversationId: 'c6', channel: 'teams', openedAt: at(13), queuedSince: at(13), waitSeconds: 150 }),
            item({
              conversationId: 'c1',
              channel: 'sms',
              openedAt: at(0),
              queuedSince: at(15),
              waitSeconds: 30,
              unreadCustomerMessages: 1,
            }),
          ],
        },
      ],
    });
  });

  it('minute 20: a released one and one transferred to another queue; filtered by queue', async () => {
    // c1 picked by B at 20; c6 released at 19; c2 transferred to queue-b at 18
    const c6 = item({ conversationId: 'c6', channel: 'teams', openedAt: at(13), queuedSince: at(19), waitSeconds: 60 });
    const c2 = item({
      conversationId: 'c2',
      queueId: QB,
      channel: 'persistent_chat',
      priority: 1,
      openedAt: at(5),
      queuedSince: at(18),
      waitSeconds: 120,
    });
    expect((await queueViewAsOf(store, at(20))).queues).toEqual([
      { queueId: QA, items: [c6] },
      { queueId: QB, items: [c2] },
    ]);
    expect((await queueViewAsOf(store, at(20), QB)).queues).toEqual([{ queueId: QB, items: [c2] }]);
    expect((await queueViewAsOf(store, at(20), 'queue-z')).queues).toEqual([{ queueId: 'queue-z', items: [] }]);
  });

  it('minute 23: back in the queue after a rejected push', async () => {
    // c6 pushed to A at 21, rejected at 22; c2 picked by C at 22
    expect((await queueViewAsOf(store, at(23))).queues).toEqual([
      { queueId: QA, items: [item({ conversationId: 'c6', channel: 'teams', openedAt: at(13), queuedSince: at(22), waitSeconds: 60 })] },
    ]);
  });

  it('minutes 42, 43 and 56: empty, an expired push, a late one', async () => {
    // 42: c7 awaiting B's acceptance, nothing open
    expect((await queueViewAsOf(store, at(42))).queues).toEqual([]);
    // 43: c7's reservation expired at 43
    expect((await queueViewAsOf(store, at(43))).queues).toEqual([
      { queueId: QB, items: [item({ conversationId: 'c7', queueId: QB, channel: 'record', openedAt: at(40), queuedSince: at(43) })] },
    ]);
    // 56: c8 open since 50 (p3); c9 abandoned at 55
    expect((await queueViewAsOf(store, at(56))).queues).toEqual([
      { queueId: QA, items: [item({ conversationId: 'c8', priority: 3, openedAt: at(50), queuedSince: at(50), waitSeconds: 360 })] },
    ]);
  });

  it('before anything happened, nothing is queued', async () => {
    expect(await queueViewAsOf(store, at(-1))).toEqual({ asOf: at(-1), queues: [] });
  });

  it('pages through the log: the page size does not matter', async () => {
    for (const minute of [5, 15.5, 20, 43, 56]) {
      expect(await queueViewAsOf(store, at(minute), undefined, { batchSize: 3 })).toEqual(await queueViewAsOf(store, at(minute)));
    }
  });

  it('the pure builder gives the same view', () => {
    const builder = new QueueViewBuilder(at(20));
    for (const event of syntheticHistory().events) builder.apply(event);
    expect(builder.view(QA).queues[0].items.map((i) => i.conversationId)).toEqual(['c6']);
  });

  it('rejects an asOf that is not a time and an empty queue id', async () => {
    await expect(queueViewAsOf(store, 'now')).rejects.toThrow(/asOf is not an ISO-8601 time/);
    await expect(queueViewAsOf(store, at(5), '')).rejects.toThrow(/queueId/);
  });
});
