import type { ExpectedRevision, StreamName } from './event-store.port';

/** The stream was not at the revision the caller expected: someone else wrote first. */
export class WrongExpectedRevisionError extends Error {
  readonly code = 'EVENT_STORE.WRONG_EXPECTED_REVISION';
  constructor(
    readonly streamName: StreamName,
    readonly expected: ExpectedRevision,
    /** Revision of the stream's last event, or 'no_stream'. */
    readonly actual: number | 'no_stream',
  ) {
    super(`Stream ${streamName} expected at ${String(expected)} but is at ${String(actual)}`);
    this.name = 'WrongExpectedRevisionError';
  }
}

/**
 * Some but not all of the appended event ids were already in the stream, or they are in a
 * different stream: the retry does not match the original write, so it is refused.
 */
export class IdempotencyMismatchError extends Error {
  readonly code = 'EVENT_STORE.IDEMPOTENCY_MISMATCH';
  constructor(
    readonly streamName: StreamName,
    readonly eventId: string,
  ) {
    super(`Event ${eventId} was already written, but not as part of the same append to ${streamName}`);
    this.name = 'IdempotencyMismatchError';
  }
}

/** The store cannot be reached or has been closed; the caller may retry later (HTTP 503). */
export class EventStoreUnavailableError extends Error {
  readonly code = 'EVENT_STORE.UNAVAILABLE';
  constructor(
    message: string,
    override readonly cause?: unknown,
  ) {
    super(message);
    this.name = 'EventStoreUnavailableError';
  }
}
