import Database from 'better-sqlite3';
import { spawn, type ChildProcessByStdio } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { EventStoreUnavailableError, WrongExpectedRevisionError } from '../event-store.errors';
import type { NewEvent, RecordedEvent } from '../event-store.port';
import { describeEventStoreContract } from '../testing/event-store.contract';
import { describeLocalEventStoreBehaviour } from '../testing/local-event-store.behaviour';
import { waitUntil } from '../testing/wait-until';
import { SqliteEventStore, type SqliteEventStoreOptions } from './sqlite-event-store';

/** A scratch directory per test, so tests never share a file and leave nothing behind. */
function scratchDirectory(): { directory: string; remove(): void } {
  const directory = mkdtempSync(join(tmpdir(), 'event-store-'));
  return { directory, remove: () => rmSync(directory, { recursive: true, force: true }) };
}

const storeCommittingOn = (commitOn: SqliteEventStoreOptions['commitOn']) => async () => {
  const scratch = scratchDirectory();
  const store = new SqliteEventStore({ filename: join(scratch.directory, 'events.db'), pollIntervalMs: 20, commitOn });
  return {
    store,
    dispose: async () => {
      await store.close();
      scratch.remove();
    },
  };
};

describeEventStoreContract('SqliteEventStore', storeCommittingOn('writer thread'));
describeLocalEventStoreBehaviour('SqliteEventStore', storeCommittingOn('writer thread'));
// The same guarantees when the caller's thread commits (as ':memory:' stores always do).
describeEventStoreContract('SqliteEventStore committing on the calling thread', storeCommittingOn('this thread'));

