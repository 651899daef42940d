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
} from './event-store.port';

/**
 * An EventStore that forwards every call of the port to `inner`, unchanged. Decorators (event
 * corrections, metrics) and test fixtures (faults, delays, crashes, races, jitter) extend it and
 * override only the calls they change, so a method added to the port is forwarded by all of them.
 */
export class DelegatingEventStore implements EventStore {
  constructor(readonly inner: EventStore) {}

  appendToStream(stream: StreamName, events: NewEvent[], options: AppendOptions): Promise<AppendResult> {
    return this.inner.appendToStream(stream, events, options);
  }

  readStream(stream: StreamName, options?: ReadStreamOptions): Promise<RecordedEvent[]> {
    return this.inner.readStream(stream, options);
  }

  readAll(options?: ReadAllOptions): Promise<RecordedEvent[]> {
    return this.inner.readAll(options);
  }

  subscribeToAll(options: SubscribeToAllOptions): Subscription {
    return this.inner.subscribeToAll(options);
  }

  headPosition(): Promise<number> {
    return this.inner.headPosition();
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}
