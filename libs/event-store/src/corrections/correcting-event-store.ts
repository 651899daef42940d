import { DelegatingEventStore } from '../delegating-event-store';
import type {
  EventStore,
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
export class CorrectingEventStore extends DelegatingEventStore {
  constructor(
    inner: EventStore,
    private readonly correct: EventCorrection,
  ) {
    super(inner);
  }

  override async readStream(stream: StreamName, options?: ReadStreamOptions): Promise<RecordedEvent[]> {
    return (await this.inner.readStream(stream, options)).map(this.correct);
  }

  override async readAll(options?: ReadAllOptions): Promise<RecordedEvent[]> {
    return (await this.inner.readAll(options)).map(this.correct);
  }

  override subscribeToAll(options: SubscribeToAllOptions): Subscription {
    return this.inner.subscribeToAll({ ...options, onEvents: (events) => options.onEvents(events.map(this.correct)) });
  }
}
