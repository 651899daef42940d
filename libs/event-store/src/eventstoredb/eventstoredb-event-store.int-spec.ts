/**
 * The EventStoreDB adapter through the real client (@eventstore/db-client) over gRPC, against
 * the in-process test server; and, when ESDB_CONNECTION_STRING is set, the same contract against
 * that server too (see README, "Production": `docker compose up -d eventstoredb`).
 */
import { randomUUID } from 'node:crypto';
import { EventStoreUnavailableError } from '../event-store.errors';
import type { NewEvent, RecordedEvent, Subscription } from '../event-store.port';
import { describeEventStoreContract } from '../testing/event-store.contract';
import { settle, waitUntil } from '../testing/wait-until';
import { EventStoreDbEventStore } from './eventstoredb-event-store';
import { InProcessEventStoreDbServer } from './testing/in-process-eventstoredb-server';

let server: InProcessEventStoreDbServer;

beforeAll(async () => {
  server = await InProcessEventStoreDbServer.start();
});

afterAll(async () => {
  await server.stop();
});

/** Retries quickly, so a test waits milliseconds, not seconds, for a restarted server. */
const fastResubscribe = { initialDelayMs: 20, maxDelayMs: 200 };

describeEventStoreContract(
  'EventStoreDbEventStore on the in-process server',
  async () => {
    const store = await EventStoreDbEventStore.connect(server.connectionString, { resubscribe: fastResubscribe });
    return { store, dispose: () => store.close() };
  },
  { idempotency: 'from-expected-revision' },
);

const realServer = process.env.ESDB_CONNECTION_STRING;
if (realServer) {
  describeEventStoreContract(
    'EventStoreDbEventStore on ESDB_CONNECTION_STRING',
    async () => {
      const store = await EventStoreDbEventStore.connect(realServer);
      return { store, dispose: () => store.close() };
    },
    { idempotency: 'from-expected-revision' },
  );
}

