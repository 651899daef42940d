import { decideAppend, type AppendLookups } from '../append-decision';
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
import { deserializeEvent, serializeEvent, type StoredEventText } from '../event-serialization';
import { assertValidAppend, resolveMaxCount } from '../input-validation';
import { CatchUpSubscription } from '../subscription/catch-up-subscription';

/**
 * The event store for unit tests: same rules as the SQLite adapter (it shares the append
 * decision and the subscription loop), with nothing on disk. Events are kept as JSON text so
 * a test sees exactly what a durable store would hand back.
 */
export class InMemoryEventStore implements EventStore {
  /** Index i holds position i + 1. */
  private readonly log: StoredEventText[] = [];
  private readonly streams = new Map<StreamName, StoredEventText[]>();
  private readonly eventsById = new Map<string, StoredEventText>();
  private readonly subscriptions = new Set<CatchUpSubscription>();
  private closed = false;

  private readonly lookups: AppendLookups = {
    lastEventOf: (stream) => this.streams.get(stream)?.at(-1),
    locateEvent: (eventId) => this.eventsById.get(eventId),
  };

  async appendToStream(stream: StreamName, events: NewEvent[], options: AppendOptions): Promise<AppendResult> {
    this.assertOpen();
    assertValidAppend(stream, events, options);
    const serialized = events.map(serializeEvent);
    const decision = decideAppend(
      stream,
      serialized.map((event) => event.id),
      options.expectedRevision,
      this.lookups,
    );
    if (!decision.write) return decision.result;

    const streamEvents = this.streams.get(stream) ?? [];
    this.streams.set(stream, streamEvents);
    let stored: StoredEventText | undefined;
    serialized.forEach((event, index) => {
      stored = { ...event, streamName: stream, revision: decision.firstRevision + index, position: this.log.length + 1 };
      this.log.push(stored);
      streamEvents.push(stored);
      this.eventsById.set(stored.id, stored);
    });
    for (const subscription of this.subscriptions) subscription.signalNewEvents();
    const last = stored as StoredEventText;
    return { nextExpectedRevision: last.revision, position: last.position };
  }

  async readStream(stream: StreamName, options: ReadStreamOptions = {}): Promise<RecordedEvent[]> {
    this.assertOpen();
    const maxCount = resolveMaxCount(options.maxCount);
    const events = this.streams.get(stream) ?? [];
    const selected =
      options.direction === 'backwards'
        ? events.slice(0, Math.max(0, (options.fromRevision ?? events.length) + 1)).reverse()
        : events.slice(Math.max(0, options.fromRevision ?? 0));
    return selected.slice(0, maxCount).map(deserializeEvent);
  }

  async readAll(options: ReadAllOptions = {}): Promise<RecordedEvent[]> {
    this.assertOpen();
    const maxCount = resolveMaxCount(options.maxCount);
    // Positions are index + 1, so both exclusive bounds turn into slice indexes directly.
    const window = this.log.slice(Math.max(0, options.after ?? 0), Math.max(0, (options.before ?? Infinity) - 1));
    const ordered = options.direction === 'backwards' ? window.reverse() : window;
    return ordered.slice(0, maxCount).map(deserializeEvent);
  }

  subscribeToAll(options: SubscribeToAllOptions): Subscription {
    this.assertOpen();
    const subscription = new CatchUpSubscription(options, {
      readPage: (after, maxCount) => this.readAll({ after, maxCount }),
      onEnded: (ended) => this.subscriptions.delete(ended),
    });
    this.subscriptions.add(subscription);
    return subscription;
  }

  async headPosition(): Promise<number> {
    this.assertOpen();
    return this.log.length;
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.all([...this.subscriptions].map((subscription) => subscription.stop()));
  }

  private assertOpen(): void {
    if (this.closed) throw new EventStoreUnavailableError('The in-memory event store is closed');
  }
}
