import { Controller, Get, Inject, Param, Query } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { CLOCK, type Clock } from '@lib/conversation-lifecycle';
import { ReadModelQueries } from '@lib/read-models';
import { Allow, CurrentPrincipal } from '../auth/auth.decorators';
import { ConversationAccess } from '../auth/conversation-access';
import type { Principal } from '@lib/platform';
import { EntityIdPipe } from '../http/entity-id.pipe';
import { AuditQueryDto, PageQueryDto } from './views.dto';
import { ReadYourWrites, badParametersAsRequestErrors } from './read-your-writes';
import { AuditPageDto, ClosedWorkItemPageDto, MyWorkItemPageDto, QueueWorkItemPageDto } from './views.responses';
import { ANY_ROUTE, ApiAnswer, ApiErrors, AUTHENTICATED, CHECKED_INPUT, EVENT_LOG, READ_YOUR_WRITES } from '../http/api-responses';

/** What a view can be refused for: the caller, its parameters, or a minPosition the views have not reached. */
const VIEW_ERRORS = [ANY_ROUTE, AUTHENTICATED, CHECKED_INPUT, READ_YOUR_WRITES, EVENT_LOG];

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
  @ApiAnswer(200, QueueWorkItemPageDto, "A page of the queue's open items")
  @ApiErrors(...VIEW_ERRORS)
  async queueWorkItems(@CurrentPrincipal() p: Principal, @Param('id', EntityIdPipe) queueId: string, @Query() query: PageQueryDto) {
    await this.access.servesQueue(p, 'QueueWorkItems', queueId);
    await this.readYourWrites.awaitPosition(query.minPosition);
    return badParametersAsRequestErrors(() => this.queries.queueWorkItems(queueId, query, this.now()));
  }

  @Get('agents/:id/work-items')
  @Allow('AgentWorkItems')
  @ApiOperation({ summary: "My work items: the agent's active, waiting and wrap-up conversations with unread counts" })
  @ApiAnswer(200, MyWorkItemPageDto, "A page of the agent's items, longest in their status first")
  @ApiErrors(...VIEW_ERRORS)
  async myWorkItems(@CurrentPrincipal() p: Principal, @Param('id', EntityIdPipe) agentId: string, @Query() query: PageQueryDto) {
    this.access.self(p, 'AgentWorkItems', agentId);
    await this.readYourWrites.awaitPosition(query.minPosition);
    return badParametersAsRequestErrors(() => this.queries.myWorkItems(agentId, query));
  }

  @Get('agents/:id/closed-work-items')
  @Allow('AgentClosedWorkItems')
  @ApiOperation({ summary: "Closed work items: the agent's conversations closed in the last 24 hours" })
  @ApiAnswer(200, ClosedWorkItemPageDto, 'A page of closed items, most recently closed first')
  @ApiErrors(...VIEW_ERRORS)
  async closedWorkItems(@CurrentPrincipal() p: Principal, @Param('id', EntityIdPipe) agentId: string, @Query() query: PageQueryDto) {
    this.access.self(p, 'AgentClosedWorkItems', agentId);
    await this.readYourWrites.awaitPosition(query.minPosition);
    return badParametersAsRequestErrors(() => this.queries.closedWorkItems(agentId, this.now(), query));
  }

  @Get('audit')
  @Allow('AuditIndex')
  @ApiOperation({ summary: 'Audit index: events by agent, conversation and time, oldest first, paged' })
  @ApiAnswer(200, AuditPageDto, 'A page of audit entries in log order')
  @ApiErrors(...VIEW_ERRORS)
  async audit(@Query() query: AuditQueryDto) {
    await this.readYourWrites.awaitPosition(query.minPosition);
    return badParametersAsRequestErrors(() => this.queries.audit(query));
  }

  private now(): string {
    return this.clock.now().toISOString();
  }
}
