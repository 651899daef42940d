import { Controller, Get, Inject, Param, Query } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { CLOCK, type Clock } from '@lib/conversation-lifecycle';
import { ReadModelQueries } from '@lib/read-models';
import { Allow, CurrentPrincipal } from '../auth/auth.decorators';
import { ConversationAccess } from '../auth/conversation-access';
import type { Principal } from '../auth/principal';
import { EntityIdPipe } from '../http/entity-id.pipe';
import { AuditQueryDto, PageQueryDto } from './views.dto';
import { ReadYourWrites, badParametersAsRequestErrors } from './read-your-writes';

/** The views agents and supervisors live in, kept by the projector from the event log. */
@ApiTags('views')
@Controller('api')
export class ViewsController {
  constructor(
    private readonly queries: ReadModelQueries,
    private readonly readYourWrites: ReadYourWrites,
    private readonly access: ConversationAccess,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  @Get('queues/:id/work-items')
  @Allow('QueueWorkItems')
  @ApiOperation({ summary: "The queue's open items in routing order (priority, then longest waiting), with wait time" })
  async queueWorkItems(@CurrentPrincipal() p: Principal, @Param('id', EntityIdPipe) queueId: string, @Query() query: PageQueryDto) {
    await this.access.servesQueue(p, 'QueueWorkItems', queueId);
    await this.readYourWrites.awaitPosition(query.minPosition);
    return badParametersAsRequestErrors(() => this.queries.queueWorkItems(queueId, query, this.now()));
  }

  @Get('agents/:id/work-items')
  @Allow('AgentWorkItems')
  @ApiOperation({ summary: "My work items: the agent's active, waiting and wrap-up conversations with unread counts" })
  async myWorkItems(@CurrentPrincipal() p: Principal, @Param('id', EntityIdPipe) agentId: string, @Query() query: PageQueryDto) {
    this.access.self(p, 'AgentWorkItems', agentId);
    await this.readYourWrites.awaitPosition(query.minPosition);
    return badParametersAsRequestErrors(() => this.queries.myWorkItems(agentId, query));
  }

  @Get('agents/:id/closed-work-items')
  @Allow('AgentClosedWorkItems')
  @ApiOperation({ summary: "Closed work items: the agent's conversations closed in the last 24 hours" })
  async closedWorkItems(@CurrentPrincipal() p: Principal, @Param('id', EntityIdPipe) agentId: string, @Query() query: PageQueryDto) {
    this.access.self(p, 'AgentClosedWorkItems', agentId);
    await this.readYourWrites.awaitPosition(query.minPosition);
    return badParametersAsRequestErrors(() => this.queries.closedWorkItems(agentId, this.now(), query));
  }

  @Get('audit')
  @Allow('AuditIndex')
  @ApiOperation({ summary: 'Audit index: events by agent, conversation and time, oldest first, paged' })
  async audit(@Query() query: AuditQueryDto) {
    await this.readYourWrites.awaitPosition(query.minPosition);
    return badParametersAsRequestErrors(() => this.queries.audit(query));
  }

  private now(): string {
    return this.clock.now().toISOString();
  }
}