describe('SqliteEventStore on its own file', () => {
  let scratch: ReturnType<typeof scratchDirectory>;
  let filename: string;
  const opened: SqliteEventStore[] = [];

  const open = (options: Partial<SqliteEventStoreOptions> = {}): SqliteEventStore => {
    const store = new SqliteEventStore({ filename, pollIntervalMs: 20, ...options });
    opened.push(store);
    return store;
  };

  beforeEach(() => {
    scratch = scratchDirectory();
    filename = join(scratch.directory, 'events.db');
  });

  afterEach(async () => {
    await Promise.all(opened.splice(0).map((store) => store.close()));
    scratch.remove();
  });

  describe('opening', () => {
    it('creates missing parent directories and keeps events across reopening', async () => {
      filename = join(scratch.directory, 'nested', 'deeper', 'events.db');
      const first = open();
      await first.appendToStream('conversation-1', events(2), { expectedRevision: 'no_stream' });
      await first.close();

      const reopened = open();

      expect((await reopened.readStream('conversation-1')).map((event) => event.revision)).toEqual([0, 1]);
      expect(await reopened.headPosition()).toBe(2);
    });

    it('leaves the file in WAL mode, so other processes can read while one writes', () => {
      open();
      const inspector = new Database(filename, { readonly: true });
      try {
        expect(inspector.pragma('journal_mode', { simple: true })).toBe('wal');
      } finally {
        inspector.close();
      }
    });
  });

  describe('checkpoints', () => {
    it('copies the WAL into the database file from its worker thread, off the committing thread', async () => {
      const store = open({ checkpointIntervalMs: 20 });
      const sizeOfDatabaseFile = () => statSync(filename).size;
      const before = sizeOfDatabaseFile();
      for (let batch = 0; batch < 20; batch++) {
        await Promise.all(
          Array.from({ length: 50 }, (_, i) =>
            store.appendToStream(`conversation-${batch}-${i}`, events(1), { expectedRevision: 'no_stream' }),
          ),
        );
      }
      // Far below the committing connection's own auto-checkpoint threshold: only the worker grows the file.
      await waitUntil(() => sizeOfDatabaseFile() > before + 64 * 1024, { description: 'a checkpoint by the worker' });
      expect(await store.headPosition()).toBe(1000);
    });
  });

  describe('group commit', () => {
    it('commits 200 parallel appends in fewer transactions than appends', async () => {
      const store = open();
      const before = store.stats;

      const results = await Promise.all(
        Array.from({ length: 200 }, (_, index) =>
          store.appendToStream(`conversation-${index}`, events(1), { expectedRevision: 'no_stream' }),
        ),
      );

      const after = store.stats;
      expect(results.every((result) => result.nextExpectedRevision === 0)).toBe(true);
      expect(new Set(results.map((result) => result.position)).size).toBe(200);
      expect(after.batchesCommitted - before.batchesCommitted).toBeGreaterThanOrEqual(1);
      expect(after.batchesCommitted - before.batchesCommitted).toBeLessThan(200);
      expect(after.eventsWritten - before.eventsWritten).toBe(200);
      expect(after.appendsAcknowledged - before.appendsAcknowledged).toBe(200);
      expect(await store.headPosition()).toBe(200);
    });

    it('rejects only the failing requests of a batch; the others commit and see earlier writes of the batch', async () => {
      const store = open();
      await store.appendToStream('existing', events(1), { expectedRevision: 'no_stream' });
      const before = store.stats;
      const opening = events(1);
      const followUp = events(2);

      // All made in one turn of the event loop, so they share one transaction.
      const outcomes = await Promise.allSettled([
        store.appendToStream('fresh', events(1), { expectedRevision: 'no_stream' }),
        store.appendToStream('existing', events(1), { expectedRevision: 'no_stream' }),
        store.appendToStream('shared', opening, { expectedRevision: 'no_stream' }),
        store.appendToStream('shared', followUp, { expectedRevision: 0 }),
        store.appendToStream('shared', events(1), { expectedRevision: 'no_stream' }),
      ]);

      expect(outcomes.map((outcome) => outcome.status)).toEqual(['fulfilled', 'rejected', 'fulfilled', 'fulfilled', 'rejected']);
      expect(reasonOf(outcomes[1])).toBeInstanceOf(WrongExpectedRevisionError);
      expect((reasonOf(outcomes[4]) as WrongExpectedRevisionError).actual).toBe(2);
      expect(store.stats.batchesCommitted - before.batchesCommitted).toBe(1);
      expect(store.stats.appendsRejected - before.appendsRejected).toBe(2);
      expect((await store.readStream('existing')).length).toBe(1);
      expect((await store.readStream('shared')).map((event) => event.id)).toEqual(idsOf([...opening, ...followUp]));
    });

    it('given the writer thread dies with a batch out, then that batch fails as unknown (or was written), and the next append starts a new thread', async () => {
      const store = open();
      await store.appendToStream('before', events(1), { expectedRevision: 'no_stream' });
      const writer = (store as unknown as { writer: { current?: { worker: { terminate(): Promise<number> } } } }).writer;
      const held = events(1);
      const append = store.appendToStream('held', held, { expectedRevision: 'no_stream' });
      // The batch leaves on the next turn; the thread is stopped right behind it.
      await new Promise((resolve) => setImmediate(resolve));
      await writer.current!.worker.terminate();
      const outcome = await append.then(
        () => 'written',
        (error: unknown) => error,
      );

      const stored = (await store.readStream('held')).map((event) => event.id);
      if (outcome === 'written') expect(stored).toEqual(idsOf(held));
      else expect(outcome).toBeInstanceOf(EventStoreUnavailableError);
      // Retrying the same append is safe either way: recognised if it was written, written if not.
      await store.appendToStream('held', held, { expectedRevision: 'no_stream' });
      expect((await store.readStream('held')).map((event) => event.id)).toEqual(idsOf(held));
      await expect(store.appendToStream('after', events(1), { expectedRevision: 'no_stream' })).resolves.toMatchObject({
        nextExpectedRevision: 0,
      });
    });

    it('rejects the whole batch with EventStoreUnavailableError when it cannot commit, and recovers', async () => {
      const store = open({ busyTimeoutMs: 50 });
      const lockHolder = new Database(filename);
      lockHolder.exec('BEGIN IMMEDIATE');
      let outcomes: PromiseSettledResult<unknown>[];
      try {
        outcomes = await Promise.allSettled([
          store.appendToStream('a', events(1), { expectedRevision: 'any' }),
          store.appendToStream('b', events(1), { expectedRevision: 'any' }),
        ]);
      } finally {
        lockHolder.exec('ROLLBACK');
        lockHolder.close();
      }

      expect(outcomes.map(reasonOf)).toEqual([expect.any(EventStoreUnavailableError), expect.any(EventStoreUnavailableError)]);
      expect(await store.headPosition()).toBe(0);
      await expect(store.appendToStream('a', events(1), { expectedRevision: 'no_stream' })).resolves.toEqual({
        nextExpectedRevision: 0,
        position: 1,
      });
    });
  });

  describe('several processes sharing one file', () => {
    // Two instances in one process have separate connections, just as two processes would.
    it('lets exactly one of two racing instances append to a stream', async () => {
      const [first, second] = [open(), open()];
      const contenders = [events(1), events(1), events(1), events(1)];

      const outcomes = await Promise.allSettled(
        contenders.map((written, index) =>
          (index % 2 === 0 ? first : second).appendToStream('contested', written, { expectedRevision: 'no_stream' }),
        ),
      );

      expect(outcomes.filter((outcome) => outcome.status === 'fulfilled')).toHaveLength(1);
      for (const outcome of outcomes) {
        if (outcome.status === 'rejected') expect(outcome.reason).toBeInstanceOf(WrongExpectedRevisionError);
      }
      expect(await first.readStream('contested')).toHaveLength(1);
      expect(await second.readStream('contested')).toEqual(await first.readStream('contested'));
    });

    it('delivers to a subscription events appended through another instance, found by polling', async () => {
      const [reader, writer] = [open(), open()];
      const delivered: RecordedEvent[] = [];
      let caughtUp = false;
      const subscription = reader.subscribeToAll({
        onEvents: (batch) => void delivered.push(...batch),
        onCaughtUp: () => (caughtUp = true),
      });
      try {
        await waitUntil(() => caughtUp, { description: 'catch-up' });
        const written = events(3);
        await writer.appendToStream('elsewhere', written.slice(0, 1), { expectedRevision: 'no_stream' });
        await writer.appendToStream('elsewhere', written.slice(1), { expectedRevision: 0 });

        await waitUntil(() => delivered.length === 3, { description: 'events written by the other instance' });
        expect(idsOf(delivered)).toEqual(idsOf(written));
        expect(delivered.map((event) => event.position)).toEqual([1, 2, 3]);
      } finally {
        await subscription.stop();
      }
    });
  });

  describe('another instance on the file in this process (the projector thread)', () => {
    it('given a reader that polls once a minute, when another instance commits, then the reader hears of it at once', async () => {
      const reader = open({ pollIntervalMs: 60_000 });
      const writer = open();
      const delivered: RecordedEvent[] = [];
      let caughtUp = false;
      const subscription = reader.subscribeToAll({
        onEvents: (batch) => void delivered.push(...batch),
        onCaughtUp: () => (caughtUp = true),
      });
      try {
        await waitUntil(() => caughtUp, { description: 'catch-up' });
        const written = events(2);
        await writer.appendToStream('told', written, { expectedRevision: 'no_stream' });
        await waitUntil(() => delivered.length === 2, { description: 'events told of by the writing instance', timeoutMs: 5_000 });
        expect(idsOf(delivered)).toEqual(idsOf(written));
      } finally {
        await subscription.stop();
      }
    });
  });

  describe('durability', () => {
    it('keeps every acknowledged append when the writing process is killed', async () => {
      const fixture = join(__dirname, 'testing-fixtures', 'durable-appender.js');
      const child = spawn(process.execPath, [fixture, filename], { stdio: ['ignore', 'pipe', 'pipe'] });
      let acknowledged: string[];
      try {
        acknowledged = await readAcknowledgements(child, 300);
      } finally {
        child.kill('SIGKILL');
        await exited(child);
      }

      const stored = new Set(idsOf(await open().readAll()));

      expect(acknowledged.length).toBeGreaterThanOrEqual(300);
      expect(acknowledged.filter((id) => !stored.has(id))).toEqual([]);
    });
  });
});

