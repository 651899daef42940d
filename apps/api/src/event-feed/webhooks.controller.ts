import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Query, Res } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { WebhookAdministration, WebhookError } from '@lib/event-feed';
import { parseDuration, type Principal } from '@lib/platform';
import { Allow, CurrentPrincipal } from '../auth/auth.decorators';
import {
  ANY_ROUTE,
  ApiAnswer,
  ApiEmptyAnswer,
  ApiErrors,
  AUTHENTICATED,
  CHECKED_INPUT,
  EVENT_LOG,
  JSON_BODY,
  WEBHOOK,
  WEBHOOK_DEFINITION,
} from '../http/api-responses';
import { EntityIdPipe } from '../http/entity-id.pipe';
import { RequestValidationError } from '../http/request-validation.error';
import { CreateWebhookDto, DeliveriesQueryDto, ReplayWebhookDto, RotateSecretDto, UpdateWebhookDto } from './webhooks.dto';
import { DeliveryPageDto, PingResultDto, WebhookDto, WebhookListDto, WebhookWithSecretDto } from './webhooks.responses';

const READ_STORE = { ...EVENT_LOG };
/** The longest a rotated-out secret may keep signing (as WEBHOOK_SECRET_OVERLAP). */
const MAX_SECRET_OVERLAP_MS = 30 * 24 * 3_600_000;

@ApiTags('webhooks')
@Controller('api/webhooks')
export class WebhooksController {
  constructor(private readonly webhooks: WebhookAdministration) {}

  @Post()
  @Allow('CreateWebhook')
  @ApiOperation({
    summary: 'Subscribe a URL to the events of a filter: each is POSTed, signed (Standard Webhooks), at least once and in log order',
    description:
      'Delivery starts with the events recorded after this call; POST …/replay sends earlier ones. The secret is shown only here.',
  })
  @ApiAnswer(201, WebhookWithSecretDto, 'Created; delivery starts with the next event', ['Location'])
  @ApiErrors(ANY_ROUTE, AUTHENTICATED, JSON_BODY, WEBHOOK_DEFINITION, READ_STORE)
  async create(@CurrentPrincipal() principal: Principal, @Body() body: CreateWebhookDto, @Res({ passthrough: true }) reply: FastifyReply) {
    const { webhook, secret } = await this.webhooks.create(body, principal.id);
    reply.header('Location', `/api/webhooks/${webhook.id}`);
    return { ...webhook, secret };
  }

  @Get()
  @Allow('ListWebhooks')
  @ApiOperation({ summary: 'Every webhook subscription, oldest first, with where its delivery stands' })
  @ApiAnswer(200, WebhookListDto, 'The subscriptions (secrets are never shown again)')
  @ApiErrors(ANY_ROUTE, AUTHENTICATED)
  async list() {
    return { items: await this.webhooks.list() };
  }

  @Get(':id')
  @Allow('GetWebhook')
  @ApiOperation({ summary: 'One webhook subscription and where its delivery stands' })
  @ApiAnswer(200, WebhookDto, 'The subscription')
  @ApiErrors(ANY_ROUTE, AUTHENTICATED, CHECKED_INPUT, WEBHOOK)
  get(@Param('id', EntityIdPipe) id: string) {
    return this.webhooks.get(id);
  }

  @Patch(':id')
  @Allow('UpdateWebhook')
  @ApiOperation({ summary: "Change a subscription's URL, filter or description; delivery goes on from the same event" })
  @ApiAnswer(200, WebhookDto, 'Changed')
  @ApiErrors(ANY_ROUTE, AUTHENTICATED, JSON_BODY, WEBHOOK, WEBHOOK_DEFINITION)
  update(@Param('id', EntityIdPipe) id: string, @Body() body: UpdateWebhookDto) {
    return this.webhooks.update(id, body);
  }

  @Delete(':id')
  @HttpCode(204)
  @Allow('DeleteWebhook')
  @ApiOperation({ summary: 'Delete a subscription and its delivery log; nothing more is sent to it' })
  @ApiEmptyAnswer(204, 'Deleted')
  @ApiErrors(ANY_ROUTE, AUTHENTICATED, CHECKED_INPUT, WEBHOOK)
  async delete(@Param('id', EntityIdPipe) id: string) {
    await this.webhooks.delete(id);
  }

