import { randomUUID } from 'node:crypto';
import { IdempotencyMismatchError, WrongExpectedRevisionError } from '../event-store.errors';
import type {
  AppendResult,
  EventStore,
  ExpectedRevision,
  NewEvent,
  RecordedEvent,
  SubscribeToAllOptions,
  Subscription,
} from '../event-store.port';
import { settle, waitUntil } from './wait-until';

export interface EventStoreUnderTest {
  store: EventStore;
  /** Closes the store and removes whatever the test created (files, connections). */
  dispose(): Promise<void>;
}

/**
 * The behaviour every EventStore adapter must show, written against the port only so it can
 * run unchanged against a shared EventStoreDB server: every test writes to streams with unique
 * names, reads of the whole log are narrowed to those streams, and positions are only assumed
 * to increase (EventStoreDB positions are byte offsets, not counters).
 */
/** Whether a store flags a recognised retry is optional (EventStoreDB cannot tell); the result itself is not. */
const withoutRetryFlag = ({ recognisedRetry: _flag, ...result }: AppendResult): AppendResult => result;

export interface ContractOptions {
  /**
   * How the store recognises a retried append:
   * - 'by-event-ids' (default; SQLite, in-memory): wherever its ids are stored, so a retry is
   *   recognised at any expected revision and every partial overlap is refused;
   * - 'from-expected-revision' (EventStoreDB): at the revisions right after the expected one,
   *   or, for `any` and `stream_exists`, by its first id. A retry at an expected revision the
   *   stream never had is a conflict, and an append whose first id is new is written even when
   *   a later one was stored before. Deterministic ids from the same command keep both safe.
   */
  idempotency?: 'by-event-ids' | 'from-expected-revision';
}

