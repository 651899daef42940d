import { Inject, Module, type DynamicModule, type OnApplicationShutdown } from '@nestjs/common';
import { EVENT_STORE, type EventStore } from '@lib/event-store';
import { loadOperatorCorrections, openEventStore, withEventCorrections, type AppConfig } from '@lib/platform';
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
            // Probes EventStoreDB before the service takes requests: a wrong address stops the start
            // with a message naming ESDB_CONNECTION_STRING. Later outages answer 503 until it is back.
            const store = withEventCorrections(override ?? (await openEventStore(config)), corrections);
            return new MeasuredEventStore(store, metrics);
          },
        },
      ],
      exports: [EVENT_STORE],
    };
  }

  async onApplicationShutdown(): Promise<void> {
    await this.store.close();
  }
}