type Child = ChildProcessByStdio<null, Readable, Readable>;

/** Collects acknowledged ids from whole lines only: the kill may cut the last line short. */
function readAcknowledgements(child: Child, atLeast: number): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const ids: string[] = [];
    let partial = '';
    let errors = '';
    const timer = setTimeout(() => reject(new Error(`Only ${ids.length} acknowledgements after 10 s. ${errors}`)), 10_000);
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (errors += chunk));
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      const lines = (partial + chunk).split('\n');
      partial = lines.pop() ?? '';
      ids.push(...lines.filter((line) => line.length > 0));
      if (ids.length >= atLeast) {
        clearTimeout(timer);
        // The live array: lines still arriving before the kill were acknowledged too.
        resolve(ids);
      }
    });
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`The appender exited early (code ${code}, signal ${signal}): ${errors}`));
    });
  });
}

function exited(child: Child): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

function events(count: number): NewEvent[] {
  return Array.from({ length: count }, (_, index) => ({ id: randomUUID(), type: 'Happened', data: { index } }));
}

function idsOf(recorded: ReadonlyArray<{ id: string }>): string[] {
  return recorded.map((event) => event.id);
}

function reasonOf(outcome: PromiseSettledResult<unknown>): unknown {
  return outcome.status === 'rejected' ? outcome.reason : undefined;
}
