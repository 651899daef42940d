import type { AppendOptions, NewEvent, StreamName } from './event-store.port';

/**
 * Checks what the type system cannot (callers at the HTTP edge pass data through), so a bad
 * request fails on its own instead of inside a batch shared with other requests.
 */
export function assertValidAppend(stream: StreamName, events: readonly NewEvent[], options: AppendOptions): void {
  if (typeof stream !== 'string' || stream.length === 0) {
    throw new TypeError('Stream name must be a non-empty string');
  }
  if (!Array.isArray(events)) throw new TypeError('Events must be an array');
  for (const event of events) {
    if (typeof event?.id !== 'string' || event.id.length === 0) {
      throw new TypeError(`Every event appended to ${stream} needs a non-empty string id`);
    }
    if (typeof event.type !== 'string' || event.type.length === 0) {
      throw new TypeError(`Event ${event.id} needs a non-empty string type`);
    }
    const { metadata } = event;
    if (metadata !== undefined && (metadata === null || typeof metadata !== 'object' || Array.isArray(metadata))) {
      throw new TypeError(`Metadata of event ${event.id} must be a plain object`);
    }
  }
  const expected = options?.expectedRevision;
  const validKeyword = expected === 'no_stream' || expected === 'stream_exists' || expected === 'any';
  const validNumber = typeof expected === 'number' && Number.isSafeInteger(expected) && expected >= -1;
  if (!validKeyword && !validNumber) {
    throw new RangeError(`Invalid expected revision for ${stream}: ${String(expected)}`);
  }
}

/** Undefined means "no limit". */
export function resolveMaxCount(maxCount: number | undefined): number | undefined {
  if (maxCount === undefined) return undefined;
  if (!Number.isSafeInteger(maxCount) || maxCount < 0) {
    throw new RangeError(`maxCount must be a non-negative integer, got ${String(maxCount)}`);
  }
  return maxCount;
}

export const DEFAULT_SUBSCRIPTION_BATCH_SIZE = 500;

export function resolveBatchSize(batchSize: number | undefined): number {
  if (batchSize === undefined) return DEFAULT_SUBSCRIPTION_BATCH_SIZE;
  if (!Number.isSafeInteger(batchSize) || batchSize < 1) {
    throw new RangeError(`batchSize must be a positive integer, got ${String(batchSize)}`);
  }
  return batchSize;
}
