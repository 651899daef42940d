import { Body, Controller, Get, Inject, Param, Post, Query, Res } from '@nestjs/common';
import { causedByRequest, RequestId } from '../http/request-id';
import { CommandBus } from '@nestjs/cqrs';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { admin } from '@lib/domain';
import { Allow, CurrentPrincipal } from '../auth/auth.decorators';
import type { Principal } from '@lib/platform';
import {
  CLOCK,
  DefineQueueCommand,
  QueueDirectory,
  QueueNotFoundError,
  type Clock,
  type QueueDefinitionResult,
} from '@lib/conversation-lifecycle';
import { WorkDistributionQueries } from '@lib/read-models';
import { EntityIdPipe } from '../http/entity-id.pipe';
import { PageQueryDto } from '../views/views.dto';
import { ReadYourWrites, badParametersAsRequestErrors } from '../views/read-your-writes';
import { DefineQueueDto } from './queues.dto';
import { QueueDefinitionDto, QueueDto, QueuePageDto } from './queues.responses';
import {
  ANY_ROUTE,
  ApiAnswer,
  ApiErrors,
  AUTHENTICATED,
  CHECKED_INPUT,
  EVENT_LOG,
  JSON_BODY,
  QUEUE_COMMAND,
  READ_YOUR_WRITES,
} from '../http/api-responses';

@ApiTags('queues')
@Controller('api/queues')
export class QueuesController {
  constructor(
    private readonly commandBus: CommandBus,
    private readonly queues: QueueDirectory,
    private readonly views: WorkDistributionQueries,
    private readonly readYourWrites: ReadYourWrites,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  @Post()
  @Allow('DefineQueue')
  @ApiOperation({ summary: 'Create a queue (mode pick or push, priority, assignment method), or change its settings' })
  @ApiAnswer(201, QueueDefinitionDto, 'Created', ['Location'])
  @ApiAnswer(200, QueueDefinitionDto, 'Already defined: its settings changed (or were already these)')
  @ApiErrors(ANY_ROUTE, AUTHENTICATED, JSON_BODY, EVENT_LOG, ...QUEUE_COMMAND)
  async define(
    @CurrentPrincipal() p: Principal,
    @Body() body: DefineQueueDto,
    @Res({ passthrough: true }) reply: FastifyReply,
    @RequestId() requestId: string,
  ) {
    // A setting left out keeps its current value (its default for a new queue): changing the
    // priority alone must not turn a push queue into a pick queue.
    const current = await this.queues.get(body.id);
    const known = current.status === 'defined' ? current : undefined;
    const settings = {
      name: body.name ?? known?.name ?? body.id,
      mode: body.mode ?? known?.mode ?? 'pick',
      priority: body.priority ?? known?.priority ?? 0,
      method: body.method ?? known?.method ?? 'highest_free_capacity',
    };
    const result = await this.commandBus.execute<DefineQueueCommand, QueueDefinitionResult>(
      new DefineQueueCommand(body.id, settings, admin(p.id), this.clock.now().toISOString(), causedByRequest(requestId)),
    );
    void reply.status(result.created ? 201 : 200);
    if (result.created) reply.header('Location', `/api/queues/${body.id}`);
    const { status: _status, ...queue } = result.queue;
    return { ...queue, revision: result.revision, position: result.position };
  }

  @Get()
  @Allow('ListQueues')
  @ApiOperation({ summary: 'Queues with their settings, agents serving them and conversation counts per status' })
  @ApiAnswer(200, QueuePageDto, 'A page of queues, highest priority first')
  @ApiErrors(ANY_ROUTE, AUTHENTICATED, CHECKED_INPUT, READ_YOUR_WRITES, EVENT_LOG)
  async list(@Query() query: PageQueryDto) {
    await this.readYourWrites.awaitPosition(query.minPosition);
    return badParametersAsRequestErrors(() => this.views.queues(query));
  }

  @Get(':id')
  @Allow('GetQueue')
  @ApiOperation({ summary: "One queue's settings, as its stream says now" })
  @ApiAnswer(200, QueueDto, 'The queue')
  @ApiErrors(ANY_ROUTE, AUTHENTICATED, CHECKED_INPUT, EVENT_LOG, { 404: ['QUEUE.NOT_FOUND'] })
  async get(@Param('id', EntityIdPipe) queueId: string) {
    const queue = await this.queues.get(queueId);
    if (queue.status !== 'defined') throw new QueueNotFoundError(queueId, 'id');
    const { status: _status, ...settings } = queue;
    return settings;
  }
}
