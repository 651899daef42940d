import { Controller, Get, Inject, Res } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { EVENT_STORE, type EventStore } from '@lib/event-store';
import { PushRoutingProcessManager, TimerScheduler } from '@lib/conversation-lifecycle';
import type { ProjectorHost } from '@lib/read-models';
import { PROJECTOR } from '../infrastructure/read-models.module';

@ApiTags('health')
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
      'The timer scheduler and the push router are shown (their last pass) but do not decide health: a failing pass is retried, and a stuck projection shows among the projections.',
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
    const healthy = eventStore.status === 'ok' && projections.every((p) => p.status === 'ok');
    if (!healthy) reply.status(503);
    return { status: healthy ? 'ok' : 'unhealthy', checks: { eventStore, projections, timers: this.timers.status(), routing: this.routing.status() } };
  }
}
