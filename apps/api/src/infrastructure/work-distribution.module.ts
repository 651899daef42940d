import { Inject, Logger, Module, type DynamicModule, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import {
  AgentLedger,
  CAPACITY_COORDINATOR,
  CLOCK,
  CapacityCoordinator,
  CapacityReconciler,
  PushRouter,
  PushRoutingProcessManager,
  QueueDirectory,
  LIFECYCLE_OBSERVER,
  conversationLoader,
  type Clock,
  type LifecycleObserver,
} from '@lib/conversation-lifecycle';
import { EVENT_STORE, type EventStore } from '@lib/event-store';
import { WorkDistributionQueries, type ProjectorHost, type ReadModelDatabase } from '@lib/read-models';
import type { AppConfig } from '@lib/platform';
import { APP_CONFIG } from '../config/app-config';
import { PROJECTOR, READ_MODEL_DATABASE } from './read-models.module';

/**
 * Agents, queues and capacity: the agent ledger and queue directory the command handlers use,
 * the coordinator that keeps capacity in step with conversations across the two streams, the
 * reconciler that repairs what a crash left half done, and the push router.
 */
@Module({})
export class WorkDistributionModule implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('WorkDistribution');

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly reconciler: CapacityReconciler,
    private readonly routing: PushRoutingProcessManager,
  ) {}

  static forRoot(): DynamicModule {
    return {
      module: WorkDistributionModule,
      global: true,
      providers: [
        {
          provide: AgentLedger,
          inject: [EVENT_STORE, APP_CONFIG, LIFECYCLE_OBSERVER],
          useFactory: (store: EventStore, config: AppConfig, observer: LifecycleObserver) =>
            new AgentLedger(store, config.capacityPolicy, undefined, undefined, observer),
        },
        {
          provide: QueueDirectory,
          inject: [EVENT_STORE, LIFECYCLE_OBSERVER],
          useFactory: (store: EventStore, observer: LifecycleObserver) => new QueueDirectory(store, undefined, observer),
        },
        {
          provide: CAPACITY_COORDINATOR,
          inject: [AgentLedger],
          useFactory: (ledger: AgentLedger) => {
            const logger = new Logger('Capacity');
            return new CapacityCoordinator(ledger, { warn: (m) => logger.warn(m) });
          },
        },
        {
          provide: WorkDistributionQueries,
          inject: [READ_MODEL_DATABASE],
          useFactory: (database: ReadModelDatabase) => new WorkDistributionQueries(database),
        },
        {
          provide: CapacityReconciler,
          inject: [AgentLedger, WorkDistributionQueries, EVENT_STORE, CLOCK, APP_CONFIG, LIFECYCLE_OBSERVER],
          useFactory: (
            ledger: AgentLedger,
            views: WorkDistributionQueries,
            store: EventStore,
            clock: Clock,
            config: AppConfig,
            observer: LifecycleObserver,
          ) => {
            const logger = new Logger('CapacityReconciler');
            return new CapacityReconciler(
              ledger,
              () => views.agentsWithClaims(),
              conversationLoader(store),
              clock,
              { intervalMs: config.capacityReconcileIntervalMs, orphanAfterMs: config.orphanReservationGraceMs },
              { warn: (m) => logger.warn(m) },
              observer,
            );
          },
        },
        {
          provide: PushRouter,
          inject: [CommandBus, WorkDistributionQueries, CLOCK, APP_CONFIG, EVENT_STORE, LIFECYCLE_OBSERVER],
          useFactory: (
            commandBus: CommandBus,
            views: WorkDistributionQueries,
            clock: Clock,
            config: AppConfig,
            store: EventStore,
            observer: LifecycleObserver,
          ) => {
            const logger = new Logger('Routing');
            return new PushRouter(
              commandBus,
              views,
              clock,
              config.capacityPolicy,
              conversationLoader(store),
              { warn: (m) => logger.warn(m), debug: (m) => logger.debug(m) },
              undefined,
              observer,
            );
          },
        },
        {
          provide: PushRoutingProcessManager,
          inject: [EVENT_STORE, PushRouter, PROJECTOR, APP_CONFIG],
          useFactory: (store: EventStore, router: PushRouter, projector: ProjectorHost, config: AppConfig) =>
            new PushRoutingProcessManager(store, router, (position, timeoutMs) => projector.waitForPosition(position, timeoutMs), {
              intervalMs: config.routingIntervalMs,
              viewsWaitMs: config.readYourWritesTimeoutMs,
            }),
        },
      ],
      exports: [
        AgentLedger,
        QueueDirectory,
        CAPACITY_COORDINATOR,
        WorkDistributionQueries,
        CapacityReconciler,
        PushRouter,
        PushRoutingProcessManager,
      ],
    };
  }

  async onApplicationBootstrap(): Promise<void> {
    this.reconciler.start();
    // A pass at start settles what a crash of the previous run left half done.
    void this.reconciler.runOnce().catch((error: unknown) => this.logger.warn(`Reconciliation at start failed: ${String(error)}`));
    if (this.config.routing === 'on') await this.routing.start();
  }

  /** Before the projector, the store and the read-model database close (their hooks run later). */
  async onModuleDestroy(): Promise<void> {
    await this.routing.stop();
    await this.reconciler.stop();
  }
}
