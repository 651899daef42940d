import { Controller, Get, Inject, Res } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { EVENT_STORE, type EventStore } from '@lib/event-store';
import { PushRoutingProcessManager, TimerScheduler } from '@lib/conversation-lifecycle';
import {
  AGENTS_AND_QUEUES_PROJECTION,
  CONVERSATION_TIMERS_PROJECTION,
  CONVERSATION_VIEWS_PROJECTION,
  type ProjectorHost,
} from '@lib/read-models';
import { Public } from '../auth/auth.decorators';
import { PROJECTOR } from '../infrastructure/read-models.module';

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

const withStoppedViews = <C extends ProcessCheck>(check: C, needed: readonly string[], stopped: ReadonlySet<string>): C | (C & { stoppedViews: string[]; reason: string }) => {
  const stoppedViews = needed.filter((name) => stopped.has(name));
  if (check.status === 'off' || stoppedViews.length === 0) return check;
  return { ...check, status: 'failing', stoppedViews, reason: `reads views that are stopped: ${stoppedViews.join(', ')}` };
};

@ApiTags('health')
@Public()
@Controller('health')
export class HealthController {
  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(PROJECTOR) private readonly projector: ProjectorHost,
    private readonly timers: TimerScheduler,
    private readonly routing: PushRoutingProcessManager,
  ) {}

  @Get()
  @ApiOperation({
    summary:
      'Healthy (200) when the event store answers and every view is projecting; 503 with the reasons otherwise. ' +
      'The timer scheduler and the push router show their last pass; either is failing when its pass failed, or when a view it reads ' +
      '(routing: agents_and_queues, conversation_views; timers: conversation_timers) is stopped, named in stoppedViews.',
  })
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
