import { IdempotencyMismatchError, WrongExpectedRevisionError } from './event-store.errors';
import type { AppendResult, ExpectedRevision, StreamName } from './event-store.port';

/** Where a stored event sits: enough to check an expected revision or recognise a retried append. */
export interface StoredEventLocation {
  streamName: StreamName;
  revision: number;
  position: number;
}

/**
 * What an append must consult before it writes. Adapters answer from inside the same atomic
 * step as the write (a transaction, or a synchronous section), so the answers cannot go stale.
 */
export interface AppendLookups {
  lastEventOf(stream: StreamName): StoredEventLocation | undefined;
  locateEvent(eventId: string): StoredEventLocation | undefined;
}

export type AppendDecision =
  | { write: true; firstRevision: number }
  /** Nothing to store: a retry of an earlier append, or an empty append. */
  | { write: false; result: AppendResult };

/**
 * The rules every adapter shares, in the order that makes retries safe: a retry is recognised
 * by its event ids before the expected revision is checked, because by the time a client
 * retries, its own first attempt may already have moved the stream past what it expected.
 */
export function decideAppend(
  stream: StreamName,
  eventIds: readonly string[],
  expected: ExpectedRevision,
  lookups: AppendLookups,
): AppendDecision {
  rejectRepeatedIds(stream, eventIds);
  const retried = recogniseRetry(stream, eventIds, lookups);
  if (retried) return { write: false, result: { ...retried, recognisedRetry: true } };

  const last = lookups.lastEventOf(stream);
  const lastRevision = last?.revision ?? -1;
  if (!meetsExpectation(expected, lastRevision)) {
    throw new WrongExpectedRevisionError(stream, expected, last ? last.revision : 'no_stream');
  }
  if (eventIds.length === 0) {
    return { write: false, result: { nextExpectedRevision: lastRevision, position: last?.position ?? 0 } };
  }
  return { write: true, firstRevision: lastRevision + 1 };
}

/** -1 counts as "no stream": it is what an append to an empty stream reports back. */
function meetsExpectation(expected: ExpectedRevision, lastRevision: number): boolean {
  switch (expected) {
    case 'any':
      return true;
    case 'no_stream':
      return lastRevision === -1;
    case 'stream_exists':
      return lastRevision >= 0;
    default:
      return lastRevision === expected;
  }
}

/** One append naming the same event twice cannot be a retry of anything: refused before any store sees it. */
export function rejectRepeatedIds(stream: StreamName, eventIds: readonly string[]): void {
  const seen = new Set<string>();
  for (const id of eventIds) {
    if (seen.has(id)) throw new IdempotencyMismatchError(stream, id);
    seen.add(id);
  }
}

/**
 * A retry is an append whose ids are all already stored, in this stream, at consecutive
 * revisions in the same order; it is answered with the original write's result. Any other
 * overlap with stored ids cannot be told apart from a conflicting write, so it is refused.
 */
function recogniseRetry(stream: StreamName, eventIds: readonly string[], lookups: AppendLookups): AppendResult | undefined {
  if (eventIds.length === 0) return undefined;
  const found = eventIds.map((id) => lookups.locateEvent(id));
  const firstStored = found.findIndex((location) => location !== undefined);
  if (firstStored === -1) return undefined;

  const first = found[0];
  for (let i = 0; i < eventIds.length; i++) {
    const location = found[i];
    const inPlace =
      first !== undefined && location !== undefined && location.streamName === stream && location.revision === first.revision + i;
    if (!inPlace) throw new IdempotencyMismatchError(stream, eventIds[location ? i : firstStored]);
  }
  const last = found[found.length - 1] as StoredEventLocation;
  return { nextExpectedRevision: last.revision, position: last.position };
}
