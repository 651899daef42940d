import { PositionWaiters } from './position-waiters';
import type { EventStore, RecordedEvent, Subscription } from '@lib/event-store';
import type { ReadModelDatabase } from '../database/read-model-database';
import { runInWriteTransaction } from '../database/write-transaction';
import type { Projection } from '../projections/projection';
import type { ProjectionStatus } from '../read-models.types';
import { advanceCheckpoint, lockCheckpoint, recordCheckpointFailure, type Checkpoint, type CheckpointFailure } from './checkpoints';

/** Compatible with Nest's LoggerService and with console. */
export interface ProjectorLogger {
  log(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

export interface ProjectorOptions {
  /** Largest number of events applied in one transaction (default 500). */
  batchSize?: number;
  logger?: ProjectorLogger;
  /** First delay before retrying after a database or event-store error (default 500 ms); doubles each time. */
  retryDelayMs?: number;
  /** Upper bound of that delay (default 30 s). */
  maxRetryDelayMs?: number;
  /**
   * Passed to the subscription: once caught up, wait this long after new events are signalled
   * so events committed close together are applied in one transaction (default: the store's, 0).
   */
  liveBatchWindowMs?: number;
  /** Called whenever a projection's position or health changes (to mirror status elsewhere). */
  onChange?(): void;
}

/** What a service needs from whatever runs the projections, here or on another thread. */
export interface ProjectorHost {
  start(): Promise<void>;
  stop(): Promise<void>;
  status(): ProjectionStatus[];
  waitForPosition(position: number, timeoutMs: number): Promise<boolean>;
}

export const DEFAULT_PROJECTOR_BATCH_SIZE = 500;

const consoleLogger: ProjectorLogger = {
  log: (message) => console.log(`[Projector] ${message}`),
  warn: (message) => console.warn(`[Projector] ${message}`),
  error: (message) => console.error(`[Projector] ${message}`),
};

/** Thrown from inside a batch transaction when the projection itself refused the events. */
class ApplyFailed extends Error {
  constructor(override readonly cause: unknown) {
    super(describe(cause));
  }
}

type BatchOutcome =
  /** Committed (or found already applied): the stored checkpoint is now `position`. */
  | { kind: 'applied'; position: number }
  /** The stored checkpoint is below what this process had reached (a rebuild, a reset): resubscribe from it. */
  | { kind: 'behind'; stored: number }
  /** The event at failure.position cannot be applied; everything before it is committed. */
  | { kind: 'failed'; failure: CheckpointFailure };

interface RunnerSettings {
  batchSize: number;
  liveBatchWindowMs?: number;
  logger: ProjectorLogger;
  retryDelayMs: number;
  maxRetryDelayMs: number;
}

/**
 * Keeps one projection: its own subscription from its own checkpoint, its own failure. A
 * projection that cannot apply an event stops without stopping the others.
 */
class ProjectionRunner {
  private mode: 'stopped' | 'running' | 'retrying' | 'failed' = 'stopped';
  /** The checkpoint this process knows to be stored (never ahead of the tables). */
  private position = 0;
  /** The event this projection could not apply (recorded in its checkpoint row). */
  private failure?: CheckpointFailure;
  /** A database or event-store error being retried. */
  private transient?: CheckpointFailure;
  private subscription?: Subscription;
  /** Bumped whenever the subscription is replaced or stopped: callbacks of an older one are ignored. */
  private generation = 0;
  private retryTimer?: NodeJS.Timeout;
  private retryDelayMs: number;
  private connecting: Promise<void> = Promise.resolve();
  private inFlight?: RecordedEvent;

  constructor(
    private readonly projection: Projection,
    private readonly store: EventStore,
    private readonly database: ReadModelDatabase,
    private readonly settings: RunnerSettings,
    private readonly changed: () => void,
  ) {
    this.retryDelayMs = settings.retryDelayMs;
  }

  private fromAnotherLog = false;

  get name(): string {
    return this.projection.name;
  }

  /** Views built from another log have no position in this one: nothing waits on them. */
  get reachedPosition(): number {
    return this.fromAnotherLog ? -1 : this.position;
  }

  /** Stopped at an event it cannot apply (not merely retrying, not stopped by the caller). */
  get failed(): boolean {
    return this.mode === 'failed';
  }

  status(): ProjectionStatus {
    const failure = this.failure ?? (this.transient && { ...this.transient, transient: true });
    return failure === undefined
      ? { name: this.name, position: this.position, healthy: true }
      : { name: this.name, position: this.reachedPosition, healthy: false, failure };
  }

  /**
   * Starts from the stored checkpoint. A projection whose checkpoint records a failure is
   * retried once from there (a fixed deployment resumes by itself); if the event still
   * cannot be applied it stops again, reported unhealthy, until the next start or a rebuild.
   */
  async start(): Promise<void> {
    if (this.mode === 'running' || this.mode === 'retrying') return;
    const generation = ++this.generation;
    this.mode = 'running';
    this.transient = undefined;
    this.retryDelayMs = this.settings.retryDelayMs;
    await this.connect(generation, true);
  }

  async stop(): Promise<void> {
    this.mode = 'stopped';
    this.generation++;
    if (this.retryTimer !== undefined) clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    const subscription = this.subscription;
    this.subscription = undefined;
    await Promise.all([subscription?.stop(), this.connecting]);
    this.changed();
  }

  private connect(generation: number, atStart: boolean): Promise<void> {
    this.connecting = (async () => {
      try {
        const checkpoint: Checkpoint = await runInWriteTransaction(this.database, (trx) =>
          lockCheckpoint(trx, this.database.kind, this.name),
        );
        if (generation !== this.generation) return;
        const head = await this.store.headPosition();
        if (checkpoint.position > head) {
          // Views ahead of the log they claim to follow belong to another log (a replaced events
          // file, an in-memory log restarted): serving them, or skipping new events up to that
          // position, would both be wrong. Stop, unhealthy, until the views are rebuilt.
          this.position = checkpoint.position;
          this.failure = {
            position: checkpoint.position,
            eventType: '',
            message: `checkpoint ${checkpoint.position} is beyond the event log's last position ${head}: these views were built from another log; rebuild them (npm run cli -- rebuild)`,
          };
          this.mode = 'failed';
          this.fromAnotherLog = true;
          this.settings.logger.error(`Projection ${this.name}: ${this.failure.message}`);
          this.changed();
          return;
        }
        this.fromAnotherLog = false;
        this.position = checkpoint.position;
        // The stored row is the truth: a rebuild may have cleared a failure, another instance recorded one.
        this.failure = checkpoint.failure;
        if (checkpoint.failure !== undefined && atStart) {
          this.settings.logger.warn(
            `Projection ${this.name} had stopped at position ${checkpoint.failure.position} ` +
              `(${checkpoint.failure.eventType}): ${checkpoint.failure.message}; retrying it once from position ${checkpoint.position}`,
          );
        }
        this.subscribe(generation, checkpoint.position);
        this.changed();
      } catch (error) {
        this.onInfrastructureError(generation, error);
      }
    })();
    return this.connecting;
  }

  private subscribe(generation: number, after: number): void {
    this.subscription = this.store.subscribeToAll({
      after,
      batchSize: this.settings.batchSize,
      ...(this.settings.liveBatchWindowMs === undefined ? {} : { liveBatchWindowMs: this.settings.liveBatchWindowMs }),
      onEvents: (events) => this.onEvents(generation, events),
      onError: (error) => this.onInfrastructureError(generation, error),
    });
  }

  private async onEvents(generation: number, events: RecordedEvent[]): Promise<void> {
    if (generation !== this.generation || events.length === 0) return;
    this.inFlight = events[0];
    // Throws on database or store errors: the subscription ends and onInfrastructureError retries.
    const outcome = await this.applyBatch(events);
    this.inFlight = undefined;
    switch (outcome.kind) {
      case 'applied':
        this.position = outcome.position;
        this.transient = undefined;
        this.retryDelayMs = this.settings.retryDelayMs;
        if (this.failure !== undefined && this.position >= this.failure.position) {
          this.settings.logger.log(`Projection ${this.name} applied position ${this.failure.position} and is healthy again`);
          this.failure = undefined;
        }
        this.changed();
        return;
      case 'behind': {
        if (generation !== this.generation) return;
        this.settings.logger.warn(
          `Projection ${this.name}: stored checkpoint ${outcome.stored} is below ${this.position} (rebuilt or reset); resubscribing from it`,
        );
        this.position = outcome.stored;
        const previous = this.subscription;
        const next = ++this.generation;
        void previous?.stop();
        this.subscribe(next, outcome.stored);
        this.changed();
        return;
      }
      case 'failed': {
        this.failure = outcome.failure;
        this.transient = undefined;
        if (generation === this.generation) {
          this.mode = 'failed';
          this.generation++;
          const subscription = this.subscription;
          this.subscription = undefined;
          void subscription?.stop();
        }
        this.changed();
        return;
      }
    }
  }

  /**
   * One transaction for the whole batch: lock and read the checkpoint, skip what it already
   * covers (another instance, or a rebuild's swap, got there first), apply the rest, move the
   * checkpoint. When the projection throws, the batch is rolled back and retried event by event.
   */
  private async applyBatch(events: RecordedEvent[]): Promise<BatchOutcome> {
    const expected = this.position;
    const last = events[events.length - 1].position;
    try {
      return await runInWriteTransaction(this.database, async (trx) => {
        const stored = await lockCheckpoint(trx, this.database.kind, this.name);
        if (stored.position < expected) return { kind: 'behind', stored: stored.position };
        const fresh = events.filter((event) => event.position > stored.position);
        if (fresh.length === 0) return { kind: 'applied', position: stored.position };
        try {
          await this.projection.apply(trx, fresh);
        } catch (error) {
          throw new ApplyFailed(error);
        }
        await advanceCheckpoint(trx, this.database.kind, this.name, last);
        return { kind: 'applied', position: last };
      });
    } catch (error) {
      if (!(error instanceof ApplyFailed)) throw error;
      return this.applyOneByOne(events);
    }
  }

  /** Finds the exact event the projection refuses: commits each event before it, records the failure. */
  private async applyOneByOne(events: RecordedEvent[]): Promise<BatchOutcome> {
    for (const event of events) {
      const expected = this.position;
      let outcome: BatchOutcome;
      try {
        outcome = await runInWriteTransaction(this.database, async (trx): Promise<BatchOutcome> => {
          const stored = await lockCheckpoint(trx, this.database.kind, this.name);
          if (stored.position < expected) return { kind: 'behind', stored: stored.position };
          if (event.position <= stored.position) return { kind: 'applied', position: stored.position };
          try {
            await this.projection.apply(trx, [event]);
          } catch (error) {
            throw new ApplyFailed(error);
          }
          await advanceCheckpoint(trx, this.database.kind, this.name, event.position);
          return { kind: 'applied', position: event.position };
        });
      } catch (error) {
        if (!(error instanceof ApplyFailed)) throw error;
        outcome = await this.recordFailure(event, error.message);
      }
      if (outcome.kind !== 'applied') return outcome;
      this.position = outcome.position;
    }
    return { kind: 'applied', position: this.position };
  }

  private async recordFailure(event: RecordedEvent, message: string): Promise<BatchOutcome> {
    const failure: CheckpointFailure = { position: event.position, eventType: event.type, message };
    this.settings.logger.error(
      `Projection ${this.name} stopped at position ${event.position}: cannot apply ${event.type} ` +
        `(${event.streamName}@${event.revision}): ${message}`,
    );
    const outcome = await runInWriteTransaction(this.database, async (trx): Promise<BatchOutcome> => {
      const stored = await lockCheckpoint(trx, this.database.kind, this.name);
      // Another instance applied it meanwhile (a fixed version): nothing to record.
      if (stored.position >= event.position) return { kind: 'applied', position: stored.position };
      await recordCheckpointFailure(trx, this.database.kind, this.name, failure);
      return { kind: 'failed', failure };
    });
    return outcome;
  }

  private onInfrastructureError(generation: number, error: unknown): void {
    if (generation !== this.generation || this.mode === 'stopped' || this.mode === 'failed') return;
    const delay = this.retryDelayMs;
    this.retryDelayMs = Math.min(delay * 2, this.settings.maxRetryDelayMs);
    const at = this.inFlight;
    this.inFlight = undefined;
    const message = describe(error);
    this.transient = { position: at?.position ?? this.position, eventType: at?.type ?? '', message };
    this.settings.logger.error(
      `Projection ${this.name} failed at position ${this.transient.position}` +
        `${at ? ` (${at.type})` : ''}: ${message}; retrying in ${delay} ms`,
    );
    this.mode = 'retrying';
    const next = ++this.generation;
    const subscription = this.subscription;
    this.subscription = undefined;
    void subscription?.stop();
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      if (next !== this.generation) return;
      this.mode = 'running';
      void this.connect(next, false);
    }, delay);
    this.changed();
  }
}

