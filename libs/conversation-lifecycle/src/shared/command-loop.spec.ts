import { InMemoryEventStore, type AppendOptions, type AppendResult, type NewEvent } from '@lib/event-store';
import { CommandLoop, type AggregateKind } from './command-loop';
import { fingerprint } from './deterministic-id';

/** A tally: Add n adds n; 0 changes nothing; a negative n, or a total above 10, is refused. */
type Add = { type: 'Add'; n: number };
type Added = { type: 'Added'; data: { n: number } };
class Refused extends Error {}

const tally: AggregateKind<Add, Added, number> = {
  streamOf: (id) => `tally-${id}`,
  initialState: () => 0,
  decode: (stored) => ({ type: 'Added', data: stored.data as { n: number } }),
  evolve: (total, event) => total + event.data.n,
  decide: (command, total) => {
    if (command.n < 0 || total + command.n > 10) throw new Refused(`cannot add ${command.n} to ${total}`);
    return command.n === 0 ? [] : [{ type: 'Added', data: { n: command.n } }];
  },
  fingerprint,
  isRefusal: (error) => error instanceof Refused,
  statusOf: () => 'counting',
  errors: {
    exhausted: (id) => new Error(`${id} exhausted`),
    revisionMismatch: (id) => new Error(`${id} mismatch`),
    commandIdReused: (id) => new Error(`${id} reused`),
  },
};

/** Counts appends, and holds the first one until released, so commands queue behind it. */
class GatedStore extends InMemoryEventStore {
  appends: Array<{ stream: string; events: number }> = [];
  private gate?: Promise<void>;
  private open?: () => void;

  holdNextAppend(): void {
    this.gate = new Promise((resolve) => (this.open = resolve));
  }

  release(): void {
    this.open?.();
    this.gate = undefined;
  }

  override async appendToStream(stream: string, events: NewEvent[], options: AppendOptions): Promise<AppendResult> {
    this.appends.push({ stream, events: events.length });
    const gate = this.gate;
    if (gate) await gate;
    return super.appendToStream(stream, events, options);
  }
}

const policy = { maxAttempts: 5, baseDelayMs: 1, cachedStreams: 10 };
const add = (n: number): { command: Add } => ({ command: { type: 'Add', n } });
const settle = <T>(promises: Promise<T>[]) => Promise.allSettled(promises);

