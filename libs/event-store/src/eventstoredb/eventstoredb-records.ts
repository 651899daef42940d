import type { AllStreamResolvedEvent, Position, ResolvedEvent } from '@eventstore/db-client';
import type { RecordedEvent } from '../event-store.port';

/**
 * EventStoreDB hands out revisions and positions as bigint; the port promises plain numbers.
 * Commit positions are byte offsets in the log, so a number holds them up to 8 PiB of log.
 */
export function revisionNumber(value: bigint): number {
  const number = Number(value);
  if (!Number.isSafeInteger(number)) throw new RangeError(`EventStoreDB value ${value} does not fit a JavaScript number`);
  return number;
}

/** The port's position is the commit position; events written outside transactions have prepare = commit. */
export function positionPair(position: number): Position {
  return { commit: BigInt(position), prepare: BigInt(position) };
}

/** Streams whose names start with `$` are EventStoreDB's own (settings, scavenges, metadata, stats). */
export function isSystemStream(streamName: string): boolean {
  return streamName.startsWith('$');
}

/**
 * One event in the port's shape. The position comes from the event record; reading a stream
 * carries it from EventStoreDB 22.6 on (older servers send none, which is refused here rather
 * than guessed).
 */
export function toRecordedEvent(resolved: ResolvedEvent | AllStreamResolvedEvent): RecordedEvent | undefined {
  const event = resolved.event;
  if (!event) return undefined;
  const commit = event.position?.commit ?? ('commitPosition' in resolved ? resolved.commitPosition : undefined);
  if (commit === undefined) {
    throw new RangeError(
      `EventStoreDB sent event ${event.id} of ${event.streamId} without its log position; use EventStoreDB 22.6 or later`,
    );
  }
  const metadata = event.metadata;
  return {
    id: event.id,
    streamName: event.streamId,
    type: event.type,
    data: event.data as unknown,
    metadata: isPlainObject(metadata) ? metadata : {},
    revision: revisionNumber(event.revision),
    position: revisionNumber(commit),
  };
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Uint8Array);
}