describe('EventStoreDbEventStore (EventStoreDB specifics)', () => {
  let store: EventStoreDbEventStore;
  let resubscriptions: number;
  const subscriptions: Subscription[] = [];

  beforeEach(async () => {
    await server.restart();
    resubscriptions = 0;
    store = await EventStoreDbEventStore.connect(server.connectionString, {
      resubscribe: { ...fastResubscribe, onRetry: () => (resubscriptions += 1) },
    });
  });

  afterEach(async () => {
    await server.restart();
    await Promise.all(subscriptions.splice(0).map((subscription) => subscription.stop()));
    await store.close();
  });

  const follow = (prefix: string) => {
    const seen = { events: [] as RecordedEvent[], caughtUp: [] as number[], errors: [] as Error[] };
    subscriptions.push(
      store.subscribeToAll({
        filter: { streamPrefixes: [prefix] },
        batchSize: 7,
        onEvents: (events) => void seen.events.push(...events),
        onCaughtUp: (position) => seen.caughtUp.push(position),
        onError: (error) => seen.errors.push(error),
      }),
    );
    return seen;
  };

  it('signals caught-up for a filter that matches almost nothing, past many events it skips', async () => {
    const prefix = `sparse-${randomUUID()}-`;
    const noise = `noise-${randomUUID()}`;
    await store.appendToStream(noise, someEvents(150), { expectedRevision: 'no_stream' });
    const [wanted] = someEvents(1);
    await store.appendToStream(`${prefix}1`, [wanted], { expectedRevision: 'no_stream' });
    await store.appendToStream(noise, someEvents(150), { expectedRevision: 149 });

    const seen = follow(prefix);
    await waitUntil(() => seen.caughtUp.length > 0, { description: 'caught-up' });

    expect(seen.events.map((event) => event.id)).toEqual([wanted.id]);
    // The checkpoints of the skipped events carried the subscription past the wanted one.
    expect(seen.caughtUp[0]).toBeGreaterThan(seen.events[0].position);

    const nothing = follow(`nothing-${randomUUID()}-`);
    await waitUntil(() => nothing.caughtUp.length > 0, { description: 'caught-up with nothing to deliver' });
    expect(nothing.events).toEqual([]);
  });

  it('resubscribes after a server restart and delivers everything exactly once', async () => {
    const prefix = `restart-${randomUUID()}-`;
    const before = someEvents(20);
    await store.appendToStream(`${prefix}a`, before, { expectedRevision: 'no_stream' });
    const seen = follow(prefix);
    await waitUntil(() => seen.events.length === before.length, { description: 'events before the restart' });

    await server.stop();
    await expect(store.appendToStream(`${prefix}a`, someEvents(1), { expectedRevision: 19 })).rejects.toBeInstanceOf(
      EventStoreUnavailableError,
    );
    await expect(store.headPosition()).rejects.toBeInstanceOf(EventStoreUnavailableError);

    await server.restart();
    const after = someEvents(15);
    await appendWhenReachable(store, `${prefix}a`, after.slice(0, 5), 19);
    await store.appendToStream(`${prefix}b`, after.slice(5), { expectedRevision: 'no_stream' });

    await waitUntil(() => seen.events.length >= before.length + after.length, { description: 'events after the restart' });
    expect(seen.events.map((event) => event.id)).toEqual([...before, ...after].map((event) => event.id));
    expect(seen.errors).toEqual([]);
    expect(resubscriptions).toBeGreaterThan(0);
  });

  it('fails fast at start when nothing listens, naming ESDB_CONNECTION_STRING', async () => {
    const gone = await InProcessEventStoreDbServer.start();
    const connectionString = gone.connectionString;
    await gone.stop();

    const failure = await EventStoreDbEventStore.connect(connectionString, { probeTimeoutMs: 20_000 }).then(
      () => undefined,
      (error: unknown) => error,
    );

    expect(failure).toBeInstanceOf(EventStoreUnavailableError);
    expect((failure as Error).message).toContain('ESDB_CONNECTION_STRING');
    expect((failure as Error).message).toContain(connectionString);
    // Refused, not timed out: the start did not sit out the probe's deadline.
    expect((failure as Error).message).not.toMatch(/no answer within/);
  });

  it("leaves EventStoreDB's own $-streams out of readAll, headPosition and subscriptions", async () => {
    const prefix = `visible-${randomUUID()}-`;
    const [mine] = someEvents(1);
    const written = await store.appendToStream(`${prefix}1`, [mine], { expectedRevision: 'no_stream' });
    await store.appendToStream(`$system-${randomUUID()}`, someEvents(2), { expectedRevision: 'no_stream' });

    expect(await store.headPosition()).toBe(written.position);
    const [last] = await store.readAll({ direction: 'backwards', maxCount: 1 });
    expect(last.id).toBe(mine.id);
    expect((await store.readAll({ after: written.position - 1 })).map((event) => event.id)).toEqual([mine.id]);

    const everything: RecordedEvent[] = [];
    const caughtUp: number[] = [];
    subscriptions.push(
      store.subscribeToAll({
        after: written.position - 1,
        onEvents: (events) => void everything.push(...events),
        onCaughtUp: (position) => caughtUp.push(position),
      }),
    );
    await waitUntil(() => caughtUp.length > 0, { description: 'caught-up' });
    expect(everything.map((event) => event.id)).toEqual([mine.id]);
  });

  it('answers a recognised retry with the original result, as the command handler relies on', async () => {
    const stream = `retry-${randomUUID()}`;
    const events = someEvents(3);
    const original = await store.appendToStream(stream, events, { expectedRevision: 'no_stream' });

    const retried = await store.appendToStream(stream, events, { expectedRevision: -1 });

    expect(retried).toEqual(original);
    expect(await store.readStream(stream)).toHaveLength(3);
  });
});

function someEvents(count: number): NewEvent[] {
  return Array.from({ length: count }, (_, index) => ({ id: randomUUID(), type: 'SomethingHappened', data: { index } }));
}

/**
 * The client learns that its old connection is gone from the first call that uses it, and
 * reconnects on the next; the append is idempotent (same ids), so trying again is safe.
 */
async function appendWhenReachable(store: EventStoreDbEventStore, stream: string, events: NewEvent[], expected: number): Promise<void> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    try {
      await store.appendToStream(stream, events, { expectedRevision: expected });
      return;
    } catch (error) {
      if (!(error instanceof EventStoreUnavailableError) || Date.now() > deadline) throw error;
      await settle(20);
    }
  }
}