  @Post(':id/pause')
  @HttpCode(200)
  @Allow('PauseWebhook')
  @ApiOperation({ summary: 'Stop sending; events wait and are sent, in order, once resumed' })
  @ApiAnswer(200, WebhookDto, 'Paused (or already paused)')
  @ApiErrors(ANY_ROUTE, AUTHENTICATED, JSON_BODY, WEBHOOK)
  pause(@CurrentPrincipal() principal: Principal, @Param('id', EntityIdPipe) id: string) {
    return this.webhooks.pause(id, principal.id);
  }

  @Post(':id/resume')
  @HttpCode(200)
  @Allow('ResumeWebhook')
  @ApiOperation({ summary: 'Send again (paused, failing or disabled), from the event it stopped at, with a fresh retry window' })
  @ApiAnswer(200, WebhookDto, 'Active (or already active)')
  @ApiErrors(ANY_ROUTE, AUTHENTICATED, JSON_BODY, WEBHOOK)
  resume(@Param('id', EntityIdPipe) id: string) {
    return this.webhooks.resume(id);
  }

  @Post(':id/rotate-secret')
  @HttpCode(200)
  @Allow('RotateWebhookSecret')
  @ApiOperation({
    summary: 'A new signing secret (shown only here); messages carry signatures by both secrets until the overlap ends',
  })
  @ApiAnswer(200, WebhookWithSecretDto, 'Rotated')
  @ApiErrors(ANY_ROUTE, AUTHENTICATED, JSON_BODY, WEBHOOK)
  async rotateSecret(@Param('id', EntityIdPipe) id: string, @Body() body: RotateSecretDto) {
    const overlapMs = body.overlap === undefined ? undefined : parseDuration(body.overlap);
    if (body.overlap !== undefined && (overlapMs === undefined || overlapMs > MAX_SECRET_OVERLAP_MS)) {
      throw new RequestValidationError([
        { field: 'overlap', messages: ['overlap must be at most 30d: the old secret stops signing by then'] },
      ]);
    }
    const { webhook, secret } = await this.webhooks.rotateSecret(id, overlapMs);
    return { ...webhook, secret };
  }

  @Post(':id/test')
  @HttpCode(200)
  @Allow('TestWebhook')
  @ApiOperation({
    summary: 'Send a signed `webhook.ping` message now (outside the event order) and say how the receiver answered',
  })
  @ApiAnswer(200, PingResultDto, 'Sent (whatever the receiver answered: see result)')
  @ApiErrors(ANY_ROUTE, AUTHENTICATED, JSON_BODY, WEBHOOK)
  test(@Param('id', EntityIdPipe) id: string) {
    return this.webhooks.ping(id);
  }

  @Post(':id/replay')
  @HttpCode(200)
  @Allow('ReplayWebhook')
  @ApiOperation({ summary: 'Send again every event from a log position or a time on (receivers deduplicate on webhook-id)' })
  @ApiAnswer(200, WebhookDto, 'Delivery goes on from there')
  @ApiErrors(ANY_ROUTE, AUTHENTICATED, JSON_BODY, WEBHOOK, READ_STORE, { 400: ['WEBHOOK.INVALID_REPLAY'] })
  replay(@Param('id', EntityIdPipe) id: string, @Body() body: ReplayWebhookDto) {
    if ((body.position === undefined) === (body.time === undefined)) {
      throw new WebhookError('WEBHOOK.INVALID_REPLAY', 'Give exactly one of position (a log position) and time (ISO-8601)', {
        field: body.position === undefined ? 'position' : 'time',
      });
    }
    return this.webhooks.replay(id, body.position !== undefined ? { position: body.position } : { time: body.time as string });
  }

  @Get(':id/deliveries')
  @Allow('ListWebhookDeliveries')
  @ApiOperation({ summary: 'Delivery attempts, newest first: event, time, status code or error, duration, next retry' })
  @ApiAnswer(200, DeliveryPageDto, 'A page of attempts')
  @ApiErrors(ANY_ROUTE, AUTHENTICATED, CHECKED_INPUT, WEBHOOK)
  async deliveries(@Param('id', EntityIdPipe) id: string, @Query() query: DeliveriesQueryDto) {
    const limit = query.limit ?? 50;
    const items = await this.webhooks.deliveries(id, limit, query.before);
    return { items, ...(items.length === limit ? { nextBefore: items[items.length - 1].id } : {}) };
  }
}
