import {
  BACKWARDS,
  END,
  EventStoreDBClient,
  FORWARDS,
  NO_STREAM,
  START,
  STREAM_EXISTS,
  ANY,
  StreamNotFoundError,
  type AllStreamResolvedEvent,
  type AppendExpectedRevision,
  type EventData,
  type JSONType,
  type ReadPosition,
} from '@eventstore/db-client';
import { decideAppend, rejectRepeatedIds } from '../append-decision';
import { EventStoreUnavailableError } from '../event-store.errors';
import type {
  AppendOptions,
  AppendResult,
  EventStore,
  ExpectedRevision,
  NewEvent,
  ReadAllOptions,
  ReadStreamOptions,
  RecordedEvent,
  StreamName,
  SubscribeToAllOptions,
  Subscription,
} from '../event-store.port';
import { serializeEvent } from '../event-serialization';
import { assertValidAppend, resolveMaxCount } from '../input-validation';
import { translateClientError } from './eventstoredb-errors';
import { isSystemStream, positionPair, revisionNumber, toRecordedEvent } from './eventstoredb-records';
import { EventStoreDbSubscription, type ResubscribePolicy } from './eventstoredb-subscription';

export interface EventStoreDbConnectOptions {
  /** How long the first contact may take before start-up gives up. Default 5 s. */
  probeTimeoutMs?: number;
  resubscribe?: Partial<ResubscribePolicy>;
}

/** Events per round trip when readAll has to skip EventStoreDB's own events to fill maxCount. */
const READ_PAGE = 1000;
const DEFAULT_RESUBSCRIBE: ResubscribePolicy = { initialDelayMs: 100, maxDelayMs: 5000 };

/**
 * The event store on EventStoreDB (the production path), through @eventstore/db-client over gRPC.
 *
 * - Append maps the expected revision to the client's forms (-1 is no_stream) and leaves
 *   duplicate detection to the server: event ids are deterministic per command, so a retried
 *   command's append is recognised and answered with the original result. EventStoreDB checks
 *   retries from the expected revision on (or by the first id, for any/stream_exists), so it
 *   cannot refuse every partial overlap the local adapters refuse (see the contract's
 *   `idempotency: 'from-expected-revision'`).
 * - Positions are commit positions (byte offsets in EventStoreDB's log): increasing, not dense.
 * - Streams starting with `$` are EventStoreDB's own: readAll, headPosition and subscriptions
 *   leave them out; readStream still reads one by name.
 * - A server that cannot be reached answers EventStoreUnavailableError (HTTP 503); the client
 *   reconnects by itself on the next call, and subscriptions resubscribe where they were.
 */
export class EventStoreDbEventStore implements EventStore {
  private readonly subscriptions = new Set<EventStoreDbSubscription>();
  private readonly resubscribe: ResubscribePolicy;
  private closed = false;

  constructor(
    private readonly client: EventStoreDBClient,
    options: Pick<EventStoreDbConnectOptions, 'resubscribe'> = {},
  ) {
    this.resubscribe = { ...DEFAULT_RESUBSCRIBE, ...options.resubscribe };
  }

  /**
   * Connects and proves the server answers before the service starts taking requests: a
   * wrong address fails the start with a message naming the setting, instead of every
   * request failing later.
   */
  static async connect(connectionString: string, options: EventStoreDbConnectOptions = {}): Promise<EventStoreDbEventStore> {
    const where = redactConnectionString(connectionString);
    let client: EventStoreDBClient;
    try {
      client = EventStoreDBClient.connectionString(connectionString);
    } catch (error) {
      throw new EventStoreUnavailableError(
        `ESDB_CONNECTION_STRING ${where} is not a connection string the EventStoreDB client accepts (${errorMessage(error)}); use esdb://host:2113?tls=false`,
        error,
      );
    }
    const store = new EventStoreDbEventStore(client, options);
    const probeTimeoutMs = options.probeTimeoutMs ?? 5000;
    try {
      await withDeadline(store.headPosition(), probeTimeoutMs, `no answer within ${probeTimeoutMs} ms`);
    } catch (error) {
      await store.close();
      const cause = error instanceof EventStoreUnavailableError && error.cause !== undefined ? error.cause : error;
      throw new EventStoreUnavailableError(
        `EventStoreDB at ${where} cannot be reached (${errorMessage(cause)}); check ESDB_CONNECTION_STRING and that the server is running`,
        cause,
      );
    }
    return store;
  }

