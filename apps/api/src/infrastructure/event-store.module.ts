import { Inject, Module, type DynamicModule, type OnApplicationShutdown } from '@nestjs/common';
import { join } from 'node:path';
import { EVENT_STORE, InMemoryEventStore, SqliteEventStore, type EventStore } from '@lib/event-store';
import { EventStoreDbEventStore } from '@lib/event-store/eventstoredb';
import { EVENTS_FILE, loadOperatorCorrections, withEventCorrections, type AppConfig } from '@lib/platform';
import { MeasuredEventStore } from '../metrics/measured-event-store';
import { ServiceMetrics } from '../metrics/service-metrics';

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
          inject: [ServiceMetrics],
          useFactory: async (metrics: ServiceMetrics) => {
            // Read before the store opens: a bad corrections file stops the start, naming the variable.
            const corrections = loadOperatorCorrections(config.eventCorrectionsFile);
            const store = withEventCorrections(override ?? (await EventStoreModule.open(config)), corrections);
            return new MeasuredEventStore(store, metrics);
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
