import { randomUUID } from 'node:crypto';
import { EventStoreUnavailableError, IdempotencyMismatchError } from '../event-store.errors';
import type { EventStore, NewEvent, RecordedEvent } from '../event-store.port';
import type { EventStoreUnderTest } from './event-store.contract';
import { settle, waitUntil } from './wait-until';

/**
 * What the local adapters (in-memory, SQLite) promise beyond the portable contract: each test
 * gets a store of its own, so the log starts empty and positions count 1, 2, 3...
 */
export function describeLocalEventStoreBehaviour(adapterName: string, createStore: () => Promise<EventStoreUnderTest>): void {
  describe(`${adapterName} (local adapter behaviour)`, () => {
    let store: EventStore;
    let dispose: () => Promise<void>;

    beforeEach(async () => {
      ({ store, dispose } = await createStore());
    });

    afterEach(async () => {
      await dispose();
    });

    it('starts with an empty log at head position 0', async () => {
      expect(await store.headPosition()).toBe(0);
      expect(await store.readAll()).toEqual([]);
      expect(await store.readAll({ direction: 'backwards' })).toEqual([]);
    });

    it('numbers positions 1, 2, 3... in commit order', async () => {
      await store.appendToStream('a', events(2), { expectedRevision: 'no_stream' });
      await store.appendToStream('b', events(1), { expectedRevision: 'no_stream' });

      expect((await store.readAll()).map((event) => event.position)).toEqual([1, 2, 3]);
      expect(await store.headPosition()).toBe(3);
    });

    it('applies after and before together when both are given', async () => {
      await store.appendToStream('a', events(5), { expectedRevision: 'no_stream' });

      expect(positionsOf(await store.readAll({ after: 1, before: 4 }))).toEqual([2, 3]);
      expect(positionsOf(await store.readAll({ direction: 'backwards', after: 1, before: 4 }))).toEqual([3, 2]);
    });

    it('treats maxCount 0 as "nothing" and refuses a negative one', async () => {
      await store.appendToStream('a', events(1), { expectedRevision: 'no_stream' });

      expect(await store.readAll({ maxCount: 0 })).toEqual([]);
      await expect(store.readStream('a', { maxCount: -1 })).rejects.toBeInstanceOf(RangeError);
    });

    it('refuses malformed appends before they reach the log', async () => {
      await expect(store.appendToStream('', events(1), { expectedRevision: 'any' })).rejects.toBeInstanceOf(TypeError);
      await expect(store.appendToStream('a', [{ id: '', type: 'T', data: {} }], { expectedRevision: 'any' })).rejects.toBeInstanceOf(
        TypeError,
      );
      await expect(store.appendToStream('a', events(1), { expectedRevision: -2 })).rejects.toBeInstanceOf(RangeError);
      await expect(
        store.appendToStream('a', [{ id: randomUUID(), type: 'T', data: { big: BigInt(1) } }], { expectedRevision: 'any' }),
      ).rejects.toBeInstanceOf(TypeError);
      expect(await store.headPosition()).toBe(0);
    });

    it('stores undefined data as null, as any JSON store would', async () => {
      await store.appendToStream('a', [{ id: randomUUID(), type: 'Empty', data: undefined }], { expectedRevision: 'any' });

      expect((await store.readStream('a'))[0].data).toBeNull();
    });

    it('refuses a retry that lists the original ids in another order', async () => {
      const written = events(2);
      await store.appendToStream('a', written, { expectedRevision: 'no_stream' });

      await expect(store.appendToStream('a', [written[1], written[0]], { expectedRevision: 'any' })).rejects.toBeInstanceOf(
        IdempotencyMismatchError,
      );
    });

    it('acknowledges a retry of consecutive events from an earlier append with their own result', async () => {
      const written = events(3);
      await store.appendToStream('a', written, { expectedRevision: 'no_stream' });

      const retried = await store.appendToStream('a', written.slice(1, 2), { expectedRevision: 'no_stream' });

      expect(retried).toEqual({ nextExpectedRevision: 1, position: 2, recognisedRetry: true });
      expect(await store.headPosition()).toBe(3);
    });

    it('moves the caught-up checkpoint past events its filter leaves out', async () => {
      await store.appendToStream('kept-1', events(1), { expectedRevision: 'any' });
      await store.appendToStream('skipped-1', events(2), { expectedRevision: 'any' });
      const caughtUp: number[] = [];
      const delivered: RecordedEvent[] = [];

      const subscription = store.subscribeToAll({
        filter: { streamPrefixes: ['kept-'] },
        batchSize: 1,
        onEvents: (batch) => void delivered.push(...batch),
        onCaughtUp: (position) => caughtUp.push(position),
      });
      try {
        await waitUntil(() => caughtUp.length === 1, { description: 'catch-up' });
        expect(caughtUp).toEqual([3]);
        expect(positionsOf(delivered)).toEqual([1]);

        await store.appendToStream('skipped-2', events(1), { expectedRevision: 'any' });
        await store.appendToStream('kept-2', events(1), { expectedRevision: 'any' });
        // Caught up again each time it runs out of events: at 4 too, if it read before kept-2 was committed.
        await waitUntil(() => caughtUp.at(-1) === 5, { description: 'catching up again' });
        expect(positionsOf(delivered)).toEqual([1, 5]);
      } finally {
        await subscription.stop();
      }
    });

    it('flags a recognised retry, and only that', async () => {
      const written = events(2);
      const first = await store.appendToStream('retry-flag', written, { expectedRevision: 'no_stream' });
      expect(first.recognisedRetry).toBeUndefined();
      expect(await store.appendToStream('retry-flag', written, { expectedRevision: 'no_stream' })).toEqual({
        ...first,
        recognisedRetry: true,
      });
      expect((await store.appendToStream('retry-flag', events(1), { expectedRevision: 1 })).recognisedRetry).toBeUndefined();
    });

    it('gathers live events committed within the batch window into one delivery', async () => {
      const batches: RecordedEvent[][] = [];
      let caughtUp = false;
      const subscription = store.subscribeToAll({
        liveBatchWindowMs: 300,
        onEvents: (batch) => void batches.push(batch),
        onCaughtUp: () => (caughtUp = true),
      });
      try {
        await waitUntil(() => caughtUp, { description: 'catch-up' });
        for (let i = 0; i < 10; i++) await store.appendToStream(`window-${i}`, events(1), { expectedRevision: 'no_stream' });
        await waitUntil(() => batches.flat().length === 10, { description: 'all ten events' });
        // Ten appends well inside one 300 ms window: one read after the window, one batch.
        expect(batches).toHaveLength(1);
        expect(positionsOf(batches.flat())).toEqual(positionsOf(await store.readAll()));
      } finally {
        await subscription.stop();
      }
    });

    it('stops at once while it waits out a batch window', async () => {
      let caughtUp = false;
      const subscription = store.subscribeToAll({
        liveBatchWindowMs: 60_000,
        onEvents: () => undefined,
        onCaughtUp: () => (caughtUp = true),
      });
      await waitUntil(() => caughtUp, { description: 'catch-up' });
      await store.appendToStream('window', events(1), { expectedRevision: 'no_stream' });
      await settle();
      const stopping = subscription.stop();
      await expect(Promise.race([stopping.then(() => 'stopped'), settle(2000).then(() => 'still waiting')])).resolves.toBe('stopped');
    });

    it('lets a handler stop its own subscription without waiting for itself', async () => {
      await store.appendToStream('a', events(3), { expectedRevision: 'no_stream' });
      const delivered: RecordedEvent[] = [];
      let stoppedFromInside = false;

      const subscription = store.subscribeToAll({
        batchSize: 1,
        onEvents: async (batch) => {
          delivered.push(...batch);
          await subscription.stop();
          stoppedFromInside = true;
        },
      });

      await waitUntil(() => stoppedFromInside, { description: 'the handler to return' });
      await subscription.stop();
      await settle();
      expect(positionsOf(delivered)).toEqual([1]);
    });

    it('stops subscriptions on close and refuses every call afterwards', async () => {
      const caughtUp: number[] = [];
      const delivered: RecordedEvent[] = [];
      store.subscribeToAll({ onEvents: (batch) => void delivered.push(...batch), onCaughtUp: (p) => caughtUp.push(p) });
      await waitUntil(() => caughtUp.length === 1, { description: 'catch-up' });

      await store.close();

      await expect(store.appendToStream('a', events(1), { expectedRevision: 'any' })).rejects.toBeInstanceOf(EventStoreUnavailableError);
      await expect(store.readAll()).rejects.toBeInstanceOf(EventStoreUnavailableError);
      await expect(store.headPosition()).rejects.toBeInstanceOf(EventStoreUnavailableError);
      expect(() => store.subscribeToAll({ onEvents: () => undefined })).toThrow(EventStoreUnavailableError);
      expect(delivered).toEqual([]);
    });

    it('completes appends already made when close is called', async () => {
      const pending = store.appendToStream('a', events(2), { expectedRevision: 'no_stream' });
      const closing = store.close();

      await expect(pending).resolves.toEqual({ nextExpectedRevision: 1, position: 2 });
      await closing;
    });
  });
}

function events(count: number): NewEvent[] {
  return Array.from({ length: count }, (_, index) => ({ id: randomUUID(), type: 'Happened', data: { index } }));
}

function positionsOf(recorded: RecordedEvent[]): number[] {
  return recorded.map((event) => event.position);
}
