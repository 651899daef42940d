import { Controller, Get, Inject, Res } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { EVENT_STORE, type EventStore } from '@lib/event-store';

@ApiTags('health')
@Controller('health')
export class HealthController {
  constructor(@Inject(EVENT_STORE) private readonly store: EventStore) {}

  @Get()
  @ApiOperation({ summary: 'Healthy (200) when the event store answers; 503 with the reason otherwise' })
  async health(@Res({ passthrough: true }) reply: FastifyReply) {
    try {
      const headPosition = await this.store.headPosition();
      return { status: 'ok', checks: { eventStore: { status: 'ok', headPosition } } };
    } catch (error) {
      reply.status(503);
      const reason = error instanceof Error ? error.message : String(error);
      return { status: 'unhealthy', checks: { eventStore: { status: 'down', reason } } };
    }
  }
}
