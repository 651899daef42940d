import { Body, Controller, Get, Headers, HttpCode, Inject, Param, Post, Query, Res, applyDecorators } from '@nestjs/common';
import { CommandBus, QueryBus } from '@nestjs/cqrs';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { randomUUID } from 'node:crypto';
import { ConversationError, runningTimers, timerDueAt, type ConversationCommand, type ConversationTimerKind } from '@lib/domain';
import {
  CLOCK,
  deterministicUuid,
  GetConversationHistoryQuery,
  GetConversationQuery,
  HandleConversationCommand,
  type Clock,
  type ConversationCommandResult,
  type CommandPrincipal,
  type ConversationView,
  type HistoryEntry,
} from '@lib/conversation-lifecycle';
import { Allow, CurrentPrincipal } from '../auth/auth.decorators';
import { forbidden } from '../auth/auth.errors';
import { ConversationAccess } from '../auth/conversation-access';
import { relationFor, type ApiAction } from '../auth/permissions';
import type { AppConfig, Principal } from '@lib/platform';
import { APP_CONFIG } from '../config/app-config';
import {
  ANY_ROUTE,
  ApiAnswer,
  ApiCommandHeaders,
  ApiErrors,
  AUTHENTICATED,
  CHECKED_INPUT,
  CONVERSATION_COMMAND,
  EVENT_LOG,
  JSON_BODY,
} from '../http/api-responses';
import { commandIdFrom, etagOf, expectedRevisionFrom } from '../http/command-headers';
import { EntityIdPipe } from '../http/entity-id.pipe';
import { RequestValidationError } from '../http/request-validation.error';
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
import { CommandAnswerDto, ConversationHistoryDto, ConversationViewDto } from './conversations.responses';

type CommandHeaders = { 'idempotency-key'?: string; 'if-match'?: string };

/** What a command answers: where the conversation stands now. The revision is also the ETag. */
export interface CommandAnswer {
  id: string;
  status: ConversationCommandResult['status'];
  revision: number;
  position: number;
}

/** A command's documented answers: where the conversation stands now (201 with Location for open), and every refusal. */
const CommandAnswers = (status: 200 | 201 = 200) =>
  applyDecorators(
    ApiCommandHeaders(),
    ApiAnswer(status, CommandAnswerDto, 'Where the conversation stands now; ETag is its revision', [
      ...(status === 201 ? ['Location' as const] : []),
      'ETag',
      'Idempotent-Replayed?',
    ]),
    ApiErrors(ANY_ROUTE, AUTHENTICATED, JSON_BODY, CHECKED_INPUT, EVENT_LOG, ...CONVERSATION_COMMAND),
  );

/** A read of one conversation: unknown (404), or an agent not involved in it (403). */
const READ_ERRORS = [ANY_ROUTE, AUTHENTICATED, CHECKED_INPUT, EVENT_LOG, { 404: ['CONVERSATION.NOT_FOUND'] }];

