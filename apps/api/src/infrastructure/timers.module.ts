import { Inject, Logger, Module, type DynamicModule, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import {
  CLOCK,
  DEFAULT_TIMER_SCHEDULE,
  LIFECYCLE_OBSERVER,
  TimerScheduler,
  type Clock,
  type LifecycleObserver,
} from '@lib/conversation-lifecycle';
import { TimerQueries, type ReadModelDatabase } from '@lib/read-models';
import type { AppConfig } from '@lib/platform';
import { APP_CONFIG } from '../config/app-config';
import { READ_MODEL_DATABASE } from './read-models.module';

/**
 * The timer process manager: reads due timers from the timer projection and sends their
 * expiries through the command bus. Runs on every instance with TIMERS=on; instances firing
 * the same timer append it once.
 */
@Module({})
export class TimersModule implements OnApplicationBootstrap, OnModuleDestroy {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly scheduler: TimerScheduler,
  ) {}

  static forRoot(): DynamicModule {
    return {
      module: TimersModule,
      providers: [
        {
          provide: TimerScheduler,
          inject: [CommandBus, CLOCK, APP_CONFIG, READ_MODEL_DATABASE, LIFECYCLE_OBSERVER],
          useFactory: (
            commandBus: CommandBus,
            clock: Clock,
            config: AppConfig,
            database: ReadModelDatabase,
            observer: LifecycleObserver,
          ) => {
            const logger = new Logger('Timers');
            return new TimerScheduler(
              commandBus,
              clock,
              config.timerPolicy,
              {
                ...DEFAULT_TIMER_SCHEDULE,
                pollIntervalMs: config.timerPollIntervalMs,
                autoCloseSweepIntervalMs: config.autoCloseSweepIntervalMs,
              },
              new TimerQueries(database),
              { log: (m) => logger.log(m), warn: (m) => logger.warn(m), debug: (m) => logger.debug(m) },
              observer,
            );
          },
        },
      ],
      exports: [TimerScheduler],
    };
  }

  onApplicationBootstrap(): void {
    if (this.config.timers === 'on') this.scheduler.start();
  }

  /** Before the projector, the store and the read-model database close (their hooks run later). */
  async onModuleDestroy(): Promise<void> {
    await this.scheduler.stop();
  }
}