  async appendToStream(stream: StreamName, events: NewEvent[], options: AppendOptions): Promise<AppendResult> {
    this.assertOpen();
    assertValidAppend(stream, events, options);
    const eventIds = events.map((event) => event.id);
    rejectRepeatedIds(stream, eventIds);
    // Fails a value JSON cannot hold (a bigint, a cycle) here, with a TypeError, as the local adapters do.
    events.forEach(serializeEvent);
    if (events.length === 0) return this.checkWithoutWriting(stream, options.expectedRevision);
    try {
      const result = await this.client.appendToStream(stream, events.map(toEventData), {
        expectedRevision: toClientExpectedRevision(options.expectedRevision),
      });
      const nextExpectedRevision = revisionNumber(result.nextExpectedRevision);
      // A server may answer a recognised retry without a position: the stored event has it.
      const position = result.position ? revisionNumber(result.position.commit) : await this.positionAt(stream, nextExpectedRevision);
      return { nextExpectedRevision, position };
    } catch (error) {
      throw translateClientError(error, { streamName: stream, expected: options.expectedRevision, eventIds });
    }
  }

  async readStream(stream: StreamName, options: ReadStreamOptions = {}): Promise<RecordedEvent[]> {
    this.assertOpen();
    const maxCount = resolveMaxCount(options.maxCount);
    if (maxCount === 0) return [];
    const backwards = options.direction === 'backwards';
    if (options.fromRevision !== undefined && options.fromRevision < 0) return [];
    try {
      const read = this.client.readStream(stream, {
        direction: backwards ? BACKWARDS : FORWARDS,
        fromRevision: options.fromRevision === undefined ? (backwards ? END : START) : BigInt(options.fromRevision),
        maxCount: maxCount ?? Number.MAX_SAFE_INTEGER,
      });
      const events: RecordedEvent[] = [];
      for await (const resolved of read) {
        const event = toRecordedEvent(resolved);
        if (event) events.push(event);
      }
      return events;
    } catch (error) {
      if (error instanceof StreamNotFoundError) return [];
      throw translateClientError(error);
    }
  }

  async readAll(options: ReadAllOptions = {}): Promise<RecordedEvent[]> {
    this.assertOpen();
    const maxCount = resolveMaxCount(options.maxCount);
    if (maxCount === 0) return [];
    try {
      return await this.readAllPages(options, maxCount);
    } catch (error) {
      throw translateClientError(error);
    }
  }

  subscribeToAll(options: SubscribeToAllOptions): Subscription {
    this.assertOpen();
    const subscription = new EventStoreDbSubscription(this.client, options, this.resubscribe, (ended) => this.subscriptions.delete(ended));
    this.subscriptions.add(subscription);
    return subscription;
  }

  /** The last event's position, EventStoreDB's own events left out; 0 for an empty log. */
  async headPosition(): Promise<number> {
    const [last] = await this.readAll({ direction: 'backwards', maxCount: 1 });
    return last?.position ?? 0;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all([...this.subscriptions].map((subscription) => subscription.stop()));
    await this.client.dispose();
  }