@ApiTags('conversations')
@Controller('api/conversations')
export class ConversationsController {
  constructor(
    private readonly commandBus: CommandBus,
    private readonly queryBus: QueryBus,
    private readonly access: ConversationAccess,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  @Post()
  @Allow('OpenConversation')
  @HttpCode(201)
  @ApiOperation({ summary: 'Open a conversation in a queue' })
  @CommandAnswers(201)
  async open(
    @CurrentPrincipal() p: Principal,
    @Body() body: OpenConversationDto,
    @Headers() headers: CommandHeaders,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    // With an Idempotency-Key and no id, the id derives from the key, so a retried open finds its conversation.
    const key = headers['idempotency-key'];
    const id = body.id ?? (key === undefined ? randomUUID() : deterministicUuid('conversation', commandIdFrom(key)));
    const acting = this.access.as(p, 'OpenConversation', 'channel');
    const answer = await this.send(id, headers, reply, acting.principal, {
      type: 'OpenConversation',
      data: { conversationId: id, channel: body.channel, queueId: body.queueId, customerId: body.customerId, priority: body.priority ?? 0 },
      metadata: this.now(),
    });
    reply.header('Location', `/api/conversations/${id}`);
    return answer;
  }

  @Post(':id/pick')
  @Allow('PickConversation')
  @HttpCode(200)
  @ApiOperation({ summary: 'The agent takes it from the queue' })
  @CommandAnswers()
  pick(
    @CurrentPrincipal() p: Principal,
    @Param('id', EntityIdPipe) id: string,
    @Body() body: AgentActionDto,
    @Headers() h: CommandHeaders,
    @Res({ passthrough: true }) r: FastifyReply,
  ) {
    const agentId = this.access.ownAgentId(p, 'PickConversation', body.agentId);
    return this.send(id, h, r, { id: agentId, role: 'agent' }, { type: 'PickConversation', data: { agentId }, metadata: this.now() });
  }

  @Post(':id/assign')
  @Allow('AssignConversation')
  @HttpCode(200)
  @ApiOperation({ summary: 'Push it to an agent (routing or supervisor); force skips acceptance and capacity' })
  @CommandAnswers()
  assign(
    @CurrentPrincipal() p: Principal,
    @Param('id', EntityIdPipe) id: string,
    @Body() body: AssignDto,
    @Headers() h: CommandHeaders,
    @Res({ passthrough: true }) r: FastifyReply,
  ) {
    const acting = this.access.as(p, 'AssignConversation', 'supervisor');
    this.access.ownSupervisorId(p, 'AssignConversation', body.supervisorId);
    return this.send(id, h, r, acting.principal, {
      type: 'AssignConversation',
      data: { agentId: body.agentId, force: body.force ?? false, by: acting.actor },
      metadata: this.now(),
    });
  }

  @Post(':id/accept')
  @Allow('AcceptAssignment')
  @HttpCode(200)
  @ApiOperation({ summary: 'The agent accepts a push' })
  @CommandAnswers()
  accept(
    @CurrentPrincipal() p: Principal,
    @Param('id', EntityIdPipe) id: string,
    @Body() body: AgentActionDto,
    @Headers() h: CommandHeaders,
    @Res({ passthrough: true }) r: FastifyReply,
  ) {
    const agentId = this.access.ownAgentId(p, 'AcceptAssignment', body.agentId);
    return this.send(id, h, r, { id: agentId, role: 'agent' }, { type: 'AcceptAssignment', data: { agentId }, metadata: this.now() });
  }

  @Post(':id/reject')
  @Allow('RejectAssignment')
  @HttpCode(200)
  @ApiOperation({ summary: 'The agent declines a push; it goes back to its queue' })
  @CommandAnswers()
  reject(
    @CurrentPrincipal() p: Principal,
    @Param('id', EntityIdPipe) id: string,
    @Body() body: RejectDto,
    @Headers() h: CommandHeaders,
    @Res({ passthrough: true }) r: FastifyReply,
  ) {
    const agentId = this.access.ownAgentId(p, 'RejectAssignment', body.agentId);
    return this.send(
      id,
      h,
      r,
      { id: agentId, role: 'agent' },
      { type: 'RejectAssignment', data: { agentId, reason: body.reason }, metadata: this.now() },
    );
  }

  @Post(':id/end')
  @Allow('EndConversation')
  @HttpCode(200)
  @ApiOperation({ summary: 'End button, by the agent or (live chat) the customer' })
  @CommandAnswers()
  end(
    @CurrentPrincipal() p: Principal,
    @Param('id', EntityIdPipe) id: string,
    @Body() body: EndDto,
    @Headers() h: CommandHeaders,
    @Res({ passthrough: true }) r: FastifyReply,
  ) {
    if (body.by === 'customer') {
      const acting = this.access.as(p, 'EndConversation', 'channel');
      return this.send(id, h, r, acting.principal, { type: 'EndConversation', data: { by: 'customer' }, metadata: this.now() });
    }
    const agentId = this.access.ownAgentId(p, 'EndConversation', body.agentId);
    return this.send(
      id,
      h,
      r,
      { id: agentId, role: 'agent' },
      { type: 'EndConversation', data: { by: 'agent', agentId }, metadata: this.now() },
    );
  }

  @Post(':id/close-session')
  @Allow('CloseSession')
  @HttpCode(200)
  @ApiOperation({ summary: 'The agent closes the session (X)' })
  @CommandAnswers()
  closeSession(
    @CurrentPrincipal() p: Principal,
    @Param('id', EntityIdPipe) id: string,
    @Body() body: AgentActionDto,
    @Headers() h: CommandHeaders,
    @Res({ passthrough: true }) r: FastifyReply,
  ) {
    const agentId = this.access.ownAgentId(p, 'CloseSession', body.agentId);
    return this.send(id, h, r, { id: agentId, role: 'agent' }, { type: 'CloseSession', data: { agentId }, metadata: this.now() });
  }

  @Post(':id/release')
  @Allow('ReleaseConversation')
  @HttpCode(200)
  @ApiOperation({ summary: 'Back to its queue' })
  @CommandAnswers()
  release(
    @CurrentPrincipal() p: Principal,
    @Param('id', EntityIdPipe) id: string,
    @Body() body: AgentActionDto,
    @Headers() h: CommandHeaders,
    @Res({ passthrough: true }) r: FastifyReply,
  ) {
    const { agentId, principal, by } = this.holderOrSupervisor(p, 'ReleaseConversation', body.agentId);
    return this.send(id, h, r, principal, { type: 'ReleaseConversation', data: { agentId, ...by }, metadata: this.now() });
  }

  @Post(':id/transfer')
  @Allow('TransferConversation')
  @HttpCode(200)
  @ApiOperation({ summary: 'To another queue (toQueueId) or agent (toAgentId)' })
  @CommandAnswers()
  transfer(
    @CurrentPrincipal() p: Principal,
    @Param('id', EntityIdPipe) id: string,
    @Body() body: TransferDto,
    @Headers() h: CommandHeaders,
    @Res({ passthrough: true }) r: FastifyReply,
  ) {
    const { agentId, principal, by } = this.holderOrSupervisor(p, 'TransferConversation', body.agentId);
    const data =
      body.toQueueId !== undefined
        ? { agentId, toQueueId: body.toQueueId, ...by }
        : { agentId, toAgentId: body.toAgentId as string, ...by };
    return this.send(id, h, r, principal, { type: 'TransferConversation', data, metadata: this.now() });
  }

  @Post(':id/resolve')
  @Allow('ResolveRecord')
  @HttpCode(200)
  @ApiOperation({ summary: 'The record is resolved and its session closed' })
  @CommandAnswers()
  resolve(
    @CurrentPrincipal() p: Principal,
    @Param('id', EntityIdPipe) id: string,
    @Body() body: AgentActionDto,
    @Headers() h: CommandHeaders,
    @Res({ passthrough: true }) r: FastifyReply,
  ) {
    const agentId = this.access.ownAgentId(p, 'ResolveRecord', body.agentId);
    return this.send(id, h, r, { id: agentId, role: 'agent' }, { type: 'ResolveRecord', data: { agentId }, metadata: this.now() });
  }

  @Post(':id/revive')
  @Allow('ReviveConversation')
  @HttpCode(200)
  @ApiOperation({ summary: 'The agent revives a waiting conversation from My work items' })
  @CommandAnswers()
  revive(
    @CurrentPrincipal() p: Principal,
    @Param('id', EntityIdPipe) id: string,
    @Body() body: AgentActionDto,
    @Headers() h: CommandHeaders,
    @Res({ passthrough: true }) r: FastifyReply,
  ) {
    const agentId = this.access.ownAgentId(p, 'ReviveConversation', body.agentId);
    return this.send(id, h, r, { id: agentId, role: 'agent' }, { type: 'ReviveConversation', data: { agentId }, metadata: this.now() });
  }

  @Post(':id/agent-disconnect')
  @Allow('DisconnectAgent')
  @HttpCode(200)
  @ApiOperation({ summary: "The agent's connection dropped" })
  @CommandAnswers()
  agentDisconnect(
    @CurrentPrincipal() p: Principal,
    @Param('id', EntityIdPipe) id: string,
    @Body() body: AgentActionDto,
    @Headers() h: CommandHeaders,
    @Res({ passthrough: true }) r: FastifyReply,
  ) {
    const agentId = this.access.ownAgentId(p, 'DisconnectAgent', body.agentId);
    return this.send(id, h, r, { id: agentId, role: 'agent' }, { type: 'DisconnectAgent', data: { agentId }, metadata: this.now() });
  }

  @Post(':id/agent-reconnect')
  @Allow('ReconnectAgent')
  @HttpCode(200)
  @ApiOperation({ summary: 'The agent is back' })
  @CommandAnswers()
  agentReconnect(
    @CurrentPrincipal() p: Principal,
    @Param('id', EntityIdPipe) id: string,
    @Body() body: AgentActionDto,
    @Headers() h: CommandHeaders,
    @Res({ passthrough: true }) r: FastifyReply,
  ) {
    const agentId = this.access.ownAgentId(p, 'ReconnectAgent', body.agentId);
    return this.send(id, h, r, { id: agentId, role: 'agent' }, { type: 'ReconnectAgent', data: { agentId }, metadata: this.now() });
  }

  @Post(':id/customer-disconnect')
  @Allow('DisconnectCustomer')
  @HttpCode(200)
  @ApiOperation({ summary: "The live-chat customer's connection dropped" })
  @CommandAnswers()
  customerDisconnect(
    @CurrentPrincipal() p: Principal,
    @Param('id', EntityIdPipe) id: string,
    @Body() _body: EmptyDto,
    @Headers() h: CommandHeaders,
    @Res({ passthrough: true }) r: FastifyReply,
  ) {
    return this.send(id, h, r, this.access.as(p, 'DisconnectCustomer', 'channel').principal, {
      type: 'DisconnectCustomer',
      data: {},
      metadata: this.now(),
    });
  }

  @Post(':id/customer-reconnect')
  @Allow('ReconnectCustomer')
  @HttpCode(200)
  @ApiOperation({ summary: 'The live-chat customer is back' })
  @CommandAnswers()
  customerReconnect(
    @CurrentPrincipal() p: Principal,
    @Param('id', EntityIdPipe) id: string,
    @Body() _body: EmptyDto,
    @Headers() h: CommandHeaders,
    @Res({ passthrough: true }) r: FastifyReply,
  ) {
    return this.send(id, h, r, this.access.as(p, 'ReconnectCustomer', 'channel').principal, {
      type: 'ReconnectCustomer',
      data: {},
      metadata: this.now(),
    });
  }

  @Post(':id/messages')
  @Allow('RecordMessage')
  @HttpCode(200)
  @ApiOperation({ summary: 'A message from the customer or the agent (activity, unread counts, revive)' })
  @CommandAnswers()
  message(
    @CurrentPrincipal() p: Principal,
    @Param('id', EntityIdPipe) id: string,
    @Body() body: MessageDto,
    @Headers() h: CommandHeaders,
    @Res({ passthrough: true }) r: FastifyReply,
  ) {
    if (body.from === 'customer') {
      const acting = this.access.as(p, 'RecordMessage', 'channel');
      return this.send(id, h, r, acting.principal, { type: 'RecordMessage', data: { from: 'customer' }, metadata: this.now() });
    }
    const agentId = this.access.ownAgentId(p, 'RecordMessage', body.agentId);
    return this.send(
      id,
      h,
      r,
      { id: agentId, role: 'agent' },
      { type: 'RecordMessage', data: { from: 'agent', agentId }, metadata: this.now() },
    );
  }

  @Post(':id/consult')
  @Allow('StartConsult')
  @HttpCode(200)
  @ApiOperation({ summary: 'Another agent joins to help; state and capacity unchanged' })
  @CommandAnswers()
  consult(
    @CurrentPrincipal() p: Principal,
    @Param('id', EntityIdPipe) id: string,
    @Body() body: ConsultDto,
    @Headers() h: CommandHeaders,
    @Res({ passthrough: true }) r: FastifyReply,
  ) {
    const agentId = this.access.ownAgentId(p, 'StartConsult', body.agentId);
    return this.send(
      id,
      h,
      r,
      { id: agentId, role: 'agent' },
      { type: 'StartConsult', data: { agentId, consultantId: body.consultantId }, metadata: this.now() },
    );
  }

  @Post(':id/consult-end')
  @Allow('EndConsult')
  @HttpCode(200)
  @ApiOperation({ summary: 'The consulting agent leaves' })
  @CommandAnswers()
  consultEnd(
    @CurrentPrincipal() p: Principal,
    @Param('id', EntityIdPipe) id: string,
    @Body() body: ConsultEndDto,
    @Headers() h: CommandHeaders,
    @Res({ passthrough: true }) r: FastifyReply,
  ) {
    if (p.roles.includes('agent') && (body.consultantId === undefined || body.consultantId === p.id)) {
      const consultantId = this.access.ownAgentId(p, 'EndConsult', body.consultantId, 'consultantId');
      return this.send(id, h, r, { id: consultantId, role: 'agent' }, { type: 'EndConsult', data: { consultantId }, metadata: this.now() });
    }
    const acting = this.access.as(p, 'EndConsult', 'supervisor');
    if (body.consultantId === undefined) {
      throw new RequestValidationError([
        { field: 'consultantId', messages: ['a supervisor ending a consult names the consultant in consultantId'] },
      ]);
    }
    return this.send(id, h, r, acting.principal, {
      type: 'EndConsult',
      data: { consultantId: body.consultantId, by: acting.actor },
      metadata: this.now(),
    });
  }

  @Post(':id/monitor')
  @Allow('StartMonitoring')
  @HttpCode(200)
  @ApiOperation({ summary: 'A supervisor starts watching; state unchanged' })
  @CommandAnswers()
  monitor(
    @CurrentPrincipal() p: Principal,
    @Param('id', EntityIdPipe) id: string,
    @Body() body: MonitorDto,
    @Headers() h: CommandHeaders,
    @Res({ passthrough: true }) r: FastifyReply,
  ) {
    const supervisorId = this.access.ownSupervisorId(p, 'StartMonitoring', body.supervisorId);
    return this.send(
      id,
      h,
      r,
      { id: supervisorId, role: 'supervisor' },
      { type: 'StartMonitoring', data: { supervisorId }, metadata: this.now() },
    );
  }

  @Post(':id/close')
  @Allow('ForceClose')
  @HttpCode(200)
  @ApiOperation({ summary: 'Supervisor force close, with a reason' })
  @CommandAnswers()
  forceClose(
    @CurrentPrincipal() p: Principal,
    @Param('id', EntityIdPipe) id: string,
    @Body() body: ForceCloseDto,
    @Headers() h: CommandHeaders,
    @Res({ passthrough: true }) r: FastifyReply,
  ) {
    const supervisorId = this.access.ownSupervisorId(p, 'ForceClose', body.supervisorId);
    return this.send(
      id,
      h,
      r,
      { id: supervisorId, role: 'supervisor' },
      { type: 'ForceClose', data: { supervisorId, reason: body.reason }, metadata: this.now() },
    );
  }

  @Get(':id')
  @Allow('GetConversation')
  @ApiOperation({ summary: 'Current state, with the actions allowed now; with asOf, the state at that time' })
  @ApiAnswer(200, ConversationViewDto, 'The conversation now (ETag: its revision), or as of asOf (no ETag)', ['ETag?'])
  @ApiErrors(...READ_ERRORS)
  async get(
    @CurrentPrincipal() p: Principal,
    @Param('id', EntityIdPipe) id: string,
    @Query() query: AsOfQueryDto,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<ConversationView & { timers: Array<{ kind: ConversationTimerKind; since: string; dueAt?: string; remainingMs?: number }> }> {
    await this.access.mayReadConversation(p, 'GetConversation', id);
    const view = await this.queryBus.execute<GetConversationQuery, ConversationView>(new GetConversationQuery(id, query.asOf));
    // A past state is not the current representation: no ETag to pin commands to, no timers to count down.
    if (query.asOf !== undefined) return { ...view, timers: [] };
    reply.header('ETag', etagOf(view.revision));
    // The desk counts a push reservation down to its dueAt; the scheduler fires each timer then.
    // remainingMs is on the service's clock, so a browser whose clock is off still counts down right.
    const now = this.clock.now().getTime();
    const timers = runningTimers(view).map((timer) => {
      const dueAt = timerDueAt(timer, view.channel, this.config.timerPolicy);
      return {
        kind: timer.kind,
        since: timer.since,
        dueAt,
        remainingMs: dueAt === undefined ? undefined : Math.max(0, Date.parse(dueAt) - now),
      };
    });
    return { ...view, timers };
  }

  @Get(':id/history')
  @Allow('GetConversationHistory')
  @ApiOperation({ summary: 'The audit trail: every event with type, time, actor, reason, revision' })
  @ApiAnswer(200, ConversationHistoryDto, 'Every event of the conversation, oldest first')
  @ApiErrors(...READ_ERRORS)
  async history(@CurrentPrincipal() p: Principal, @Param('id', EntityIdPipe) id: string): Promise<{ id: string; events: HistoryEntry[] }> {
    await this.access.mayReadConversation(p, 'GetConversationHistory', id);
    const events = await this.queryBus.execute<GetConversationHistoryQuery, HistoryEntry[]>(new GetConversationHistoryQuery(id, true));
    return { id, events };
  }

  private now() {
    return { now: this.clock.now().toISOString() };
  }

  /**
   * Release and transfer: the holder itself, or a supervisor on the holder's behalf (the body
   * then names the holder in agentId, and the event records the supervisor as its actor).
   */
  private holderOrSupervisor(p: Principal, action: ApiAction, named: string | undefined) {
    if (p.roles.includes('agent') && (named === undefined || named === p.id || !p.roles.includes('supervisor'))) {
      const agentId = this.access.ownAgentId(p, action, named);
      return { agentId, principal: { id: agentId, role: 'agent' }, by: {} };
    }
    const acting = this.access.as(p, action, 'supervisor');
    if (named === undefined) {
      throw new RequestValidationError([
        { field: 'agentId', messages: ["a supervisor acting on an agent's behalf names the agent holding it in agentId"] },
      ]);
    }
    return { agentId: named, principal: acting.principal, by: { by: acting.actor } };
  }

  private async send(
    id: string,
    headers: CommandHeaders,
    reply: FastifyReply,
    principal: CommandPrincipal,
    command: ConversationCommand,
  ): Promise<CommandAnswer> {
    const envelope = new HandleConversationCommand(
      id,
      command,
      commandIdFrom(headers['idempotency-key']),
      expectedRevisionFrom(headers['if-match']),
      principal,
      { correlationId: reply.request.id },
    );
    let result: ConversationCommandResult;
    try {
      result = await this.commandBus.execute<HandleConversationCommand, ConversationCommandResult>(envelope);
    } catch (error) {
      // A refusal describes the conversation (its status, what is allowed now): an agent that may
      // not read the conversation learns none of it, only the relation it lacks.
      const caller = (reply.request as { principal?: Principal }).principal;
      if (caller && principal.role === 'agent' && error instanceof ConversationError && error.code !== 'CONVERSATION.NOT_FOUND') {
        const mayRead = await this.access.mayReadConversation(caller, 'GetConversation', id).then(
          () => true,
          () => false,
        );
        if (!mayRead) {
          const relation = relationFor(command.type as ApiAction, 'agent') ?? 'holder';
          throw forbidden(`${command.type} as agent needs the relation "${relation}" to conversation ${id}`, {
            action: command.type,
            relation,
            conversationId: id,
          });
        }
      }
      // An agent acting on a conversation it does not hold lacks the relation, not the right state.
      if (principal.role === 'agent' && error instanceof ConversationError && error.code === 'CONVERSATION.NOT_HELD_BY_AGENT') {
        throw forbidden(`${command.type} as agent needs the relation "holder": ${error.message}`, {
          ...error.details,
          action: command.type,
          relation: 'holder',
          conversationId: error.conversationId,
          status: error.status,
          allowedActions: error.allowedActions,
        });
      }
      // An agent ending a consult it is not on lacks the relation; it learns nothing more of the conversation.
      if (
        principal.role === 'agent' &&
        command.type === 'EndConsult' &&
        error instanceof ConversationError &&
        error.code === 'CONVERSATION.CONSULT_CONFLICT'
      ) {
        throw forbidden(
          `EndConsult as agent needs the relation "consultant": agent ${principal.id} is not consulting on this conversation`,
          {
            action: command.type,
            relation: 'consultant',
          },
        );
      }
      throw error;
    }
    reply.header('ETag', etagOf(result.revision));
    if (!result.applied) reply.header('Idempotent-Replayed', 'true');
    return { id, status: result.status, revision: result.revision, position: result.position };
  }
}