export function describeEventStoreContract(
  adapterName: string,
  createStore: () => Promise<EventStoreUnderTest>,
  { idempotency = 'by-event-ids' }: ContractOptions = {},
): void {
  const byEventIds = idempotency === 'by-event-ids';
  describe(`${adapterName} (EventStore contract)`, () => {
    let store: EventStore;
    let dispose: () => Promise<void>;

    beforeEach(async () => {
      ({ store, dispose } = await createStore());
    });

    afterEach(async () => {
      await dispose();
    });

    describe('appending to a stream that does not exist', () => {
      it.each<ExpectedRevision>(['no_stream', 'any'])('accepts expected revision %s and numbers events from 0', async (expected) => {
        const stream = uniqueStream('new');
        const written = someEvents(3);

        const result = await store.appendToStream(stream, written, { expectedRevision: expected });

        expect(result.nextExpectedRevision).toBe(2);
        expect(result.position).toBeGreaterThanOrEqual(1);
        const read = await store.readStream(stream);
        expect(read.map((event) => event.revision)).toEqual([0, 1, 2]);
        expect(read.map((event) => event.id)).toEqual(written.map((event) => event.id));
        expect(read[2].position).toBe(result.position);
      });

      it.each<ExpectedRevision>(['stream_exists', 0, 3])('refuses expected revision %s, reporting no_stream', async (expected) => {
        const stream = uniqueStream('new');

        const error = await rejectionOf(
          store.appendToStream(stream, someEvents(1), { expectedRevision: expected }),
          WrongExpectedRevisionError,
        );

        expect(error.streamName).toBe(stream);
        expect(error.expected).toBe(expected);
        expect(error.actual).toBe('no_stream');
        expect(await store.readStream(stream)).toEqual([]);
      });

      it('answers an empty append with revision -1, which then works as the expected revision', async () => {
        const stream = uniqueStream('empty');

        const empty = await store.appendToStream(stream, [], { expectedRevision: 'no_stream' });
        expect(empty.nextExpectedRevision).toBe(-1);
        expect(await store.readStream(stream)).toEqual([]);

        const first = await store.appendToStream(stream, someEvents(1), { expectedRevision: empty.nextExpectedRevision });
        expect(first.nextExpectedRevision).toBe(0);
      });
    });

    describe('appending to a stream that exists', () => {
      let stream: string;
      let existing: AppendResult;

      beforeEach(async () => {
        stream = uniqueStream('existing');
        existing = await store.appendToStream(stream, someEvents(3), { expectedRevision: 'no_stream' });
      });

      it.each<ExpectedRevision>(['stream_exists', 'any', 2])(
        'accepts expected revision %s and continues the numbering',
        async (expected) => {
          const result = await store.appendToStream(stream, someEvents(2), { expectedRevision: expected });

          expect(result.nextExpectedRevision).toBe(4);
          expect(result.position).toBeGreaterThan(existing.position);
          expect((await store.readStream(stream)).map((event) => event.revision)).toEqual([0, 1, 2, 3, 4]);
        },
      );

      it.each<ExpectedRevision>(['no_stream', -1, 1, 3])('refuses expected revision %s, reporting the last revision', async (expected) => {
        const error = await rejectionOf(
          store.appendToStream(stream, someEvents(1), { expectedRevision: expected }),
          WrongExpectedRevisionError,
        );

        expect(error.streamName).toBe(stream);
        expect(error.expected).toBe(expected);
        expect(error.actual).toBe(2);
        expect(await store.readStream(stream)).toHaveLength(3);
      });

      it('answers an empty append with the current revision and writes nothing', async () => {
        const result = await store.appendToStream(stream, [], { expectedRevision: 2 });

        expect(result.nextExpectedRevision).toBe(2);
        expect(await store.readStream(stream)).toHaveLength(3);
      });

      it('numbers revisions without gaps across appends, in increasing positions', async () => {
        const second = await store.appendToStream(stream, someEvents(1), { expectedRevision: existing.nextExpectedRevision });
        const third = await store.appendToStream(stream, someEvents(2), { expectedRevision: second.nextExpectedRevision });

        expect([existing.nextExpectedRevision, second.nextExpectedRevision, third.nextExpectedRevision]).toEqual([2, 3, 5]);
        const read = await store.readStream(stream);
        expect(read.map((event) => event.revision)).toEqual([0, 1, 2, 3, 4, 5]);
        expectStrictlyIncreasing(read.map((event) => event.position));
        expect(read[3].position).toBe(second.position);
        expect(read[5].position).toBe(third.position);
      });
    });

    describe('reading a stream', () => {
      let stream: string;
      let written: NewEvent[];

      beforeEach(async () => {
        stream = uniqueStream('read');
        written = someEvents(5);
        await store.appendToStream(stream, written.slice(0, 2), { expectedRevision: 'no_stream' });
        await store.appendToStream(stream, written.slice(2), { expectedRevision: 1 });
      });

      it('reads a missing stream as empty in both directions', async () => {
        const missing = uniqueStream('missing');
        expect(await store.readStream(missing)).toEqual([]);
        expect(await store.readStream(missing, { direction: 'backwards' })).toEqual([]);
      });

      it('reads forwards from the first event by default', async () => {
        const read = await store.readStream(stream);
        expect(read.map((event) => event.id)).toEqual(idsOf(written));
        expect(read.every((event) => event.streamName === stream)).toBe(true);
      });

      it('reads forwards from an inclusive revision, up to maxCount', async () => {
        expect(revisionsOf(await store.readStream(stream, { fromRevision: 2 }))).toEqual([2, 3, 4]);
        expect(revisionsOf(await store.readStream(stream, { fromRevision: 1, maxCount: 2 }))).toEqual([1, 2]);
        expect(revisionsOf(await store.readStream(stream, { maxCount: 1 }))).toEqual([0]);
        expect(await store.readStream(stream, { fromRevision: 5 })).toEqual([]);
      });

      it('reads backwards from the last event by default', async () => {
        const read = await store.readStream(stream, { direction: 'backwards' });
        expect(read.map((event) => event.id)).toEqual(idsOf(written).reverse());
      });

      it('reads backwards from an inclusive revision, up to maxCount', async () => {
        expect(revisionsOf(await store.readStream(stream, { direction: 'backwards', fromRevision: 2 }))).toEqual([2, 1, 0]);
        expect(revisionsOf(await store.readStream(stream, { direction: 'backwards', fromRevision: 3, maxCount: 2 }))).toEqual([3, 2]);
        expect(revisionsOf(await store.readStream(stream, { direction: 'backwards', maxCount: 1 }))).toEqual([4]);
      });
    });

    describe('reading all streams', () => {
      it('returns events of every stream in commit order, with strictly increasing positions', async () => {
        const head = await store.headPosition();
        const first = uniqueStream('all-a');
        const second = uniqueStream('all-b');
        const order = [
          ...(await appendEach(store, first, someEvents(2))),
          ...(await appendEach(store, second, someEvents(1))),
          ...(await appendEach(store, first, someEvents(1))),
        ];

        const read = (await store.readAll({ after: head })).filter(inStreams(first, second));

        expect(read.map((event) => event.id)).toEqual(order);
        expectStrictlyIncreasing(read.map((event) => event.position));
      });

      it('reads forwards strictly after a position, up to maxCount', async () => {
        const stream = uniqueStream('all-after');
        const written = someEvents(3);
        await store.appendToStream(stream, written, { expectedRevision: 'no_stream' });
        // The events of one append are adjacent in the log, so nothing else can sit between them.
        const [first] = await store.readStream(stream, { maxCount: 1 });

        const next = await store.readAll({ after: first.position, maxCount: 1 });
        expect(next.map((event) => event.id)).toEqual([written[1].id]);

        const rest = await store.readAll({ after: first.position, maxCount: 2 });
        expect(rest.map((event) => event.id)).toEqual([written[1].id, written[2].id]);
      });

      it('reads backwards strictly before a position, up to maxCount', async () => {
        const stream = uniqueStream('all-before');
        const written = someEvents(3);
        const result = await store.appendToStream(stream, written, { expectedRevision: 'no_stream' });

        const read = await store.readAll({ direction: 'backwards', before: result.position, maxCount: 2 });

        expect(read.map((event) => event.id)).toEqual([written[1].id, written[0].id]);
        expect(read[0].position).toBeGreaterThan(read[1].position);
      });

      it('reads backwards from the end by default', async () => {
        const stream = uniqueStream('all-end');
        const result = await store.appendToStream(stream, someEvents(3), { expectedRevision: 'no_stream' });

        const read = await store.readAll({ direction: 'backwards', maxCount: 3 });

        expect(read).toHaveLength(3);
        expect(read[0].position).toBeGreaterThanOrEqual(result.position);
        expectStrictlyIncreasing(read.map((event) => event.position).reverse());
      });

      it('reports the head position as at least the last committed position', async () => {
        const result = await store.appendToStream(uniqueStream('head'), someEvents(2), { expectedRevision: 'any' });

        expect(await store.headPosition()).toBeGreaterThanOrEqual(result.position);
      });
    });

    describe('idempotent appends', () => {
      it('answers a retry with the original result and writes nothing', async () => {
        const stream = uniqueStream('retry');
        const written = someEvents(2);
        const original = await store.appendToStream(stream, written, { expectedRevision: 'no_stream' });

        const retried = await store.appendToStream(stream, written, { expectedRevision: 'no_stream' });

        expect(withoutRetryFlag(retried)).toEqual(original);
        expect(await store.readStream(stream)).toHaveLength(2);
        expect((await store.readAll({ after: original.position })).filter(inStreams(stream))).toEqual([]);
      });

      it('recognises a retry even when the stream has moved past its expected revision', async () => {
        const stream = uniqueStream('stale-retry');
        const firstWrite = someEvents(2);
        const secondWrite = someEvents(1);
        const first = await store.appendToStream(stream, firstWrite, { expectedRevision: 'no_stream' });
        const second = await store.appendToStream(stream, secondWrite, { expectedRevision: 1 });

        expect(withoutRetryFlag(await store.appendToStream(stream, firstWrite, { expectedRevision: 'no_stream' }))).toEqual(first);
        expect(withoutRetryFlag(await store.appendToStream(stream, secondWrite, { expectedRevision: 'stream_exists' }))).toEqual(second);
        expect(withoutRetryFlag(await store.appendToStream(stream, secondWrite, { expectedRevision: 1 }))).toEqual(second);
        expect(await store.readStream(stream)).toHaveLength(3);
      });

      if (byEventIds) {
        it('recognises a retry at an expected revision the stream never had', async () => {
          const stream = uniqueStream('stale-retry');
          const firstWrite = someEvents(2);
          const first = await store.appendToStream(stream, firstWrite, { expectedRevision: 'no_stream' });
          await store.appendToStream(stream, someEvents(1), { expectedRevision: 1 });

          expect(withoutRetryFlag(await store.appendToStream(stream, firstWrite, { expectedRevision: 7 }))).toEqual(first);
          expect(await store.readStream(stream)).toHaveLength(3);
        });
      } else {
        it('treats a retry at an expected revision the stream never had as a conflict, writing nothing', async () => {
          const stream = uniqueStream('stale-retry');
          const firstWrite = someEvents(2);
          await store.appendToStream(stream, firstWrite, { expectedRevision: 'no_stream' });
          await store.appendToStream(stream, someEvents(1), { expectedRevision: 1 });

          const error = await rejectionOf(store.appendToStream(stream, firstWrite, { expectedRevision: 7 }), WrongExpectedRevisionError);
          expect(error.actual).toBe(2);
          expect(await store.readStream(stream)).toHaveLength(3);
        });
      }

      it('refuses an append whose first id was written before but not the ones after it', async () => {
        const stream = uniqueStream('partial');
        const written = someEvents(2);
        await store.appendToStream(stream, written, { expectedRevision: 'no_stream' });
        const fresh = someEvents(1)[0];

        const error = await rejectionOf(
          store.appendToStream(stream, [written[1], fresh], { expectedRevision: 'any' }),
          IdempotencyMismatchError,
        );

        expect(error.streamName).toBe(stream);
        expect(error.eventId).toBe(written[1].id);
        expect(idsOf(await store.readStream(stream))).toEqual(idsOf(written));
      });

      if (byEventIds) {
        it('refuses an append that repeats an earlier id after a new one', async () => {
          const stream = uniqueStream('partial');
          const written = someEvents(2);
          await store.appendToStream(stream, written, { expectedRevision: 'no_stream' });
          const fresh = someEvents(1)[0];

          await rejectionOf(store.appendToStream(stream, [fresh, written[0]], { expectedRevision: 'any' }), IdempotencyMismatchError);

          expect(idsOf(await store.readStream(stream))).toEqual(idsOf(written));
        });

        it('refuses ids that were written to a different stream', async () => {
          const original = uniqueStream('original');
          const other = uniqueStream('other');
          const written = someEvents(1);
          await store.appendToStream(original, written, { expectedRevision: 'no_stream' });

          await rejectionOf(store.appendToStream(other, written, { expectedRevision: 'any' }), IdempotencyMismatchError);

          expect(await store.readStream(other)).toEqual([]);
        });
      }

      it('refuses an append that carries the same id twice', async () => {
        const stream = uniqueStream('duplicate-ids');
        const [event] = someEvents(1);

        await rejectionOf(
          store.appendToStream(stream, [event, { ...event, type: 'Other' }], { expectedRevision: 'any' }),
          IdempotencyMismatchError,
        );

        expect(await store.readStream(stream)).toEqual([]);
      });
    });

    describe('concurrent appends', () => {
      it.each<[string, number]>([
        ['a new stream', 0],
        ['an existing stream', 3],
      ])('lets exactly one of 20 racing appends to %s win', async (_label, existingEvents) => {
        const stream = uniqueStream('race');
        let expected: ExpectedRevision = 'no_stream';
        if (existingEvents > 0) {
          const existing = await store.appendToStream(stream, someEvents(existingEvents), { expectedRevision: 'no_stream' });
          expected = existing.nextExpectedRevision;
        }
        const contenders = Array.from({ length: 20 }, () => someEvents(2));

        const outcomes = await Promise.allSettled(
          contenders.map((events) => store.appendToStream(stream, events, { expectedRevision: expected })),
        );

        const winners = outcomes.flatMap((outcome, index) => (outcome.status === 'fulfilled' ? [index] : []));
        expect(winners).toHaveLength(1);
        for (const outcome of outcomes) {
          if (outcome.status === 'rejected') {
            expect(outcome.reason).toBeInstanceOf(WrongExpectedRevisionError);
            expect((outcome.reason as WrongExpectedRevisionError).actual).toBe(existingEvents + 1);
          }
        }
        const read = await store.readStream(stream);
        expect(idsOf(read.slice(existingEvents))).toEqual(idsOf(contenders[winners[0]]));
        expect(read).toHaveLength(existingEvents + 2);
      });

      it('commits racing appends to different streams, each at its own increasing position', async () => {
        const head = await store.headPosition();
        const streams = Array.from({ length: 20 }, () => uniqueStream('parallel'));
        const written = streams.map(() => someEvents(1));

        const results = await Promise.all(
          streams.map((stream, index) => store.appendToStream(stream, written[index], { expectedRevision: 'no_stream' })),
        );

        expect(results.every((result) => result.nextExpectedRevision === 0)).toBe(true);
        expect(new Set(results.map((result) => result.position)).size).toBe(streams.length);
        const read = (await store.readAll({ after: head })).filter(inStreams(...streams));
        expectStrictlyIncreasing(read.map((event) => event.position));
        expect(new Set(idsOf(read))).toEqual(new Set(written.flat().map((event) => event.id)));
        for (const event of read) {
          const index = streams.indexOf(event.streamName);
          expect(event.position).toBe(results[index].position);
        }
      });
    });

    describe('event content', () => {
      it('round-trips type, nested JSON data and metadata, including unicode', async () => {
        const stream = uniqueStream('content');
        const data = {
          text: 'Grüße, 你好, مرحبا, 👩🏽‍💻, e\u0301',
          nested: { list: [1, 2.5, -3, null, true, 'x'], deep: { deeper: { deepest: ['é', { empty: {} }] } } },
          emptyList: [],
          zero: 0,
          flag: false,
          nothing: null,
        };
        const metadata = { correlationId: randomUUID(), actor: { id: 'agent-7', name: 'Zoë 🎧' }, tags: ['a', 'b'] };
        const written: NewEvent[] = [
          { id: randomUUID(), type: 'ConversationTransferred', data, metadata },
          { id: randomUUID(), type: 'ListRecorded', data: ['one', 2, { three: 3 }] },
        ];

        const result = await store.appendToStream(stream, written, { expectedRevision: 'no_stream' });

        const fromStream = await store.readStream(stream);
        expect(fromStream[0]).toMatchObject({ id: written[0].id, type: 'ConversationTransferred', streamName: stream, revision: 0 });
        expect(fromStream[0].data).toEqual(data);
        expect(fromStream[0].metadata).toEqual(metadata);
        expect(fromStream[1].data).toEqual(['one', 2, { three: 3 }]);
        expect(fromStream[1].metadata).toEqual({});
        expect(fromStream[1].position).toBe(result.position);
        const fromAll = await store.readAll({ after: fromStream[0].position - 1, maxCount: 2 });
        expect(fromAll).toEqual(fromStream);
      });
    });

    describe('subscribing to all streams', () => {
      let prefix: string;
      let subscriptions: Subscription[];

      beforeEach(() => {
        prefix = `${uniqueStream('sub')}-`;
        subscriptions = [];
      });

      afterEach(async () => {
        await Promise.all(subscriptions.map((subscription) => subscription.stop()));
      });

      const subscribe = (options: Partial<SubscribeToAllOptions>): Collector => {
        const collector = collect(store, options);
        subscriptions.push(collector.subscription);
        return collector;
      };

      it('catches up from the beginning, reports it, then delivers later appends live, in order, once', async () => {
        const orders = `${prefix}orders`;
        const invoices = `${prefix}invoices`;
        const stored = [
          ...(await appendEach(store, orders, someEvents(2))),
          ...(await appendEach(store, invoices, someEvents(2))),
          ...(await appendEach(store, orders, someEvents(1))),
        ];

        const collector = subscribe({ filter: { streamPrefixes: [prefix] } });
        await waitUntil(() => collector.caughtUp.length > 0, { description: 'catch-up' });
        expect(idsOf(collector.events)).toEqual(stored);
        expect(collector.caughtUp[0]).toBeGreaterThanOrEqual(collector.events[4].position);

        const live = [...(await appendEach(store, invoices, someEvents(1))), ...(await appendEach(store, orders, someEvents(2)))];
        await waitUntil(() => collector.events.length >= stored.length + live.length, { description: 'live events' });
        expect(idsOf(collector.events)).toEqual([...stored, ...live]);
        expectStrictlyIncreasing(collector.events.map((event) => event.position));
        expect(collector.errors).toEqual([]);
      });

      it('starts strictly after a checkpoint in the middle of the log', async () => {
        const stream = uniqueStream('checkpoint');
        const written = someEvents(4);
        await store.appendToStream(stream, written, { expectedRevision: 'no_stream' });
        const [, second] = await store.readStream(stream, { maxCount: 2 });

        const collector = subscribe({ after: second.position });
        const ours = (): RecordedEvent[] => collector.events.filter(inStreams(stream));
        await waitUntil(() => collector.caughtUp.length > 0, { description: 'catch-up' });
        expect(idsOf(ours())).toEqual(idsOf(written.slice(2)));

        const live = someEvents(2);
        await store.appendToStream(stream, live, { expectedRevision: 3 });
        await waitUntil(() => ours().length >= 4, { description: 'live events' });
        expect(idsOf(ours())).toEqual(idsOf([...written.slice(2), ...live]));
      });

      it('delivers only streams matching one of the prefixes', async () => {
        const wanted = [`${prefix}a-`, `${prefix}b-`];
        const orderA = await appendEach(store, `${wanted[0]}1`, someEvents(1));
        await appendEach(store, `${prefix}c-1`, someEvents(1));
        const orderB = await appendEach(store, `${wanted[1]}1`, someEvents(2));
        await appendEach(store, `${prefix}c-2`, someEvents(2));

        const collector = subscribe({ filter: { streamPrefixes: wanted } });
        await waitUntil(() => collector.caughtUp.length > 0, { description: 'catch-up' });

        expect(idsOf(collector.events)).toEqual([...orderA, ...orderB]);
        expect(collector.caughtUp[0]).toBeGreaterThanOrEqual(collector.events[2].position);

        await appendEach(store, `${prefix}c-3`, someEvents(1));
        const liveB = await appendEach(store, `${wanted[1]}2`, someEvents(1));
        await waitUntil(() => collector.events.length >= 4, { description: 'live filtered event' });
        expect(idsOf(collector.events)).toEqual([...orderA, ...orderB, ...liveB]);
      });

      it('hands over batches no larger than batchSize, one at a time', async () => {
        const stream = `${prefix}batches`;
        const written = await appendEach(store, stream, someEvents(5));
        let running = 0;
        let mostAtOnce = 0;

        const collector = subscribe({
          filter: { streamPrefixes: [prefix] },
          batchSize: 2,
          onEvents: async () => {
            running += 1;
            mostAtOnce = Math.max(mostAtOnce, running);
            await settle(5);
            running -= 1;
          },
        });
        await waitUntil(() => collector.caughtUp.length > 0, { description: 'catch-up' });

        expect(idsOf(collector.events)).toEqual(written);
        expect(Math.max(...collector.batches.map((batch) => batch.length))).toBeLessThanOrEqual(2);
        expect(mostAtOnce).toBe(1);
      });

      it('stops and reports the error when the handler throws', async () => {
        const stream = `${prefix}failing`;
        await appendEach(store, stream, someEvents(1));
        const failure = new Error('projection broke');

        const collector = subscribe({
          filter: { streamPrefixes: [prefix] },
          onEvents: () => {
            throw failure;
          },
        });
        await waitUntil(() => collector.errors.length > 0, { description: 'the error' });
        expect(collector.errors).toEqual([failure]);

        await appendEach(store, stream, someEvents(1));
        await expectNoMoreDeliveries(collector, prefix, 2);
        expect(collector.batches).toHaveLength(1);
        expect(collector.errors).toHaveLength(1);
      });

      it('delivers nothing more once stopped', async () => {
        const stream = `${prefix}stopped`;
        const first = await appendEach(store, stream, someEvents(1));
        const collector = subscribe({ filter: { streamPrefixes: [prefix] } });
        await waitUntil(() => collector.events.length === 1, { description: 'first event' });

        await collector.subscription.stop();
        await appendEach(store, stream, someEvents(2));

        await expectNoMoreDeliveries(collector, prefix, 3);
        expect(idsOf(collector.events)).toEqual(first);
      });

      it('resolves stop() only after the handler call in flight has returned', async () => {
        await appendEach(store, `${prefix}slow`, someEvents(1));
        let release!: () => void;
        const released = new Promise<void>((resolve) => (release = resolve));
        let handlerCalls = 0;
        let handlerReturned = false;
        const collector = subscribe({
          filter: { streamPrefixes: [prefix] },
          onEvents: async () => {
            handlerCalls += 1;
            await released;
            handlerReturned = true;
          },
        });
        await waitUntil(() => handlerCalls === 1, { description: 'the handler call' });

        let stopped = false;
        const stopping = collector.subscription.stop().then(() => (stopped = true));
        await settle(30);
        expect(stopped).toBe(false);

        release();
        await stopping;
        expect(handlerReturned).toBe(true);
      });
    });

    /**
     * Proves a negative without guessing a delay: a fresh subscription over the same streams
     * sees the later events, and by then the stopped one would have seen them too.
     */
    async function expectNoMoreDeliveries(stopped: Collector, prefix: string, totalStored: number): Promise<void> {
      const probe = collect(store, { filter: { streamPrefixes: [prefix] } });
      try {
        await waitUntil(() => probe.events.length >= totalStored, { description: 'the probe subscription' });
        await settle();
      } finally {
        await probe.subscription.stop();
      }
      expect(stopped.events.length).toBeLessThan(totalStored);
    }
  });
}

