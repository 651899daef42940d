import {
  Inject,
  Logger,
  Module,
  Optional,
  type BeforeApplicationShutdown,
  type DynamicModule,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { EVENT_STORE, type EventStore } from '@lib/event-store';
import {
  HttpWebhookSender,
  PLAIN_SECRETS,
  WakeSignal,
  WebhookAdministration,
  WebhookDispatcher,
  WebhookSubscriptions,
  encryptedSecrets,
  migrateEventFeed,
  type DeliverySettings,
} from '@lib/event-feed';
import { openReadModelDatabase, type ReadModelDatabase } from '@lib/read-models';
import { eventFeedDatabaseConfig, type AppConfig } from '@lib/platform';
import { APP_CONFIG } from '../config/app-config';
import { READ_MODEL_DATABASE } from '../infrastructure/read-models.module';
import { ServiceMetrics } from '../metrics/service-metrics';
import { ChangesController } from '../changes/changes.controller';
import { EventStreamController } from './event-stream.controller';
import { EventStreams } from './event-streams';
import { WebhooksController } from './webhooks.controller';

export const WEBHOOK_DISPATCHER = Symbol('WEBHOOK_DISPATCHER');
const EVENT_FEED_DATABASE = Symbol('EVENT_FEED_DATABASE');

/** The feed's database, and whether this module opened it (and so closes it). */
interface OwnedDatabase {
  database: ReadModelDatabase;
  owned: boolean;
}
/** Wall-clock epoch ms for the feed: signatures carry a timestamp receivers compare with their own clocks. */
export const FEED_CLOCK = Symbol('FEED_CLOCK');

const USER_AGENT = 'conversation-work-items-webhooks/1';

/** This instance's name on the leases it holds: host, process, and a nonce so a restarted process is a new owner. */
const leaseOwnerName = () => `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;

const deliverySettings = (config: AppConfig): DeliverySettings => ({
  timeoutMs: config.webhookTimeoutMs,
  retry: {
    firstDelayMs: config.webhookRetryFirstDelayMs,
    maxDelayMs: config.webhookRetryMaxDelayMs,
    retryWindowMs: config.webhookRetryWindowMs,
  },
  leaseMs: config.webhookLeaseMs,
  deliveryLogLimit: config.webhookDeliveryLogLimit,
  pageSize: 200,
});

/**
 * The outbound event feed: the webhook administration API, this instance's share of webhook
 * deliveries (WEBHOOKS=on), and the event stream.
 */
@Module({})
export class EventFeedModule implements OnApplicationBootstrap, BeforeApplicationShutdown, OnApplicationShutdown {
  constructor(
    @Optional() @Inject(WEBHOOK_DISPATCHER) private readonly dispatcher: WebhookDispatcher | null,
    private readonly streams: EventStreams,
    @Inject(EVENT_FEED_DATABASE) private readonly feedDatabase: OwnedDatabase,
    private readonly subscriptions: WebhookSubscriptions,
    private readonly metrics: ServiceMetrics,
    @Inject(EVENT_STORE) private readonly store: EventStore,
  ) {}

  static forRoot(feedClock: () => number = Date.now): DynamicModule {
    return {
      module: EventFeedModule,
      controllers: [WebhooksController, EventStreamController, ChangesController],
      providers: [
        { provide: FEED_CLOCK, useValue: feedClock },
        {
          provide: EVENT_FEED_DATABASE,
          inject: [APP_CONFIG, READ_MODEL_DATABASE],
          useFactory: async (config: AppConfig, readModels: ReadModelDatabase): Promise<OwnedDatabase> => {
            const where = eventFeedDatabaseConfig(config);
            const database = where === 'same' ? readModels : await openReadModelDatabase(where);
            await migrateEventFeed(database);
            return { database, owned: where !== 'same' };
          },
        },
        {
          provide: WebhookSubscriptions,
          inject: [APP_CONFIG, EVENT_FEED_DATABASE],
          useFactory: async (config: AppConfig, { database }: OwnedDatabase) => {
            const secrets = config.webhookSecretsKey ? encryptedSecrets(Buffer.from(config.webhookSecretsKey, 'base64')) : PLAIN_SECRETS;
            const subscriptions = new WebhookSubscriptions(database, secrets);
            // A key that cannot open the stored secrets stops the start here, naming WEBHOOK_SECRETS_KEY.
            const sealed = await subscriptions.sealStoredSecrets();
            if (sealed > 0) new Logger('Webhooks').log(`Sealed the signing secrets of ${sealed} subscriptions with WEBHOOK_SECRETS_KEY`);
            return subscriptions;
          },
        },
        {
          provide: WEBHOOK_DISPATCHER,
          inject: [APP_CONFIG, EVENT_STORE, WebhookSubscriptions, ServiceMetrics, FEED_CLOCK],
          useFactory: (
            config: AppConfig,
            store: EventStore,
            subscriptions: WebhookSubscriptions,
            metrics: ServiceMetrics,
            now: () => number,
          ) => {
            if (config.webhooks === 'off') return null;
            const logger = new Logger('Webhooks');
            return new WebhookDispatcher({
              store,
              subscriptions,
              newSender: () => new HttpWebhookSender({ allowPrivateNetworks: config.webhookAllowPrivateNetworks, userAgent: USER_AGENT }),
              settings: deliverySettings(config),
              owner: leaseOwnerName(),
              now,
              random: Math.random,
              newEvents: new WakeSignal(),
              logger: { log: (m) => logger.log(m), warn: (m) => logger.warn(m), error: (m) => logger.error(m) },
              observer: metrics,
              userAgent: USER_AGENT,
            });
          },
        },
        {
          provide: WebhookAdministration,
          inject: [APP_CONFIG, EVENT_STORE, WebhookSubscriptions, WEBHOOK_DISPATCHER, FEED_CLOCK],
          useFactory: (
            config: AppConfig,
            store: EventStore,
            subscriptions: WebhookSubscriptions,
            dispatcher: WebhookDispatcher | null,
            now: () => number,
          ) =>
            new WebhookAdministration({
              subscriptions,
              store,
              sender: new HttpWebhookSender({ allowPrivateNetworks: config.webhookAllowPrivateNetworks, userAgent: USER_AGENT }),
              now,
              newId: randomUUID,
              allowPrivateNetworks: config.webhookAllowPrivateNetworks,
              timeoutMs: config.webhookTimeoutMs,
              defaultSecretOverlapMs: config.webhookSecretOverlapMs,
              userAgent: USER_AGENT,
              changed: (id) => dispatcher?.changed(id),
            }),
        },
        EventStreams,
      ],
      exports: [WebhookAdministration, EventStreams, WEBHOOK_DISPATCHER],
    };
  }

  async onApplicationBootstrap(): Promise<void> {
    this.metrics.watchWebhooks({ subscriptions: () => this.subscriptions.list(), headPosition: () => this.store.headPosition() });
    await this.dispatcher?.start();
  }

  /** Before the event store closes: deliverers and streams read from it. */
  async beforeApplicationShutdown(): Promise<void> {
    await this.streams.closeAll();
    await this.dispatcher?.stop();
  }

  async onApplicationShutdown(): Promise<void> {
    if (this.feedDatabase.owned) await this.feedDatabase.database.destroy();
  }
}