  /**
   * Reads $all in pages, leaving out EventStoreDB's own events and applying the exclusive
   * bounds on positions here: a forwards read from a position includes it, and paging
   * re-reads the last event of the previous page.
   */
  private async readAllPages(options: ReadAllOptions, maxCount: number | undefined): Promise<RecordedEvent[]> {
    const forwards = options.direction !== 'backwards';
    const after = options.after ?? 0;
    const before = options.before ?? Number.POSITIVE_INFINITY;
    let from: ReadPosition = forwards ? (after > 0 ? positionPair(after) : START) : Number.isFinite(before) ? positionPair(before) : END;
    const found: RecordedEvent[] = [];
    let previous: number | undefined;
    for (;;) {
      const pageSize = maxCount === undefined ? READ_PAGE : Math.min(READ_PAGE, maxCount - found.length + 1);
      const page = await this.readAllPage(forwards, from, pageSize);
      for (const resolved of page) {
        const event = toRecordedEvent(resolved);
        if (!event) continue;
        const position = event.position;
        if (previous !== undefined && (forwards ? position <= previous : position >= previous)) continue;
        previous = position;
        from = resolved.event?.position ?? positionPair(position);
        if (forwards ? position >= before : position <= after) return found;
        if (position <= after || position >= before || isSystemStream(event.streamName)) continue;
        found.push(event);
        if (found.length === maxCount) return found;
      }
      if (page.length < pageSize) return found;
    }
  }

  /**
   * One read, consumed to its end: a read left half-consumed keeps its gRPC call open, and the
   * client's dispose() then waits for it forever.
   */
  private async readAllPage(forwards: boolean, from: ReadPosition, maxCount: number): Promise<AllStreamResolvedEvent[]> {
    const page: AllStreamResolvedEvent[] = [];
    for await (const resolved of this.client.readAll({ direction: forwards ? FORWARDS : BACKWARDS, fromPosition: from, maxCount })) {
      page.push(resolved as AllStreamResolvedEvent);
    }
    return page;
  }

  /**
   * EventStoreDB answers an empty append to a missing stream as revision 0, not "no stream";
   * nothing is written either way, so the expectation is checked against a read instead.
   */
  private async checkWithoutWriting(stream: StreamName, expected: ExpectedRevision): Promise<AppendResult> {
    const [last] = await this.readStream(stream, { direction: 'backwards', maxCount: 1 });
    const decision = decideAppend(stream, [], expected, { lastEventOf: () => last, locateEvent: () => undefined });
    return decision.write ? { nextExpectedRevision: last?.revision ?? -1, position: last?.position ?? 0 } : decision.result;
  }

  private async positionAt(stream: StreamName, revision: number): Promise<number> {
    const [event] = await this.readStream(stream, { direction: 'backwards', fromRevision: revision, maxCount: 1 });
    return event?.position ?? 0;
  }

  private assertOpen(): void {
    if (this.closed) throw new EventStoreUnavailableError('The EventStoreDB event store is closed');
  }
}

function toClientExpectedRevision(expected: ExpectedRevision): AppendExpectedRevision {
  switch (expected) {
    case 'any':
      return ANY;
    case 'no_stream':
      return NO_STREAM;
    case 'stream_exists':
      return STREAM_EXISTS;
    default:
      return expected === -1 ? NO_STREAM : BigInt(expected);
  }
}

/**
 * JSON events, as EventStoreDB's UI and projections expect. The client's JSONType leaves out
 * JSON's scalars (null, numbers, booleans) that the port allows as data; it stringifies them
 * all the same, so the cast is only about the declared type.
 */
function toEventData(event: NewEvent): EventData {
  return {
    id: event.id,
    type: event.type,
    contentType: 'application/json',
    data: (event.data === undefined ? null : event.data) as JSONType,
    metadata: event.metadata ?? {},
  };
}

/** Connection strings may carry a user and password: never put those in a message. */
export function redactConnectionString(connectionString: string): string {
  return connectionString.replace(/\/\/[^@/]*@/, '//***@');
}

function withDeadline<T>(work: Promise<T>, ms: number, reason: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(reason)), ms);
  });
  return Promise.race([work, deadline]).finally(() => clearTimeout(timer));
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
