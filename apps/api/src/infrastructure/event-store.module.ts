import { Inject, Module, type DynamicModule, type OnApplicationShutdown } from '@nestjs/common';
import { join } from 'node:path';
import { EVENT_STORE, InMemoryEventStore, SqliteEventStore, type EventStore } from '@lib/event-store';
import { EventStoreDbEventStore } from '@lib/event-store/eventstoredb';
import type { AppConfig } from '../config/app-config';
import { loadOperatorCorrections, withEventCorrections } from './event-corrections';

/** The event log's file in the data directory. */
export const EVENTS_FILE = 'events.sqlite';

/** Chooses the event store adapter from configuration and closes it on shutdown. */
@Module({})
export class EventStoreModule implements OnApplicationShutdown {
  constructor(@Inject(EVENT_STORE) private readonly store: EventStore) {}

  static forConfig(config: AppConfig, override?: EventStore): DynamicModule {
    return {
      module: EventStoreModule,
      global: true,
      providers: [
        {
          provide: EVENT_STORE,
          useFactory: async () => {
            // Read before the store opens: a bad corrections file stops the start, naming the variable.
            const corrections = loadOperatorCorrections(config.eventCorrectionsFile);
            return withEventCorrections(override ?? (await EventStoreModule.open(config)), corrections);
          },
        },
      ],
      exports: [EVENT_STORE],
    };
  }

  private static async open(config: AppConfig): Promise<EventStore> {
    switch (config.eventStore) {
      case 'sqlite':
        return new SqliteEventStore({ filename: join(config.dataDir, EVENTS_FILE) });
      case 'memory':
        return new InMemoryEventStore();
      case 'eventstoredb':
        // Probes the server before the service takes requests: a wrong address stops the start
        // with a message naming ESDB_CONNECTION_STRING. Later outages answer 503 until it is back.
        return EventStoreDbEventStore.connect(config.esdbConnectionString as string);
    }
  }

  async onApplicationShutdown(): Promise<void> {
    await this.store.close();
  }
}