/**
 * Keeps read models up to date from the event log. Each projection has its own subscription
 * from its own stored checkpoint and applies each batch in one transaction that also moves
 * its checkpoint, so a crash anywhere neither loses nor repeats an event.
 *
 * Failure policy: an event a projection cannot apply stops that projection at that position
 * (logged, recorded in its checkpoint row, reported by status() as unhealthy); the others go
 * on. start() retries such a projection once; a rebuild clears the failure. Database and
 * event-store errors are retried with backoff (reported unhealthy, `transient`, meanwhile).
 */
export class Projector implements ProjectorHost {
  private readonly runners: ProjectionRunner[];
  private readonly onChange?: () => void;
  private readonly waiters = new PositionWaiters({
    // A view stopped at a failure still answers for positions it had already reached.
    progress: (position) =>
      this.runners.some((runner) => runner.failed && runner.reachedPosition < position)
        ? 'stopped_short'
        : this.runners.every((runner) => runner.reachedPosition >= position)
          ? 'reached'
          : 'pending',
  });

  constructor(store: EventStore, database: ReadModelDatabase, projections: readonly Projection[], options: ProjectorOptions = {}) {
    const batchSize = options.batchSize ?? DEFAULT_PROJECTOR_BATCH_SIZE;
    if (!Number.isSafeInteger(batchSize) || batchSize < 1) {
      throw new RangeError(`batchSize must be a positive integer, got ${String(batchSize)}`);
    }
    const retryDelayMs = options.retryDelayMs ?? 500;
    const maxRetryDelayMs = Math.max(options.maxRetryDelayMs ?? 30_000, retryDelayMs);
    if (!(retryDelayMs >= 0)) throw new RangeError(`retryDelayMs must be >= 0, got ${String(retryDelayMs)}`);
    const names = new Set<string>();
    for (const projection of projections) {
      if (names.has(projection.name)) throw new Error(`Two projections are named ${projection.name}`);
      names.add(projection.name);
    }
    const settings: RunnerSettings = {
      batchSize,
      logger: options.logger ?? consoleLogger,
      retryDelayMs,
      maxRetryDelayMs,
      liveBatchWindowMs: options.liveBatchWindowMs,
    };
    this.onChange = options.onChange;
    this.runners = projections.map((projection) => new ProjectionRunner(projection, store, database, settings, () => this.notify()));
  }

  /**
   * Starts every projection that is not running, each from its stored checkpoint. Calling it
   * again after a rebuild restarts the projections that had stopped at a failure.
   */
  async start(): Promise<void> {
    await Promise.all(this.runners.map((runner) => runner.start()));
  }

  /** Stops every projection; resolves once no batch is in flight. */
  async stop(): Promise<void> {
    await Promise.all(this.runners.map((runner) => runner.stop()));
  }

  status(): ProjectionStatus[] {
    return this.runners.map((runner) => runner.status());
  }

  /**
   * Resolves true once every projection's stored checkpoint is at or past `position` (so a
   * query sees the effect of that event), false after `timeoutMs`, and false at once when a
   * projection has stopped at an event it cannot apply.
   */
  waitForPosition(position: number, timeoutMs: number): Promise<boolean> {
    if (typeof position !== 'number' || Number.isNaN(position)) {
      throw new RangeError(`position must be a number, got ${String(position)}`);
    }
    if (!(timeoutMs >= 0)) throw new RangeError(`timeoutMs must be >= 0, got ${String(timeoutMs)}`);
    return this.waiters.wait(position, timeoutMs);
  }

  private notify(): void {
    this.onChange?.();
    this.waiters.notify();
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
