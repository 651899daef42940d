import { join } from 'node:path';
import { InMemoryEventStore, SqliteEventStore, type EventStore } from '@lib/event-store';
import type { AppConfig } from '../config/app-config';
import { EVENTS_FILE } from './event-log-file';

export interface OpenEventStoreOptions {
  /**
   * SQLite: how often a background thread checkpoints the WAL (0: never, for a short-lived
   * command whose closing checkpoints anyway). The adapter's default otherwise.
   */
  sqliteCheckpointIntervalMs?: number;
}

/**
 * The event store the configuration names, opened as the service and the CLI both open it:
 * `DATA_DIR/events.sqlite`, EventStoreDB at `ESDB_CONNECTION_STRING` (probed: an unreachable
 * server fails here, naming the variable), or memory.
 */
export async function openEventStore(config: AppConfig, options: OpenEventStoreOptions = {}): Promise<EventStore> {
  switch (config.eventStore) {
    case 'sqlite':
      return new SqliteEventStore({
        filename: join(config.dataDir, EVENTS_FILE),
        ...(options.sqliteCheckpointIntervalMs !== undefined ? { checkpointIntervalMs: options.sqliteCheckpointIntervalMs } : {}),
      });
    case 'memory':
      return new InMemoryEventStore();
    case 'eventstoredb': {
      // Loaded only when named: the gRPC client is heavy, and most commands never need it.
      const { EventStoreDbEventStore } = await import('@lib/event-store/eventstoredb');
      return EventStoreDbEventStore.connect(config.esdbConnectionString as string);
    }
  }
}

/** Where the events are, for messages: the file, or the server. */
export const eventStoreLocation = (config: AppConfig): string =>
  config.eventStore === 'eventstoredb'
    ? `EventStoreDB at ${redactedConnectionString(config.esdbConnectionString as string)}`
    : config.eventStore === 'sqlite'
      ? join(config.dataDir, EVENTS_FILE)
      : 'memory';

/** A connection string without its user and password. */
const redactedConnectionString = (text: string): string => text.replace(/\/\/[^@/]+@/, '//***@');
