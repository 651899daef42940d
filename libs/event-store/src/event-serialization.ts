import type { NewEvent, RecordedEvent, StreamName } from './event-store.port';

/** An event as the local adapters keep it: data and metadata as JSON text, like EventStoreDB. */
export interface SerializedEvent {
  id: string;
  type: string;
  data: string;
  metadata: string;
}

/**
 * Serialising up front means a value JSON cannot hold (a bigint, a cycle) fails its own append
 * before it joins a batch, and readers never share objects with writers. `undefined` data (or
 * anything else JSON drops) is stored as null, which is what it reads back as from any JSON store.
 */
export function serializeEvent(event: NewEvent): SerializedEvent {
  return {
    id: event.id,
    type: event.type,
    data: JSON.stringify(event.data) ?? 'null',
    metadata: JSON.stringify(event.metadata ?? {}),
  };
}

export interface StoredEventText extends SerializedEvent {
  streamName: StreamName;
  revision: number;
  position: number;
}

export function deserializeEvent(stored: StoredEventText): RecordedEvent {
  return {
    id: stored.id,
    streamName: stored.streamName,
    type: stored.type,
    data: JSON.parse(stored.data) as unknown,
    metadata: JSON.parse(stored.metadata) as Record<string, unknown>,
    revision: stored.revision,
    position: stored.position,
  };
}