interface Collector {
  subscription: Subscription;
  events: RecordedEvent[];
  batches: RecordedEvent[][];
  caughtUp: number[];
  errors: Error[];
}

/** Subscribes and records everything the subscription reports; a custom onEvents still gets recorded first. */
function collect(store: EventStore, options: Partial<SubscribeToAllOptions>): Collector {
  const collector: Omit<Collector, 'subscription'> = { events: [], batches: [], caughtUp: [], errors: [] };
  const subscription = store.subscribeToAll({
    ...options,
    onEvents: async (events) => {
      collector.batches.push(events);
      collector.events.push(...events);
      await options.onEvents?.(events);
    },
    onCaughtUp: (position) => collector.caughtUp.push(position),
    onError: (error) => collector.errors.push(error),
  });
  return { ...collector, subscription };
}

function uniqueStream(label: string): string {
  return `${label}-${randomUUID()}`;
}

function someEvents(count: number): NewEvent[] {
  return Array.from({ length: count }, (_, index) => ({
    id: randomUUID(),
    type: 'SomethingHappened',
    data: { index },
  }));
}

/** Appends one event at a time (so the order in the log is the order given); returns their ids. */
async function appendEach(store: EventStore, stream: string, events: NewEvent[]): Promise<string[]> {
  for (const event of events) await store.appendToStream(stream, [event], { expectedRevision: 'any' });
  return idsOf(events);
}

async function rejectionOf<E extends Error>(attempt: Promise<unknown>, errorClass: new (...args: never[]) => E): Promise<E> {
  const outcome = await attempt.then(
    (value) => ({ rejected: false as const, value }),
    (error: unknown) => ({ rejected: true as const, error }),
  );
  if (!outcome.rejected) throw new Error(`Expected a ${errorClass.name}, but it resolved with ${JSON.stringify(outcome.value)}`);
  expect(outcome.error).toBeInstanceOf(errorClass);
  return outcome.error as E;
}

function idsOf(events: ReadonlyArray<{ id: string }>): string[] {
  return events.map((event) => event.id);
}

function revisionsOf(events: RecordedEvent[]): number[] {
  return events.map((event) => event.revision);
}

function inStreams(...streams: string[]): (event: RecordedEvent) => boolean {
  return (event) => streams.includes(event.streamName);
}

function expectStrictlyIncreasing(values: number[]): void {
  values.slice(1).forEach((value, index) => expect(value).toBeGreaterThan(values[index]));
}
