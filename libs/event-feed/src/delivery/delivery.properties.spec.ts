/**
 * Delivery invariants over random runs (fast-check): a log of events on several streams, a
 * receiver failing at random (5xx, 429, timeouts, network errors), and instances taking the
 * subscription over at random moments, as after a crash. Whatever happens:
 * - every event the filter wants is delivered at least once;
 * - first deliveries follow the log, and nothing is sent before every wanted event before it was
 *   delivered (in order, no skip);
 * - two deliverers never have an attempt in flight at once;
 * - the stored checkpoint never passes an event not yet delivered.
 */
import fc from 'fast-check';
import { InMemoryEventStore } from '@lib/event-store';
import { QUIET, storeWithOneSubscription } from '../testing/delivery-fixture';
import type { DeliverySettings } from './delivery-settings';
import { SubscriptionDeliverer } from './subscription-deliverer';
import { WakeSignal } from './wake-signal';
import type { WebhookOutcome, WebhookRequest, WebhookSender } from './webhook-sender.types';

const SETTINGS: DeliverySettings = {
  timeoutMs: 400,
  retry: { firstDelayMs: 1, maxDelayMs: 2, retryWindowMs: 3_600_000 },
  leaseMs: 3_000,
  deliveryLogLimit: 1_000,
  pageSize: 4,
};

type Answer = 'ok' | '500' | '429' | 'timeout' | 'network';
const outcomeOf = (answer: Answer): WebhookOutcome => {
  switch (answer) {
    case 'ok':
      return { kind: 'delivered', statusCode: 200, durationMs: 1, responseBody: '' };
    case '500':
      return { kind: 'rejected', statusCode: 500, durationMs: 1, responseBody: '' };
    case '429':
      return { kind: 'rejected', statusCode: 429, durationMs: 1, responseBody: '', retryAfterMs: 2 };
    case 'timeout':
      return { kind: 'timeout', durationMs: 400, error: 'no answer within 400 ms' };
    case 'network':
      return { kind: 'network', durationMs: 1, error: 'ECONNRESET' };
  }
};

const eventId = (n: number) => `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;

const run = fc.record({
  streams: fc.array(fc.constantFrom('conversation-c1', 'conversation-c2', 'agent-a1', 'queue-q1'), { minLength: 1, maxLength: 20 }),
  answers: fc.array(fc.constantFrom<Answer>('ok', 'ok', 'ok', '500', '429', 'timeout', 'network'), { maxLength: 60 }),
  takeovers: fc.uniqueArray(fc.integer({ min: 1, max: 40 }), { maxLength: 3 }),
});

describe('delivery invariants', () => {
  it('given random failures and takeovers, every wanted event arrives in log order, from one deliverer at a time, never skipped', async () => {
    await fc.assert(
      fc.asyncProperty(run, async ({ streams, answers, takeovers }) => {
        const store = new InMemoryEventStore();
        for (const [i, stream] of streams.entries()) {
          await store.appendToStream(stream, [{ id: eventId(i + 1), type: 'Noted', data: { at: new Date().toISOString() } }], {
            expectedRevision: 'any',
          });
        }
        const wanted = (await store.readAll()).filter((event) => event.streamName.startsWith('conversation-'));
        const head = await store.headPosition();
        let offset = 0;
        const now = () => Date.now() + offset;
        const { database, subscriptions } = await storeWithOneSubscription(now());

        const deliveredIds = new Set<string>();
        const violations: string[] = [];
        let attempts = 0;
        let inFlight = 0;
        let failuresInARow = 0;
        let takeoverDue = false;
        const sender: WebhookSender = {
          async send(request: WebhookRequest) {
            attempts += 1;
            inFlight += 1;
            if (inFlight > 1) violations.push(`two attempts in flight at attempt ${attempts}`);
            const id = request.headers['webhook-id'];
            const index = wanted.findIndex((event) => event.id === id);
            const missing = wanted.slice(0, index).filter((event) => !deliveredIds.has(event.id));
            if (missing.length > 0) violations.push(`${id} sent before ${missing.map((event) => event.id).join(', ')} arrived`);
            const stored = await subscriptions.get('w1');
            const undelivered = wanted.find((event) => event.position <= stored.checkpoint && !deliveredIds.has(event.id));
            if (undelivered) violations.push(`checkpoint ${stored.checkpoint} passed undelivered ${undelivered.id}`);
            await new Promise((resolve) => setImmediate(resolve));
            // Bounded: after three failures in a row the receiver recovers.
            const answer = failuresInARow >= 3 ? 'ok' : (answers[attempts - 1] ?? 'ok');
            failuresInARow = answer === 'ok' ? 0 : failuresInARow + 1;
            if (answer === 'ok') deliveredIds.add(id);
            // Between attempts (never during one, as the lease guarantees), an instance stalls past its lease.
            if (takeovers.includes(attempts)) {
              offset += SETTINGS.leaseMs + 1;
              takeoverDue = true;
            }
            inFlight -= 1;
            return outcomeOf(answer);
          },
          close: () => undefined,
        };
        const deliverers: SubscriptionDeliverer[] = [];
        const startDeliverer = (owner: string) => {
          const deliverer = new SubscriptionDeliverer('w1', {
            store,
            subscriptions,
            newSender: () => sender,
            settings: SETTINGS,
            owner,
            now,
            random: Math.random,
            newEvents: new WakeSignal(),
            logger: QUIET,
            userAgent: 'test',
          });
          deliverers.push(deliverer);
          deliverer.start(() => undefined);
        };
        try {
          startDeliverer('instance-0');
          const deadline = Date.now() + 10_000;
          while (wanted.some((event) => !deliveredIds.has(event.id)) || (await subscriptions.get('w1')).checkpoint < head) {
            if (Date.now() > deadline) throw new Error(`Stuck: delivered ${deliveredIds.size} of ${wanted.length}`);
            if (takeoverDue) {
              takeoverDue = false;
              startDeliverer(`instance-${deliverers.length}`);
            }
            // A deliverer whose lease was lost stops; one that won it goes on. Nudge the idle ones.
            for (const deliverer of deliverers) deliverer.refresh();
            await new Promise((resolve) => setTimeout(resolve, 2));
          }
        } finally {
          await Promise.all(deliverers.map((deliverer) => deliverer.stop()));
          await database.destroy();
        }
        expect(violations).toEqual([]);
      }),
      { numRuns: 30 },
    );
  }, 120_000);
});
