import { Module, type DynamicModule } from '@nestjs/common';
import { CqrsModule } from '@nestjs/cqrs';
import { LoggerModule } from 'nestjs-pino';
import type { DestinationStream, Logger as PinoLogger } from 'pino';
import {
  CLOCK,
  COMMAND_RETRY,
  CONVERSATION_POLICY,
  ConversationLifecycleModule,
  DEFAULT_COMMAND_RETRY,
  LIFECYCLE_OBSERVER,
  systemClock,
  type Clock,
} from '@lib/conversation-lifecycle';
import type { EventStore } from '@lib/event-store';
import { AuthModule } from './auth/auth.module';
import type { SigningKey, AppConfig } from '@lib/platform';
import { APP_CONFIG } from './config/app-config';
import { ConversationsController } from './conversations/conversations.controller';
import { EventFeedModule } from './event-feed/event-feed.module';
import { Draining } from './health/draining';
import { HealthController } from './health/health.controller';
import { DeskConfigController } from './desk/desk-config.controller';
import { requestIdOf } from './http/request-id';
import { createRootLogger } from './logging/root-logger';
import { MetricsModule } from './metrics/metrics.module';
import { ServiceMetrics } from './metrics/service-metrics';
import { EventStoreModule } from './infrastructure/event-store.module';
import { ReadModelsModule } from './infrastructure/read-models.module';
import { TimersModule } from './infrastructure/timers.module';
import { WorkDistributionModule } from './infrastructure/work-distribution.module';
import { AgentsController } from './agents/agents.controller';
import { QueuesController } from './queues/queues.controller';
import { ReadYourWrites } from './views/read-your-writes';
import { ViewsController } from './views/views.controller';
import { StatsController } from './stats/stats.controller';
import { OngoingConversationsController } from './ongoing/ongoing-conversations.controller';

/** What tests may replace: the clock, the store, the embedded signing key, where logs go. */
export interface AppOverrides {
  clock?: Clock;
  eventStore?: EventStore;
  signingKey?: SigningKey;
  logDestination?: DestinationStream;
}

@Module({})
export class AppModule {
  static forRoot(
    config: AppConfig,
    overrides: AppOverrides = {},
    logger: PinoLogger = createRootLogger(config.logLevel, overrides.logDestination),
  ): DynamicModule {
    const shared = {
      module: class SharedProvidersModule {},
      global: true,
      providers: [
        { provide: APP_CONFIG, useValue: config },
        { provide: CLOCK, useValue: overrides.clock ?? systemClock },
        { provide: CONVERSATION_POLICY, useValue: { customerReviveWindowMs: config.customerReviveWindowMs } },
        { provide: COMMAND_RETRY, useValue: DEFAULT_COMMAND_RETRY },
        { provide: ServiceMetrics, inject: [CLOCK], useFactory: (clock: Clock) => new ServiceMetrics(() => clock.now()) },
        { provide: LIFECYCLE_OBSERVER, useExisting: ServiceMetrics },
      ],
      exports: [APP_CONFIG, CLOCK, CONVERSATION_POLICY, COMMAND_RETRY, ServiceMetrics, LIFECYCLE_OBSERVER],
    };
    return {
      module: AppModule,
      imports: [
        CqrsModule.forRoot(),
        // Nest's own and every provider's log lines, with the request id of the request they belong to.
        LoggerModule.forRoot({
          // No pino-http middleware: bindLogsToRequests (app.factory.ts) gives each request its logger, lazily.
          forRoutes: [],
          pinoHttp: {
            logger,
            autoLogging: false,
            quietReqLogger: true,
            genReqId: requestIdOf,
            customAttributeKeys: { reqId: 'requestId' },
          },
        }),
        shared,
        EventStoreModule.forConfig(config, overrides.eventStore),
        AuthModule.forConfig(config, overrides.signingKey),
        ConversationLifecycleModule,
        ReadModelsModule.forRoot(),
        WorkDistributionModule.forRoot(),
        TimersModule.forRoot(),
        MetricsModule,
        EventFeedModule.forRoot(),
      ],
      controllers: [
        ConversationsController,
        OngoingConversationsController,
        AgentsController,
        QueuesController,
        ViewsController,
        StatsController,
        HealthController,
        DeskConfigController,
      ],
      providers: [ReadYourWrites, Draining],
    };
  }
}
