import {
  DelegatingEventStore,
  IdempotencyMismatchError,
  WrongExpectedRevisionError,
  type AppendOptions,
  type AppendResult,
  type EventStore,
  type NewEvent,
  type StreamName,
} from '@lib/event-store';
import type { ServiceMetrics } from './service-metrics';

/** Times every append and counts its events; a lost race is a `conflict`, not an `error`. */
export class MeasuredEventStore extends DelegatingEventStore {
  constructor(
    inner: EventStore,
    private readonly metrics: ServiceMetrics,
  ) {
    super(inner);
  }

  override async appendToStream(stream: StreamName, events: NewEvent[], options: AppendOptions): Promise<AppendResult> {
    const started = process.hrtime.bigint();
    const seconds = () => Number(process.hrtime.bigint() - started) / 1e9;
    try {
      const result = await this.inner.appendToStream(stream, events, options);
      this.metrics.appended('ok', events.length, seconds());
      return result;
    } catch (error) {
      const conflict = error instanceof WrongExpectedRevisionError || error instanceof IdempotencyMismatchError;
      this.metrics.appended(conflict ? 'conflict' : 'error', events.length, seconds());
      throw error;
    }
  }
}
