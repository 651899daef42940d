import {
  CancelledError,
  DeadlineExceededError,
  InvalidTransactionError,
  NotLeaderError,
  TimeoutError,
  UnavailableError,
  WrongExpectedVersionError,
} from '@eventstore/db-client';
import { EventStoreUnavailableError, IdempotencyMismatchError, WrongExpectedRevisionError } from '../event-store.errors';
import type { ExpectedRevision, StreamName } from '../event-store.port';
import { revisionNumber } from './eventstoredb-records';

/** What the adapter was doing, so a client error can be told in the port's terms. */
export interface AppendContext {
  streamName: StreamName;
  expected: ExpectedRevision;
  eventIds: readonly string[];
}

/**
 * The client's errors in the port's words: a server that cannot be reached (refused, dropped,
 * timed out, or a follower that is not the leader) is EventStoreUnavailableError (503, retry);
 * a conflict is WrongExpectedRevisionError with the caller's own expectation. Anything else is
 * a bug or a misconfiguration and goes through unchanged.
 */
export function translateClientError(error: unknown, append?: AppendContext): unknown {
  if (append && error instanceof WrongExpectedVersionError) {
    const actual = error.actualVersion;
    return new WrongExpectedRevisionError(
      append.streamName,
      append.expected,
      actual === 'no_stream' || typeof actual !== 'bigint' || actual < 0n ? 'no_stream' : revisionNumber(actual),
    );
  }
  if (append && error instanceof InvalidTransactionError) {
    // EventStoreDB saw the first id of this append in an earlier one but not all the others.
    return new IdempotencyMismatchError(append.streamName, append.eventIds[0] ?? '');
  }
  if (isUnreachable(error)) {
    const reason = error instanceof Error ? error.message : String(error);
    return new EventStoreUnavailableError(`EventStoreDB is unavailable (${reason}); the client reconnects by itself, retry shortly`, error);
  }
  return error;
}

export function isUnreachable(error: unknown): boolean {
  if (
    error instanceof UnavailableError ||
    error instanceof DeadlineExceededError ||
    error instanceof CancelledError ||
    error instanceof TimeoutError ||
    error instanceof NotLeaderError
  ) {
    return true;
  }
  const code = (error as { code?: unknown } | undefined)?.code;
  return code === 'ECONNREFUSED' || code === 'ECONNRESET' || code === 'ETIMEDOUT' || code === 'EHOSTUNREACH';
}
