import { Body, Controller, Get, Headers, HttpCode, Inject, Param, Post, Query, Res } from '@nestjs/common';
import { CommandBus, QueryBus } from '@nestjs/cqrs';
import { ApiHeader, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { randomUUID } from 'node:crypto';
import { supervisor, system, type ConversationCommand } from '@lib/domain';
import {
  CLOCK,
  deterministicUuid,
  GetConversationHistoryQuery,
  GetConversationQuery,
  HandleConversationCommand,
  type Clock,
  type ConversationCommandResult,
  type ConversationView,
  type HistoryEntry,
} from '@lib/conversation-lifecycle';
import { commandIdFrom, etagOf, expectedRevisionFrom } from '../http/command-headers';
import { EntityIdPipe } from '../http/entity-id.pipe';
import {
  AgentActionDto,
  AsOfQueryDto,
  AssignDto,
  ConsultDto,
  ConsultEndDto,
  EmptyDto,
  EndDto,
  ForceCloseDto,
  MessageDto,
  MonitorDto,
  OpenConversationDto,
  RejectDto,
  TransferDto,
} from './conversations.dto';

type CommandHeaders = { 'idempotency-key'?: string; 'if-match'?: string };

/** What a command answers: where the conversation stands now. The revision is also the ETag. */
export interface CommandAnswer {
  id: string;
  status: ConversationCommandResult['status'];
  revision: number;
  position: number;
}

@ApiTags('conversations')
@ApiHeader({ name: 'Idempotency-Key', required: false, description: 'Repeat a command safely: the same key answers the same result' })
@ApiHeader({ name: 'If-Match', required: false, description: 'Pin the revision (ETag) you last saw; 412 if it moved' })
@Controller('api/conversations')
export class ConversationsController {
  constructor(
    private readonly commandBus: CommandBus,
    private readonly queryBus: QueryBus,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  @Post()
  @HttpCode(201)
  @ApiOperation({ summary: 'Open a conversation in a queue' })
  async open(@Body() body: OpenConversationDto, @Headers() headers: CommandHeaders, @Res({ passthrough: true }) reply: FastifyReply) {
    // With an Idempotency-Key and no id, the id derives from the key, so a retried open finds its conversation.
    const key = headers['idempotency-key'];
    const id = body.id ?? (key === undefined ? randomUUID() : deterministicUuid('conversation', commandIdFrom(key)));
    const answer = await this.send(id, headers, reply, {
      type: 'OpenConversation',
      data: { conversationId: id, channel: body.channel, queueId: body.queueId, customerId: body.customerId, priority: body.priority ?? 0 },
      metadata: this.now(),
    });
    reply.header('Location', `/api/conversations/${id}`);
    return answer;
  }

  @Post(':id/pick')
  @HttpCode(200)
  @ApiOperation({ summary: 'The agent takes it from the queue' })
  pick(@Param('id', EntityIdPipe) id: string, @Body() body: AgentActionDto, @Headers() h: CommandHeaders, @Res({ passthrough: true }) r: FastifyReply) {
    return this.send(id, h, r, { type: 'PickConversation', data: { agentId: body.agentId }, metadata: this.now() });
  }

  @Post(':id/assign')
  @HttpCode(200)
  @ApiOperation({ summary: 'Push it to an agent (routing or supervisor); force skips acceptance and capacity' })
  assign(@Param('id', EntityIdPipe) id: string, @Body() body: AssignDto, @Headers() h: CommandHeaders, @Res({ passthrough: true }) r: FastifyReply) {
    const by = body.supervisorId ? supervisor(body.supervisorId) : system('routing');
    return this.send(id, h, r, {
      type: 'AssignConversation',
      data: { agentId: body.agentId, force: body.force ?? false, by },
      metadata: this.now(),
    });
  }

  @Post(':id/accept')
  @HttpCode(200)
  @ApiOperation({ summary: 'The agent accepts a push' })
  accept(@Param('id', EntityIdPipe) id: string, @Body() body: AgentActionDto, @Headers() h: CommandHeaders, @Res({ passthrough: true }) r: FastifyReply) {
    return this.send(id, h, r, { type: 'AcceptAssignment', data: { agentId: body.agentId }, metadata: this.now() });
  }

  @Post(':id/reject')
  @HttpCode(200)
  @ApiOperation({ summary: 'The agent declines a push; it goes back to its queue' })
  reject(@Param('id', EntityIdPipe) id: string, @Body() body: RejectDto, @Headers() h: CommandHeaders, @Res({ passthrough: true }) r: FastifyReply) {
    return this.send(id, h, r, { type: 'RejectAssignment', data: { agentId: body.agentId, reason: body.reason }, metadata: this.now() });
  }

  @Post(':id/end')
  @HttpCode(200)
  @ApiOperation({ summary: 'End button, by the agent or (live chat) the customer' })
  end(@Param('id', EntityIdPipe) id: string, @Body() body: EndDto, @Headers() h: CommandHeaders, @Res({ passthrough: true }) r: FastifyReply) {
    const data = body.by === 'agent' ? { by: 'agent' as const, agentId: body.agentId as string } : { by: 'customer' as const };
    return this.send(id, h, r, { type: 'EndConversation', data, metadata: this.now() });
  }

  @Post(':id/close-session')
  @HttpCode(200)
  @ApiOperation({ summary: 'The agent closes the session (X)' })
  closeSession(@Param('id', EntityIdPipe) id: string, @Body() body: AgentActionDto, @Headers() h: CommandHeaders, @Res({ passthrough: true }) r: FastifyReply) {
    return this.send(id, h, r, { type: 'CloseSession', data: { agentId: body.agentId }, metadata: this.now() });
  }

  @Post(':id/release')
  @HttpCode(200)
  @ApiOperation({ summary: 'Back to its queue' })
  release(@Param('id', EntityIdPipe) id: string, @Body() body: AgentActionDto, @Headers() h: CommandHeaders, @Res({ passthrough: true }) r: FastifyReply) {
    return this.send(id, h, r, { type: 'ReleaseConversation', data: { agentId: body.agentId }, metadata: this.now() });
  }

  @Post(':id/transfer')
  @HttpCode(200)
  @ApiOperation({ summary: 'To another queue (toQueueId) or agent (toAgentId)' })
  transfer(@Param('id', EntityIdPipe) id: string, @Body() body: TransferDto, @Headers() h: CommandHeaders, @Res({ passthrough: true }) r: FastifyReply) {
    const data = body.toQueueId !== undefined
      ? { agentId: body.agentId, toQueueId: body.toQueueId }
      : { agentId: body.agentId, toAgentId: body.toAgentId as string };
    return this.send(id, h, r, { type: 'TransferConversation', data, metadata: this.now() });
  }

  @Post(':id/resolve')
  @HttpCode(200)
  @ApiOperation({ summary: 'The record is resolved and its session closed' })
  resolve(@Param('id', EntityIdPipe) id: string, @Body() body: AgentActionDto, @Headers() h: CommandHeaders, @Res({ passthrough: true }) r: FastifyReply) {
    return this.send(id, h, r, { type: 'ResolveRecord', data: { agentId: body.agentId }, metadata: this.now() });
  }

  @Post(':id/revive')
  @HttpCode(200)
  @ApiOperation({ summary: 'The agent revives a waiting conversation from My work items' })
  revive(@Param('id', EntityIdPipe) id: string, @Body() body: AgentActionDto, @Headers() h: CommandHeaders, @Res({ passthrough: true }) r: FastifyReply) {
    return this.send(id, h, r, { type: 'ReviveConversation', data: { agentId: body.agentId }, metadata: this.now() });
  }

  @Post(':id/agent-disconnect')
  @HttpCode(200)
  @ApiOperation({ summary: "The agent's connection dropped" })
  agentDisconnect(@Param('id', EntityIdPipe) id: string, @Body() body: AgentActionDto, @Headers() h: CommandHeaders, @Res({ passthrough: true }) r: FastifyReply) {
    return this.send(id, h, r, { type: 'DisconnectAgent', data: { agentId: body.agentId }, metadata: this.now() });
  }

  @Post(':id/agent-reconnect')
  @HttpCode(200)
  @ApiOperation({ summary: 'The agent is back' })
  agentReconnect(@Param('id', EntityIdPipe) id: string, @Body() body: AgentActionDto, @Headers() h: CommandHeaders, @Res({ passthrough: true }) r: FastifyReply) {
    return this.send(id, h, r, { type: 'ReconnectAgent', data: { agentId: body.agentId }, metadata: this.now() });
  }

  @Post(':id/customer-disconnect')
  @HttpCode(200)
  @ApiOperation({ summary: "The live-chat customer's connection dropped" })
  customerDisconnect(@Param('id', EntityIdPipe) id: string, @Body() _body: EmptyDto, @Headers() h: CommandHeaders, @Res({ passthrough: true }) r: FastifyReply) {
    return this.send(id, h, r, { type: 'DisconnectCustomer', data: {}, metadata: this.now() });
  }

  @Post(':id/customer-reconnect')
  @HttpCode(200)
  @ApiOperation({ summary: 'The live-chat customer is back' })
  customerReconnect(@Param('id', EntityIdPipe) id: string, @Body() _body: EmptyDto, @Headers() h: CommandHeaders, @Res({ passthrough: true }) r: FastifyReply) {
    return this.send(id, h, r, { type: 'ReconnectCustomer', data: {}, metadata: this.now() });
  }

  @Post(':id/messages')
  @HttpCode(200)
  @ApiOperation({ summary: 'A message from the customer or the agent (activity, unread counts, revive)' })
  message(@Param('id', EntityIdPipe) id: string, @Body() body: MessageDto, @Headers() h: CommandHeaders, @Res({ passthrough: true }) r: FastifyReply) {
    const data = body.from === 'agent' ? { from: 'agent' as const, agentId: body.agentId as string } : { from: 'customer' as const };
    return this.send(id, h, r, { type: 'RecordMessage', data, metadata: this.now() });
  }

  @Post(':id/consult')
  @HttpCode(200)
  @ApiOperation({ summary: 'Another agent joins to help; state and capacity unchanged' })
  consult(@Param('id', EntityIdPipe) id: string, @Body() body: ConsultDto, @Headers() h: CommandHeaders, @Res({ passthrough: true }) r: FastifyReply) {
    return this.send(id, h, r, { type: 'StartConsult', data: { agentId: body.agentId, consultantId: body.consultantId }, metadata: this.now() });
  }

  @Post(':id/consult-end')
  @HttpCode(200)
  @ApiOperation({ summary: 'The consulting agent leaves' })
  consultEnd(@Param('id', EntityIdPipe) id: string, @Body() body: ConsultEndDto, @Headers() h: CommandHeaders, @Res({ passthrough: true }) r: FastifyReply) {
    return this.send(id, h, r, { type: 'EndConsult', data: { consultantId: body.consultantId }, metadata: this.now() });
  }

  @Post(':id/monitor')
  @HttpCode(200)
  @ApiOperation({ summary: 'A supervisor starts watching; state unchanged' })
  monitor(@Param('id', EntityIdPipe) id: string, @Body() body: MonitorDto, @Headers() h: CommandHeaders, @Res({ passthrough: true }) r: FastifyReply) {
    return this.send(id, h, r, { type: 'StartMonitoring', data: { supervisorId: body.supervisorId }, metadata: this.now() });
  }

  @Post(':id/close')
  @HttpCode(200)
  @ApiOperation({ summary: 'Supervisor force close, with a reason' })
  forceClose(@Param('id', EntityIdPipe) id: string, @Body() body: ForceCloseDto, @Headers() h: CommandHeaders, @Res({ passthrough: true }) r: FastifyReply) {
    return this.send(id, h, r, { type: 'ForceClose', data: { supervisorId: body.supervisorId, reason: body.reason }, metadata: this.now() });
  }

  @Get(':id')
  @ApiOperation({ summary: 'Current state, with the actions allowed now; with asOf, the state at that time' })
  async get(
    @Param('id', EntityIdPipe) id: string,
    @Query() query: AsOfQueryDto,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<ConversationView> {
    const view = await this.queryBus.execute<GetConversationQuery, ConversationView>(new GetConversationQuery(id, query.asOf));
    // A past state is not the current representation: no ETag to pin commands to.
    if (query.asOf === undefined) reply.header('ETag', etagOf(view.revision));
    return view;
  }

  @Get(':id/history')
  @ApiOperation({ summary: 'The audit trail: every event with type, time, actor, reason, revision' })
  async history(@Param('id', EntityIdPipe) id: string): Promise<{ id: string; events: HistoryEntry[] }> {
    const events = await this.queryBus.execute<GetConversationHistoryQuery, HistoryEntry[]>(new GetConversationHistoryQuery(id));
    return { id, events };
  }

  private now() {
    return { now: this.clock.now().toISOString() };
  }

  private async send(id: string, headers: CommandHeaders, reply: FastifyReply, command: ConversationCommand): Promise<CommandAnswer> {
    const envelope = new HandleConversationCommand(
      id,
      command,
      commandIdFrom(headers['idempotency-key']),
      expectedRevisionFrom(headers['if-match']),
    );
    const result = await this.commandBus.execute<HandleConversationCommand, ConversationCommandResult>(envelope);
    reply.header('ETag', etagOf(result.revision));
    if (!result.applied) reply.header('Idempotent-Replayed', 'true');
    return { id, status: result.status, revision: result.revision, position: result.position };
  }
}
