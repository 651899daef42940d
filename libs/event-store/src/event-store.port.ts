/**
 * The one port every event store adapter implements (SQLite, in-memory, EventStoreDB).
 *
 * Revisions are per stream and start at 0; positions are global, strictly increasing in
 * commit order, and start at 1 (0 means "before everything"). Both are plain numbers:
 * adapters whose client hands out bigint normalise them at the boundary.
 */

export type StreamName = string;

/** What a caller hands to append. `id` must be a UUID so EventStoreDB accepts it too. */
export interface NewEvent<Type extends string = string, Data = unknown> {
  id: string;
  type: Type;
  data: Data;
  metadata?: Record<string, unknown>;
}

export interface RecordedEvent<Type extends string = string, Data = unknown> {
  id: string;
  streamName: StreamName;
  type: Type;
  data: Data;
  metadata: Record<string, unknown>;
  /** Position inside its stream, from 0. */
  revision: number;
  /** Position in the whole log, from 1, increasing in commit order. */
  position: number;
}

/**
 * - `no_stream`: the stream must not exist yet;
 * - `stream_exists`: it must have at least one event;
 * - `any`: no check;
 * - a number: the revision of the stream's last event must be exactly this. -1 means the
 *   stream is empty (the same as `no_stream`): it is what an append to an empty stream reports.
 */
export type ExpectedRevision = 'no_stream' | 'stream_exists' | 'any' | number;

export interface AppendOptions {
  expectedRevision: ExpectedRevision;
}

export interface AppendResult {
  /** Revision of the stream's last event after the append: pass it as the next expected revision. */
  nextExpectedRevision: number;
  /** Global position of the last event appended (or of the original write when idempotent). */
  position: number;
  /**
   * True when nothing was written because every event id was already stored by an earlier
   * append (a retry): the result is that append's. Adapters that cannot tell leave it absent.
   */
  recognisedRetry?: true;
}

export type Direction = 'forwards' | 'backwards';

export interface ReadStreamOptions {
  direction?: Direction;
  /** Inclusive. Defaults to the first event forwards, the last one backwards. */
  fromRevision?: number;
  maxCount?: number;
}

export interface ReadAllOptions {
  direction?: Direction;
  /**
   * Exclusive checkpoint: forwards reads events with position > after (default 0);
   * backwards reads events with position < before (default: the end).
   */
  after?: number;
  before?: number;
  maxCount?: number;
}

export interface SubscriptionFilter {
  /** Only events whose stream name starts with one of these. Empty or absent: every stream. */
  streamPrefixes?: string[];
}

export interface SubscribeToAllOptions {
  /** Exclusive checkpoint: the first event delivered has position > after. Default 0. */
  after?: number;
  filter?: SubscriptionFilter;
  /** Largest batch handed to onEvents. */
  batchSize?: number;
  /**
   * Once caught up, how long to wait after new events are signalled before reading them, so
   * events committed close together reach onEvents as one batch (a projection then commits
   * once for many events instead of once per append). Adds at most this much delay. Default 0.
   */
  liveBatchWindowMs?: number;
  /**
   * Called with events in position order, one batch at a time; the next batch waits for the
   * returned promise, so a handler that commits its checkpoint with the batch never misses
   * or repeats an event.
   */
  onEvents(events: RecordedEvent[]): Promise<void> | void;
  /** Called each time the subscription has delivered everything stored so far. */
  onCaughtUp?(position: number): void;
  /** Called when the subscription stops because of an error (including one thrown by onEvents). */
  onError?(error: Error): void;
}

export interface Subscription {
  /** Stops delivering; resolves once no handler call is in flight. */
  stop(): Promise<void>;
}

export interface EventStore {
  appendToStream(stream: StreamName, events: NewEvent[], options: AppendOptions): Promise<AppendResult>;
  /** A stream that does not exist reads as empty. */
  readStream(stream: StreamName, options?: ReadStreamOptions): Promise<RecordedEvent[]>;
  readAll(options?: ReadAllOptions): Promise<RecordedEvent[]>;
  subscribeToAll(options: SubscribeToAllOptions): Subscription;
  /** Position of the last committed event, 0 when the log is empty. */
  headPosition(): Promise<number>;
  close(): Promise<void>;
}

export const EVENT_STORE = Symbol('EVENT_STORE');
