import { Body, Controller, Get, HttpCode, Inject, Param, Post, Query, Res } from '@nestjs/common';
import { causedByRequest, RequestId } from '../http/request-id';
import { CommandBus } from '@nestjs/cqrs';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { AgentError, admin, agent, supervisor } from '@lib/domain';
import { Allow, CurrentPrincipal } from '../auth/auth.decorators';
import { ConversationAccess } from '../auth/conversation-access';
import type { Principal } from '@lib/platform';
import { AgentLedger, CLOCK, HandleAgentCommand, QueueDirectory, type AgentCommandResult, type Clock } from '@lib/conversation-lifecycle';
import { WorkDistributionQueries } from '@lib/read-models';
import { EntityIdPipe } from '../http/entity-id.pipe';
import { PageQueryDto } from '../views/views.dto';
import { ReadYourWrites, badParametersAsRequestErrors } from '../views/read-your-writes';
import { agentAnswer, type AgentAnswer } from './agent-answer';
import { PresenceDto, RegisterAgentDto } from './agents.dto';
import { AgentDto, CapacityBoardPageDto } from './agents.responses';
import {
  AGENT_COMMAND,
  ANY_ROUTE,
  ApiAnswer,
  ApiErrors,
  AUTHENTICATED,
  CHECKED_INPUT,
  EVENT_LOG,
  JSON_BODY,
  READ_YOUR_WRITES,
} from '../http/api-responses';

@ApiTags('agents')
@Controller('api/agents')
export class AgentsController {
  constructor(
    private readonly commandBus: CommandBus,
    private readonly ledger: AgentLedger,
    private readonly queues: QueueDirectory,
    private readonly board: WorkDistributionQueries,
    private readonly readYourWrites: ReadYourWrites,
    private readonly access: ConversationAccess,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  @Post()
  @Allow('RegisterAgent')
  @ApiOperation({ summary: 'Register an agent (capacity, queues, optional presence), or update a registered one' })
  @ApiAnswer(201, AgentDto, 'Registered', ['Location'])
  @ApiAnswer(200, AgentDto, 'Already registered: updated (or unchanged)')
  @ApiErrors(ANY_ROUTE, AUTHENTICATED, JSON_BODY, EVENT_LOG, ...AGENT_COMMAND, { 404: ['QUEUE.NOT_FOUND'] })
  async register(
    @CurrentPrincipal() p: Principal,
    @Body() body: RegisterAgentDto,
    @Res({ passthrough: true }) reply: FastifyReply,
    @RequestId() requestId: string,
  ): Promise<AgentAnswer> {
    for (const queueId of body.queueIds) await this.queues.requireExisting(queueId, 'queueIds');
    const result = await this.run(
      body.id,
      {
        type: 'RegisterAgent',
        data: { agentId: body.id, capacity: body.capacity, queueIds: body.queueIds, presence: body.presence, by: admin(p.id) },
        metadata: { now: this.now() },
      },
      requestId,
    );
    const created = result.events.some((event) => event.type === 'AgentRegistered');
    void reply.status(created ? 201 : 200);
    if (created) reply.header('Location', `/api/agents/${body.id}`);
    return this.answer(body.id, result);
  }

  @Get()
  @Allow('CapacityBoard')
  @ApiOperation({ summary: 'The capacity board: every agent with presence, capacity used, blocked by wrap-up, and free' })
  @ApiAnswer(200, CapacityBoardPageDto, 'A page of agents, by id')
  @ApiErrors(ANY_ROUTE, AUTHENTICATED, CHECKED_INPUT, READ_YOUR_WRITES, EVENT_LOG)
  async list(@Query() query: PageQueryDto) {
    await this.readYourWrites.awaitPosition(query.minPosition);
    return badParametersAsRequestErrors(() => this.board.capacityBoard(this.now(), query));
  }

  @Get(':id')
  @Allow('GetAgent')
  @ApiOperation({ summary: 'One agent as its stream says now: presence, queues, capacity and what holds it' })
  @ApiAnswer(200, AgentDto, 'The agent')
  @ApiErrors(ANY_ROUTE, AUTHENTICATED, CHECKED_INPUT, EVENT_LOG, { 404: ['AGENT.NOT_FOUND'] })
  async get(@CurrentPrincipal() p: Principal, @Param('id', EntityIdPipe) agentId: string): Promise<AgentAnswer> {
    this.access.self(p, 'GetAgent', agentId);
    return this.answer(agentId, { ...(await this.ledger.load(agentId)), events: [] });
  }

  @Post(':id/presence')
  @Allow('ChangePresence')
  @HttpCode(200)
  @ApiOperation({ summary: "Set the agent's presence (available, busy, busy_dnd, away, offline): the agent itself, or a supervisor" })
  @ApiAnswer(200, AgentDto, 'The agent with its new presence')
  @ApiErrors(ANY_ROUTE, AUTHENTICATED, JSON_BODY, CHECKED_INPUT, EVENT_LOG, ...AGENT_COMMAND)
  async presence(
    @CurrentPrincipal() p: Principal,
    @Param('id', EntityIdPipe) agentId: string,
    @Body() body: PresenceDto,
    @RequestId() requestId: string,
  ): Promise<AgentAnswer> {
    // The agent itself when it is the one named; otherwise a supervisor, recorded as such.
    const role = p.roles.includes('agent') && agentId === p.id ? 'agent' : this.access.self(p, 'ChangePresence', agentId);
    const by = role === 'agent' ? agent(p.id) : supervisor(p.id);
    const result = await this.run(
      agentId,
      {
        type: 'ChangePresence',
        data: { presence: body.presence, by },
        metadata: { now: this.now() },
      },
      requestId,
    );
    return this.answer(agentId, result);
  }

  private run(agentId: string, command: HandleAgentCommand['command'], requestId: string): Promise<AgentCommandResult> {
    return this.commandBus.execute<HandleAgentCommand, AgentCommandResult>(
      new HandleAgentCommand(agentId, command, causedByRequest(requestId)),
    );
  }

  private answer(agentId: string, result: AgentCommandResult): AgentAnswer {
    if (result.state.status !== 'registered') {
      throw new AgentError('AGENT.NOT_FOUND', `Agent ${agentId} is not registered; register it with POST /api/agents first`, agentId);
    }
    return agentAnswer(result.state, this.now(), result.revision, result.position);
  }

  private now(): string {
    return this.clock.now().toISOString();
  }
}
