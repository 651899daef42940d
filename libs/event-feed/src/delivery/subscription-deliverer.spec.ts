/**
 * The deliverer with a scripted sender, an in-memory log and an in-memory SQLite subscription
 * store, on a clock the test moves: order under failures, fencing when the lease is taken over,
 * and the rule that an attempt starts only with the whole timeout left on the lease.
 */
import { InMemoryEventStore } from '@lib/event-store';
import type { ReadModelDatabase } from '@lib/read-models';
import type { WebhookSubscriptions } from '../subscriptions/webhook-subscriptions.repository';
import { QUIET, storeWithOneSubscription } from '../testing/delivery-fixture';
import { LEASE_SAFETY_MARGIN_MS, type DeliverySettings } from './delivery-settings';
import { SubscriptionDeliverer, type DelivererContext } from './subscription-deliverer';
import { WakeSignal } from './wake-signal';
import type { WebhookOutcome, WebhookRequest, WebhookSender } from './webhook-sender.types';

const SETTINGS: DeliverySettings = {
  timeoutMs: 400,
  retry: { firstDelayMs: 20, maxDelayMs: 40, retryWindowMs: 1_000 },
  leaseMs: 3_000,
  deliveryLogLimit: 100,
  pageSize: 3,
};

const eventId = (n: number) => `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;

/** A sender whose answers the test scripts; it checks at every send that the lease covers the attempt. */
class ScriptedSender implements WebhookSender {
  readonly sent: string[] = [];
  readonly leaseShortfalls: number[] = [];
  private hold?: Promise<void>;
  private releaseHeld?: () => void;

  constructor(
    private readonly answer: (request: WebhookRequest, n: number) => WebhookOutcome,
    private readonly leaseLeft: () => Promise<number>,
  ) {}

  /** The next send waits until released. */
  holdNext(): () => void {
    this.hold = new Promise<void>((resolve) => (this.releaseHeld = resolve));
    return () => this.releaseHeld?.();
  }

  async send(request: WebhookRequest): Promise<WebhookOutcome> {
    const left = await this.leaseLeft();
    if (left < SETTINGS.timeoutMs + LEASE_SAFETY_MARGIN_MS) this.leaseShortfalls.push(left);
    this.sent.push(request.headers['webhook-id']);
    const hold = this.hold;
    this.hold = undefined;
    await hold;
    return this.answer(request, this.sent.length);
  }

  close(): void {}
}

const delivered = (durationMs = 1): WebhookOutcome => ({ kind: 'delivered', statusCode: 200, durationMs, responseBody: '' });

describe('SubscriptionDeliverer', () => {
  let database: ReadModelDatabase;
  let subscriptions: WebhookSubscriptions;
  let store: InMemoryEventStore;
  /** The deliverer's clock: real time, moved on by the test when a lease must run out. */
  let offset: number;
  const now = () => Date.now() + offset;
  let newEvents: WakeSignal;
  const deliverers: SubscriptionDeliverer[] = [];

  const append = async (count: number, stream = 'conversation-c1') => {
    const head = await store.headPosition();
    for (let i = 1; i <= count; i += 1) {
      await store.appendToStream(
        stream,
        [{ id: eventId(head + i), type: 'ConversationNoted', data: { at: new Date(now()).toISOString() } }],
        {
          expectedRevision: 'any',
        },
      );
    }
    newEvents.notify();
  };

  const leaseLeft = async () => ((await subscriptions.get('w1')).leaseUntil ?? 0) - now();

  const start = (sender: WebhookSender, owner = 'a') => {
    const context: DelivererContext = {
      store,
      subscriptions,
      newSender: () => sender,
      settings: SETTINGS,
      owner,
      now,
      random: () => 0.5,
      newEvents,
      logger: QUIET,
      userAgent: 'test',
    };
    const deliverer = new SubscriptionDeliverer('w1', context);
    deliverers.push(deliverer);
    let ended = false;
    deliverer.start(() => (ended = true));
    return { deliverer, ended: () => ended };
  };

  const until = async (condition: () => boolean | Promise<boolean>, what: string) => {
    for (let i = 0; i < 500; i += 1) {
      if (await condition()) return;
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    throw new Error(`Waited 2.5 s for ${what}`);
  };

  beforeEach(async () => {
    offset = 0;
    newEvents = new WakeSignal();
    store = new InMemoryEventStore();
    ({ database, subscriptions } = await storeWithOneSubscription(now()));
  });
  afterEach(async () => {
    await Promise.all(deliverers.splice(0).map((d) => d.stop()));
    await database.destroy();
  });

  it('given events of other streams between, when delivered, then only the filtered ones are sent, in log order, and the checkpoint passes the rest', async () => {
    await append(2);
    await append(2, 'agent-ann');
    await append(3);
    const sender = new ScriptedSender(() => delivered(), leaseLeft);
    start(sender);
    await until(() => sender.sent.length === 5, 'five deliveries');
    expect(sender.sent).toEqual([1, 2, 5, 6, 7].map(eventId));
    await append(1, 'queue-q1');
    await until(async () => (await subscriptions.get('w1')).checkpoint === 8, 'the checkpoint past the queue event');
    expect(sender.leaseShortfalls).toEqual([]);
  });

  it('given an event that fails twice, when retried, then nothing after it is sent before it succeeds', async () => {
    await append(3);
    const sender = new ScriptedSender(
      (_, n) => (n <= 2 ? { kind: 'rejected', statusCode: 500, durationMs: 1, responseBody: '' } : delivered()),
      leaseLeft,
    );
    start(sender);
    await until(() => sender.sent.length === 5, 'five attempts');
    expect(sender.sent).toEqual([eventId(1), eventId(1), eventId(1), eventId(2), eventId(3)]);
    const log = await subscriptions.deliveries('w1', 10);
    expect(log.reverse().map((row) => [row.position, row.attempt, row.result])).toEqual([
      [1, 1, 'rejected'],
      [1, 2, 'rejected'],
      [1, 3, 'delivered'],
      [2, 1, 'delivered'],
      [3, 1, 'delivered'],
    ]);
  });

  it('given an event that failed then succeeded, when the next event fails, then its retry window starts at its own failure', async () => {
    await append(2);
    // Event 1 fails, then succeeds a whole window later; event 2 then fails once: a retry, not the end of a window.
    const sender = new ScriptedSender((_, n) => {
      if (n === 2) offset += SETTINGS.retry.retryWindowMs + 100;
      return n === 1 || n === 3 ? { kind: 'rejected', statusCode: 500, durationMs: 1, responseBody: '' } : delivered();
    }, leaseLeft);
    start(sender);
    await until(() => sender.sent.length === 4, 'four attempts');
    expect(sender.sent).toEqual([eventId(1), eventId(1), eventId(2), eventId(2)]);
    await until(async () => (await subscriptions.get('w1')).checkpoint === 2, 'both recorded');
    expect(await subscriptions.get('w1')).toMatchObject({ status: 'active', failures: 0 });
  });

  it('given the lease ran out and another instance took it mid-attempt, when the attempt ends, then the old deliverer writes nothing and stops', async () => {
    await append(3);
    const sender = new ScriptedSender(() => delivered(), leaseLeft);
    const release = sender.holdNext();
    const a = start(sender, 'a');
    await until(() => sender.sent.length === 1, 'the first attempt');
    // The holder stalls past its lease; another instance takes the subscription.
    offset += SETTINGS.leaseMs + 1;
    expect(await subscriptions.acquireLease('w1', 'b', now(), SETTINGS.leaseMs)).toBeDefined();
    release();
    await until(a.ended, 'the old deliverer to stop');
    expect(sender.sent).toEqual([eventId(1)]);
    expect(await subscriptions.get('w1')).toMatchObject({ checkpoint: 0, leaseOwner: 'b' });
    expect(await subscriptions.deliveries('w1', 10)).toEqual([]);
  });

  it('given attempts that take long within one page, when the lease runs short, then it is renewed before the next attempt', async () => {
    await append(3);
    // Each answer takes most of a timeout (as the clock sees it): by the third, less than a whole attempt is left.
    const sender = new ScriptedSender(() => {
      offset += SETTINGS.timeoutMs + 500;
      return delivered(SETTINGS.timeoutMs);
    }, leaseLeft);
    start(sender);
    await until(() => sender.sent.length === 3, 'three deliveries');
    expect(sender.leaseShortfalls).toEqual([]);
    expect((await subscriptions.get('w1')).leaseOwner).toBe('a');
  });

  it('given the subscription paused by an administrator, when the deliverer is told, then it stops and hands the lease back', async () => {
    await append(1);
    const sender = new ScriptedSender(() => delivered(), leaseLeft);
    const a = start(sender);
    await until(() => sender.sent.length === 1, 'the first delivery');
    await subscriptions.pause('w1', 'paused by admin', now());
    a.deliverer.refresh();
    await until(a.ended, 'the deliverer to stop');
    await append(2);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(sender.sent).toHaveLength(1);
    expect((await subscriptions.get('w1')).leaseOwner).toBeUndefined();
  });
});
