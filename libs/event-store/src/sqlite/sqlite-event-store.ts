import type Database from 'better-sqlite3';
import { resolve } from 'node:path';
import { BroadcastChannel } from 'node:worker_threads';
import { EventStoreUnavailableError } from '../event-store.errors';
import type {
  AppendOptions,
  AppendResult,
  EventStore,
  NewEvent,
  ReadAllOptions,
  ReadStreamOptions,
  RecordedEvent,
  StreamName,
  SubscribeToAllOptions,
  Subscription,
} from '../event-store.port';
import { deserializeEvent, serializeEvent } from '../event-serialization';
import { assertValidAppend, resolveMaxCount } from '../input-validation';
import { CatchUpSubscription } from '../subscription/catch-up-subscription';
import { appendBatchTransaction, type AppendRequest, type AppendWritten } from './append-batch';
import { GroupCommit, type RequestOutcome } from './group-commit';
import { isOnDisk, openEventDatabase } from './sqlite-database';
import { WalCheckpointer } from './wal-checkpointer';
import { NO_LIMIT, SqliteStatements, UNBOUNDED } from './sqlite-statements';
import { SqliteWriterThread } from './sqlite-writer-thread';

export interface SqliteEventStoreOptions {
  /** Path of the database file (its directory is created if missing), or ':memory:'. */
  filename: string;
  /**
   * How often an idle subscription re-reads the log, to see appends made by other processes
   * on the same file. Appends made through this instance are delivered without waiting.
   * Default 100.
   */
  pollIntervalMs?: number;
  /** How long a write waits for another process's write lock before failing. Default 5000. */
  busyTimeoutMs?: number;
  /** How often a worker thread checkpoints the WAL into the database file. Default 250; 0: none. */
  checkpointIntervalMs?: number;
  /**
   * Where appends are committed: on a writer thread of their own (the default for a file), so
   * the caller's thread never waits for the fsync, or on the caller's thread ('this thread';
   * always so for ':memory:', which no other connection can see).
   */
  commitOn?: 'writer thread' | 'this thread';
}

/** Counters for tests and benchmarks; they only ever grow. */
export interface SqliteEventStoreStats {
  /** Transactions committed by group commit (each is one fsync). */
  batchesCommitted: number;
  /** Appends that succeeded, including recognised retries and empty appends. */
  appendsAcknowledged: number;
  /** Appends refused individually (wrong expected revision, idempotency mismatch, ...). */
  appendsRejected: number;
  /** Events actually written. */
  eventsWritten: number;
}

const DEFAULT_POLL_INTERVAL_MS = 100;
const DEFAULT_BUSY_TIMEOUT_MS = 5000;
const DEFAULT_CHECKPOINT_INTERVAL_MS = 250;

/**
 * The embedded, durable event store: one SQLite file in WAL mode, shareable by several
 * processes. Appends are group-committed (see GroupCommit) and resolve only once their
 * transaction is on disk. Writers are serialised by SQLite's write lock, so positions become
 * visible in increasing order and a subscriber never sees a later position before an earlier one.
 */
export class SqliteEventStore implements EventStore {
  private readonly db: Database.Database;
  private readonly statements: SqliteStatements;
  private readonly groupCommit: GroupCommit<AppendRequest, AppendResult>;
  private readonly subscriptions = new Set<CatchUpSubscription>();
  private readonly pollIntervalMs: number;
  private readonly counters: SqliteEventStoreStats = {
    batchesCommitted: 0,
    appendsAcknowledged: 0,
    appendsRejected: 0,
    eventsWritten: 0,
  };
  private readonly checkpointer?: WalCheckpointer;
  private readonly writer?: SqliteWriterThread;
  /** Commits made through any instance on this file in this process (another thread's included). */
  private readonly commitsInProcess?: BroadcastChannel;
  private closing?: Promise<void>;

  constructor(options: SqliteEventStoreOptions) {
    this.pollIntervalMs = options.pollIntervalMs ?? DEFAULT_POLL_INTERVAL_MS;
    if (!(this.pollIntervalMs > 0)) throw new RangeError('pollIntervalMs must be positive');
    const busyTimeoutMs = options.busyTimeoutMs ?? DEFAULT_BUSY_TIMEOUT_MS;
    this.db = openEventDatabase(options.filename, busyTimeoutMs);
    // A handle that only reads (another thread's projector) leaves checkpoints to the writer's.
    if (isOnDisk(options.filename) && options.checkpointIntervalMs !== 0) {
      this.checkpointer = new WalCheckpointer(
        options.filename,
        options.checkpointIntervalMs ?? DEFAULT_CHECKPOINT_INTERVAL_MS,
        busyTimeoutMs,
      );
    }
    this.statements = new SqliteStatements(this.db);
    if (isOnDisk(options.filename) && options.commitOn !== 'this thread') {
      this.writer = new SqliteWriterThread(options.filename, busyTimeoutMs);
    }
    if (isOnDisk(options.filename)) {
      // The projector's thread reads this file through its own instance: told of each commit, it
      // reads at once instead of at its next poll. Other processes still find appends by polling.
      this.commitsInProcess = new BroadcastChannel(`sqlite-event-log-commits:${resolve(options.filename)}`);
      this.commitsInProcess.unref();
      this.commitsInProcess.onmessage = () => this.wakeSubscriptions();
    }
    this.groupCommit = new GroupCommit(
      this.commitBatch(),
      (cause) => new EventStoreUnavailableError('The event store could not commit the append', cause),
    );
  }

