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

/**
 * Gives back the event as readers should see it: the same object when nothing is to change,
 * otherwise a copy with corrected data (same id, stream, revision and position) whose
 * metadata says which correction was applied.
 */
export type EventCorrection = (event: RecordedEvent) => RecordedEvent;

/** What a corrected event's metadata carries under `correction`, so the trail shows both versions. */
export interface CorrectionNote {
  /** Which correction changed it (a built-in upcaster or an operator's entry). */
  by: string;
  reason: string;
  /** The data as it is stored in the log. */
  originalData: unknown;
}

/**
 * The log is immutable: an event recorded with data no reader can apply stays in it. This
 * store applies corrections on every read (streams, the whole log, subscriptions), so the
 * deciders, every view, a rebuild and the reports see one corrected log, while appends and
 * positions are untouched.
 */
export class CorrectingEventStore implements EventStore {
  constructor(
    private readonly inner: EventStore,
    private readonly correct: EventCorrection,
  ) {}

  appendToStream(stream: StreamName, events: NewEvent[], options: AppendOptions): Promise<AppendResult> {
    return this.inner.appendToStream(stream, events, options);
  }

  async readStream(stream: StreamName, options?: ReadStreamOptions): Promise<RecordedEvent[]> {
    return (await this.inner.readStream(stream, options)).map(this.correct);
  }

  async readAll(options?: ReadAllOptions): Promise<RecordedEvent[]> {
    return (await this.inner.readAll(options)).map(this.correct);
  }

  subscribeToAll(options: SubscribeToAllOptions): Subscription {
    return this.inner.subscribeToAll({ ...options, onEvents: (events) => options.onEvents(events.map(this.correct)) });
  }

  headPosition(): Promise<number> {
    return this.inner.headPosition();
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}
