import { Controller, Get, Inject, Res } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { EVENT_STORE, type EventStore } from '@lib/event-store';
import { PushRoutingProcessManager, TimerScheduler } from '@lib/conversation-lifecycle';
import {
  AGENTS_AND_QUEUES_PROJECTION,
  CONVERSATION_TIMERS_PROJECTION,
  CONVERSATION_VIEWS_PROJECTION,
  pendingMigrations,
  type ProjectorHost,
  type ReadModelDatabase,
} from '@lib/read-models';
import { Public } from '../auth/auth.decorators';
import type { AppConfig } from '@lib/platform';
import { APP_CONFIG } from '../config/app-config';
import { PROJECTOR, READ_MODEL_DATABASE } from '../infrastructure/read-models.module';
import { ANY_ROUTE, ApiAnswer, ApiErrors } from '../http/api-responses';
import { Draining } from './draining';
import { HealthDto, LivenessDto, ReadinessDto } from './health.responses';

/**
 * The views each automatic process reads to decide: when one of them is stopped, the process
 * acts on a frozen picture (routing offers nothing new, timers miss what is due), so it is
 * reported failing too, naming the view.
 */
const VIEWS_READ_BY = {
  routing: [AGENTS_AND_QUEUES_PROJECTION, CONVERSATION_VIEWS_PROJECTION],
  timers: [CONVERSATION_TIMERS_PROJECTION],
} as const;

type ProcessCheck = { status: 'ok' | 'off' | 'failing' };

const withStoppedViews = <C extends ProcessCheck>(
  check: C,
  needed: readonly string[],
  stopped: ReadonlySet<string>,
): C | (C & { stoppedViews: string[]; reason: string }) => {
  const stoppedViews = needed.filter((name) => stopped.has(name));
  if (check.status === 'off' || stoppedViews.length === 0) return check;
  return { ...check, status: 'failing', stoppedViews, reason: `reads views that are stopped: ${stoppedViews.join(', ')}` };
};

const describe = (error: unknown): string => (error instanceof Error ? error.message : String(error));

@ApiTags('health')
@Public()
@ApiErrors(ANY_ROUTE)
@Controller('health')
export class HealthController {
  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(PROJECTOR) private readonly projector: ProjectorHost,
    private readonly timers: TimerScheduler,
    private readonly routing: PushRoutingProcessManager,
    @Inject(READ_MODEL_DATABASE) private readonly database: ReadModelDatabase,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly draining: Draining,
  ) {}

  @Get('live')
  @ApiOperation({ summary: 'Liveness: 200 whenever the process answers (restart it when it does not)' })
  @ApiAnswer(200, LivenessDto, 'The process answers')
  live() {
    return { status: 'ok' };
  }

  @Get('ready')
  @ApiOperation({
    summary:
      'Readiness: 200 when this instance should get traffic: the event store answers, the read-model database answers with every migration ' +
      "applied, and every view is within HEALTH_READY_MAX_LAG events of the log's head; 503 with the reasons otherwise, and from the " +
      'moment the process begins to stop (SIGTERM) while requests in flight finish.',
  })
  @ApiAnswer(200, ReadinessDto, 'Ready for traffic')
  @ApiAnswer(503, ReadinessDto, 'Not ready, with the reasons')
  async ready(@Res({ passthrough: true }) reply: FastifyReply) {
    const reasons: string[] = [];
    if (this.draining.active) reasons.push('shutting down: requests in flight are finishing');
    const head = await this.store.headPosition().catch((error: unknown) => {
      reasons.push(`event store unreachable: ${describe(error)}`);
      return undefined;
    });
    const pending = await pendingMigrations(this.database).catch((error: unknown) => {
      reasons.push(`read-model database unreachable: ${describe(error)}`);
      return [];
    });
    if (pending.length > 0) reasons.push(`read-model migrations not applied: ${pending.join(', ')}`);
    const maxLag = this.config.healthReadyMaxLag;
    for (const view of this.projector.status()) {
      if (view.failure !== undefined && !view.failure.transient) reasons.push(`view ${view.name} is stopped at position ${view.position}`);
      else if (head !== undefined && head - view.position > maxLag) {
        reasons.push(`view ${view.name} is ${head - view.position} events behind the log (at most ${maxLag})`);
      }
    }
    if (reasons.length > 0) reply.status(503);
    return reasons.length > 0 ? { status: 'not_ready', reasons } : { status: 'ready' };
  }

  @Get()
  @ApiOperation({
    summary:
      'Healthy (200) when the event store answers and every view is projecting; 503 with the reasons otherwise. ' +
      'The timer scheduler and the push router show their last pass; either is failing when its pass failed, or when a view it reads ' +
      '(routing: agents_and_queues, conversation_views; timers: conversation_timers) is stopped, named in stoppedViews.',
  })
  @ApiAnswer(200, HealthDto, 'Healthy')
  @ApiAnswer(503, HealthDto, 'Unhealthy: the checks say which part')
  async health(@Res({ passthrough: true }) reply: FastifyReply) {
    const eventStore = await this.store.headPosition().then(
      (headPosition) => ({ status: 'ok' as const, headPosition }),
      (error: unknown) => ({ status: 'down' as const, reason: error instanceof Error ? error.message : String(error) }),
    );
    const projections = this.projector.status().map((p) => ({
      name: p.name,
      status: p.healthy ? ('ok' as const) : ('failing' as const),
      position: p.position,
      ...(p.failure ? { failure: p.failure } : {}),
    }));
    // A transient failure (a database error being retried) is not a stop: the view resumes by itself.
    const stopped = new Set(projections.filter((p) => p.failure !== undefined && !p.failure.transient).map((p) => p.name));
    const healthy = eventStore.status === 'ok' && projections.every((p) => p.status === 'ok');
    if (!healthy) reply.status(503);
    return {
      status: healthy ? 'ok' : 'unhealthy',
      checks: {
        eventStore,
        projections,
        timers: withStoppedViews(this.timers.status(), VIEWS_READ_BY.timers, stopped),
        routing: withStoppedViews(this.routing.status(), VIEWS_READ_BY.routing, stopped),
      },
    };
  }
}