  get stats(): Readonly<SqliteEventStoreStats> {
    return { ...this.counters };
  }

  async appendToStream(stream: StreamName, events: NewEvent[], options: AppendOptions): Promise<AppendResult> {
    this.assertOpen();
    assertValidAppend(stream, events, options);
    return this.groupCommit.submit({ stream, events: events.map(serializeEvent), options });
  }

  async readStream(stream: StreamName, options: ReadStreamOptions = {}): Promise<RecordedEvent[]> {
    this.assertOpen();
    const limit = resolveMaxCount(options.maxCount) ?? NO_LIMIT;
    const direction = options.direction ?? 'forwards';
    const fromRevision = options.fromRevision ?? (direction === 'backwards' ? UNBOUNDED : 0);
    return this.statements.readStream(stream, direction, fromRevision, limit).map(deserializeEvent);
  }

  /** Applies both bounds whichever the direction: `after` < position < `before`. */
  async readAll(options: ReadAllOptions = {}): Promise<RecordedEvent[]> {
    this.assertOpen();
    const limit = resolveMaxCount(options.maxCount) ?? NO_LIMIT;
    const events = this.statements.readAll(options.direction ?? 'forwards', options.after ?? 0, options.before ?? UNBOUNDED, limit);
    return events.map(deserializeEvent);
  }

  subscribeToAll(options: SubscribeToAllOptions): Subscription {
    this.assertOpen();
    const subscription = new CatchUpSubscription(options, {
      readPage: (after, maxCount) => this.readAll({ after, maxCount }),
      pollIntervalMs: this.pollIntervalMs,
      onEnded: (ended) => this.subscriptions.delete(ended),
    });
    this.subscriptions.add(subscription);
    return subscription;
  }

  async headPosition(): Promise<number> {
    this.assertOpen();
    return this.statements.headPosition();
  }

  /**
   * Appends already accepted are committed before the file is closed; appends attempted
   * afterwards fail with EventStoreUnavailableError.
   */
  close(): Promise<void> {
    this.closing ??= this.shutDown();
    return this.closing;
  }

  private async shutDown(): Promise<void> {
    // Accepted appends go first: their callers are waiting, and subscribers may still see them.
    await this.groupCommit.settled();
    await this.writer?.close();
    await Promise.all([...this.subscriptions].map((subscription) => subscription.stop()));
    await this.checkpointer?.stop();
    this.commitsInProcess?.close();
    this.db.close();
  }

  /** Commits a batch on the writer thread, or right here; either way counts it and wakes the subscriptions. */
  private commitBatch(): (requests: AppendRequest[]) => RequestOutcome<AppendResult>[] | Promise<RequestOutcome<AppendResult>[]> {
    const results = (outcomes: RequestOutcome<AppendWritten>[]): RequestOutcome<AppendResult>[] => {
      this.recordCommitted(outcomes);
      return outcomes.map((outcome) => (outcome.ok ? { ok: true, value: outcome.value.result } : outcome));
    };
    const writer = this.writer;
    if (writer) return (requests) => writer.commit(requests).then(results);
    const commitHere = appendBatchTransaction(this.db, this.statements);
    return (requests) => results(commitHere(requests));
  }

  private recordCommitted(outcomes: RequestOutcome<AppendWritten>[]): void {
    this.counters.batchesCommitted += 1;
    let eventsWritten = 0;
    for (const outcome of outcomes) {
      if (outcome.ok) {
        this.counters.appendsAcknowledged += 1;
        eventsWritten += outcome.value.eventsWritten;
      } else {
        this.counters.appendsRejected += 1;
      }
    }
    this.counters.eventsWritten += eventsWritten;
    if (eventsWritten === 0) return;
    this.wakeSubscriptions();
    this.commitsInProcess?.postMessage(null);
  }

  private wakeSubscriptions(): void {
    for (const subscription of this.subscriptions) subscription.signalNewEvents();
  }

  private assertOpen(): void {
    if (this.closing) throw new EventStoreUnavailableError('The SQLite event store is closed');
  }
}