describe('CommandLoop: plain commands waiting for a busy stream share one append', () => {
  it('given a stream busy with an append, when more commands arrive, then they are decided in turn and appended together', async () => {
    const store = new GatedStore();
    const loop = new CommandLoop(store, tally, policy);
    store.holdNextAppend();
    const first = loop.execute('a', add(1));
    await new Promise((resolve) => setImmediate(resolve));
    const waiting = [loop.execute('a', add(2)), loop.execute('a', add(3)), loop.execute('a', add(4))];
    store.release();
    const answers = await Promise.all([first, ...waiting]);

    expect(store.appends).toEqual([
      { stream: 'tally-a', events: 1 },
      { stream: 'tally-a', events: 3 },
    ]);
    expect(answers.map(({ state, revision }) => ({ state, revision }))).toEqual([
      { state: 1, revision: 0 },
      { state: 3, revision: 1 },
      { state: 6, revision: 2 },
      { state: 10, revision: 3 },
    ]);
    // Each answers the position of its own event, as if it had been appended alone.
    expect(answers.map((answer) => answer.position)).toEqual([1, 2, 3, 4]);
  });

  it('given a group, when one command is refused and one changes nothing, then only those answer so and the others are written', async () => {
    const store = new GatedStore();
    const loop = new CommandLoop(store, tally, policy);
    store.holdNextAppend();
    const first = loop.execute('a', add(5));
    await new Promise((resolve) => setImmediate(resolve));
    const group = [loop.execute('a', add(3)), loop.execute('a', add(4)), loop.execute('a', add(0)), loop.execute('a', add(2))];
    store.release();
    await first;
    const outcomes = await settle(group);

    expect(outcomes.map((outcome) => (outcome.status === 'fulfilled' ? outcome.value.state : (outcome.reason as Error).message))).toEqual([
      8,
      'cannot add 4 to 8',
      8,
      10,
    ]);
    expect((await store.readStream('tally-a')).map((event) => (event.data as { n: number }).n)).toEqual([5, 3, 2]);
  });

  it('given the same commands, then the group writes the very events (ids included) the commands write one by one', async () => {
    const grouped = new GatedStore();
    const groupedLoop = new CommandLoop(grouped, tally, policy);
    grouped.holdNextAppend();
    const first = groupedLoop.execute('a', add(1));
    await new Promise((resolve) => setImmediate(resolve));
    const rest = [2, 3].map((n) => groupedLoop.execute('a', { ...add(n), metadata: { correlationId: `c-${n}` } }));
    grouped.release();
    await Promise.all([first, ...rest]);

    const oneByOne = new InMemoryEventStore();
    const oneByOneLoop = new CommandLoop(oneByOne, tally, policy);
    await oneByOneLoop.execute('a', add(1));
    for (const n of [2, 3]) await oneByOneLoop.execute('a', { ...add(n), metadata: { correlationId: `c-${n}` } });

    const written = async (store: InMemoryEventStore) =>
      (await store.readStream('tally-a')).map(({ id, revision, type, data, metadata }) => ({ id, revision, type, data, metadata }));
    expect(await written(grouped)).toEqual(await written(oneByOne));
  });

  it('given another writer moved the stream meanwhile, when the group appends, then it reads the stream and decides again', async () => {
    const store = new GatedStore();
    const loop = new CommandLoop(store, tally, policy);
    const other = new CommandLoop(store, tally, policy);
    await loop.execute('a', add(1));
    await other.execute('a', add(6));
    store.holdNextAppend();
    const first = loop.execute('a', add(1));
    await new Promise((resolve) => setImmediate(resolve));
    const group = [loop.execute('a', add(2)), loop.execute('a', add(1))];
    store.release();
    const outcomes = await settle([first, ...group]);

    // On the stale total (1) all three fit; on the stream's (7) the first two do, then 2 + 1 is too much.
    expect(outcomes.map((outcome) => (outcome.status === 'fulfilled' ? outcome.value.state : (outcome.reason as Error).message))).toEqual([
      8,
      10,
      'cannot add 1 to 10',
    ]);
    expect((await store.readStream('tally-a')).map((event) => (event.data as { n: number }).n)).toEqual([1, 6, 1, 2]);
  });

  it('given a command with an id, then it keeps its own append', async () => {
    const store = new GatedStore();
    const loop = new CommandLoop(store, tally, policy);
    store.holdNextAppend();
    const first = loop.execute('a', add(1));
    await new Promise((resolve) => setImmediate(resolve));
    const waiting = [loop.execute('a', { ...add(2), commandId: 'k-1' }), loop.execute('a', add(3))];
    store.release();
    await Promise.all([first, ...waiting]);
    expect(store.appends.map((append) => append.events)).toEqual([1, 1, 1]);
  });

  it("given another writer wrote one of the group's changes meanwhile, when the group appends, then each command is settled on its own", async () => {
    const store = new GatedStore();
    // No cache: the group decides on the stream as read, so a partial overlap cannot be blamed on a stale cache.
    const loop = new CommandLoop(store, tally, { ...policy, cachedStreams: 0 });
    // Another writer on the same log, whose appends never wait at the gate.
    const ungated = Object.create(store, {
      appendToStream: {
        value: (...args: Parameters<InMemoryEventStore['appendToStream']>) =>
          InMemoryEventStore.prototype.appendToStream.apply(store, args),
      },
    }) as InMemoryEventStore;
    const other = new CommandLoop(ungated, tally, { ...policy, cachedStreams: 0 });
    store.holdNextAppend();
    const first = loop.execute('a', add(1));
    await new Promise((resolve) => setImmediate(resolve));
    const group = [loop.execute('a', add(2)), loop.execute('a', add(3))];
    store.release();
    // The group's append, decided on the stream at revision 0, waits at the next gate.
    store.holdNextAppend();
    await first;
    for (let turn = 0; store.appends.length < 2 && turn < 100; turn++) await new Promise((resolve) => setImmediate(resolve));
    expect(store.appends).toHaveLength(2);
    // Meanwhile the other writer makes the group's first change at that same revision: same event id.
    await other.execute('a', add(2));
    store.release();
    const outcomes = await settle(group);

    expect(outcomes.map((outcome) => outcome.status)).toEqual(['fulfilled', 'fulfilled']);
    expect((await store.readStream('tally-a')).map((event) => (event.data as { n: number }).n)).toEqual([1, 2, 2, 3]);
  });
});
