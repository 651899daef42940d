import {
  Inject,
  Logger,
  Module,
  type BeforeApplicationShutdown,
  type DynamicModule,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { join } from 'node:path';
import { CLOCK, type Clock } from '@lib/conversation-lifecycle';
import { EVENT_STORE, type EventStore } from '@lib/event-store';
import {
  CheckpointWatcher,
  NOT_PRUNING,
  Projector,
  ReadModelQueries,
  LiveKpiQueries,
  createReadModelProjections,
  migrateToLatest,
  openReadModelDatabase,
  pruneOn,
  type ClosedWorkItemsPruner,
  type ProjectorHost,
  type ReadModelDatabase,
} from '@lib/read-models';
import { EVENTS_FILE, readModelDatabaseConfig, type AppConfig } from '@lib/platform';
import { APP_CONFIG } from '../config/app-config';
import { WorkerProjector } from './projector-worker/worker-projector';

export const READ_MODEL_DATABASE = Symbol('READ_MODEL_DATABASE');
/** What runs the projections: a thread of its own on the SQLite store, this thread on the memory store. */
export const PROJECTOR = Symbol('PROJECTOR');
export const CLOSED_WORK_ITEMS_PRUNER = Symbol('CLOSED_WORK_ITEMS_PRUNER');

/**
 * The views agents and supervisors read: migrated at start, kept by the projector from the
 * event log, and pruned (Closed work items older than 24 hours) on a timer.
 */
@Module({})
export class ReadModelsModule implements OnApplicationBootstrap, BeforeApplicationShutdown, OnApplicationShutdown {
  private readonly logger = new Logger('ReadModels');
  private pruneTimer?: NodeJS.Timeout;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(READ_MODEL_DATABASE) private readonly database: ReadModelDatabase,
    @Inject(PROJECTOR) private readonly projector: ProjectorHost,
    @Inject(CLOSED_WORK_ITEMS_PRUNER) private readonly pruner: ClosedWorkItemsPruner,
  ) {}

  static forRoot(): DynamicModule {
    return {
      module: ReadModelsModule,
      global: true,
      providers: [
        {
          provide: READ_MODEL_DATABASE,
          inject: [APP_CONFIG],
          useFactory: async (config: AppConfig) => {
            const database = await openReadModelDatabase(readModelDatabaseConfig(config));
            await migrateToLatest(database);
            return database;
          },
        },
        {
          provide: PROJECTOR,
          inject: [APP_CONFIG, EVENT_STORE, READ_MODEL_DATABASE],
          useFactory: (config: AppConfig, store: EventStore, database: ReadModelDatabase): ProjectorHost => {
            if (config.projector === 'off') {
              // Another instance keeps the views; this one reads them and watches their checkpoints.
              const names = createReadModelProjections().map((projection) => projection.name);
              return new CheckpointWatcher(database, names, config.projectorPollIntervalMs);
            }
            if (config.eventStore === 'sqlite') {
              // Its own thread and connections: projecting never takes the thread that answers requests.
              return new WorkerProjector({
                eventsFile: join(config.dataDir, EVENTS_FILE),
                readModels: readModelDatabaseConfig(config),
                pollIntervalMs: config.projectorPollIntervalMs,
                eventCorrectionsFile: config.eventCorrectionsFile,
                serviceLevelThresholdMs: config.serviceLevelThresholdMs,
              });
            }
            const logger = new Logger('Projector');
            return new Projector(store, database, createReadModelProjections({ serviceLevelThresholdMs: config.serviceLevelThresholdMs }), {
              // Under load one transaction per 20 ms instead of one per group commit: the views
              // cost a fraction of the CPU, and read-your-writes waits at most that much longer.
              liveBatchWindowMs: 20,
              logger: { log: (m: string) => logger.log(m), warn: (m: string) => logger.warn(m), error: (m: string) => logger.error(m) },
            });
          },
        },
        {
          provide: CLOSED_WORK_ITEMS_PRUNER,
          inject: [APP_CONFIG, READ_MODEL_DATABASE, PROJECTOR],
          // Deleting is writing: the views are pruned where they are written, so there is one writer.
          useFactory: (config: AppConfig, database: ReadModelDatabase, projector: ProjectorHost): ClosedWorkItemsPruner => {
            if (config.projector === 'off') return NOT_PRUNING;
            return projector instanceof WorkerProjector ? projector : pruneOn(database);
          },
        },
        {
          provide: ReadModelQueries,
          inject: [READ_MODEL_DATABASE],
          useFactory: (database: ReadModelDatabase) => new ReadModelQueries(database),
        },
        {
          provide: LiveKpiQueries,
          inject: [READ_MODEL_DATABASE],
          useFactory: (database: ReadModelDatabase) => new LiveKpiQueries(database),
        },
      ],
      exports: [READ_MODEL_DATABASE, PROJECTOR, ReadModelQueries, LiveKpiQueries],
    };
  }

  async onApplicationBootstrap(): Promise<void> {
    await this.projector.start();
    this.pruneTimer = setInterval(() => void this.prune(), this.config.closedWorkItemsPruneIntervalMs);
    this.pruneTimer.unref();
  }

  /** Before the event store closes: the projector reads from it. */
  async beforeApplicationShutdown(): Promise<void> {
    if (this.pruneTimer) clearInterval(this.pruneTimer);
    await this.projector.stop();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.database.destroy();
  }

  async prune(): Promise<number> {
    try {
      const removed = await this.pruner.prune(this.clock.now().toISOString());
      if (removed > 0) this.logger.log(`Pruned ${removed} closed work items older than 24 hours`);
      return removed;
    } catch (error) {
      this.logger.warn(`Pruning closed work items failed; next try in ${this.config.closedWorkItemsPruneIntervalMs} ms: ${String(error)}`);
      return 0;
    }
  }
}
