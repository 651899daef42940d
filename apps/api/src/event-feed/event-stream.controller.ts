import { Controller, Get, Headers, Query, Req, Res } from '@nestjs/common';
import { ApiHeader, ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { EVERY_EVENT, FeedFilterError, WebhookError, patternsFromQuery, validateFeedFilter } from '@lib/event-feed';
import { EVENT_STORE, type EventStore } from '@lib/event-store';
import { Inject } from '@nestjs/common';
import { Allow } from '../auth/auth.decorators';
import { ANY_ROUTE, ApiErrors, AUTHENTICATED, CHECKED_INPUT, EVENT_LOG, HEADERS } from '../http/api-responses';
import { RequestId } from '../http/request-id';
import { streamStartAfter } from './stream-start';
import { EventStreamQueryDto } from './event-stream.dto';
import { EventStreams } from './event-streams';

@ApiTags('events')
@Controller('api/events')
export class EventStreamController {
  constructor(
    private readonly streams: EventStreams,
    @Inject(EVENT_STORE) private readonly store: EventStore,
  ) {}

  @Get()
  @Allow('StreamEvents')
  @ApiOperation({
    summary: 'Server-sent events: every event of the log matching the filter, in log order, resumable with Last-Event-ID',
    description:
      'Each message: `id` (the log position), `event` (the type), `data` (the event as the webhook body shows it). Reconnect with the last id received in Last-Event-ID to resume right after it.',
  })
  @ApiHeader({ name: 'Last-Event-ID', required: false, description: 'The id (log position) of the last event received: resume after it' })
  @ApiResponse({
    status: 200,
    description: 'An event stream (text/event-stream); ends only when the client leaves, unless follow=false',
    headers: { 'X-Request-Id': HEADERS['X-Request-Id'] },
    content: { 'text/event-stream': { schema: { type: 'string' } } },
  })
  @ApiErrors(ANY_ROUTE, AUTHENTICATED, CHECKED_INPUT, EVENT_LOG, {
    400: ['FEED.INVALID_FILTER'],
    503: ['EVENT_STREAM.TOO_MANY_STREAMS', 'EVENT_STREAM.SHUTTING_DOWN'],
  })
  async stream(
    @Query() query: EventStreamQueryDto,
    @Headers('last-event-id') lastEventId: string | undefined,
    @RequestId() requestId: string,
    @Req() request: FastifyRequest,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    this.streams.admit();
    const filter = this.filterOf(query);
    const after = await streamStartAfter(this.store, lastEventId, query.after);
    // A catch-up read ends at the log's head as it is now, even while events keep coming.
    const until = query.follow === 'false' ? await this.store.headPosition() : undefined;
    // From here the response is ours, not Nest's: it stays open.
    reply.hijack();
    this.streams.serve(request.raw, reply.raw, { after, filter, until, requestId });
  }

  private filterOf(query: EventStreamQueryDto) {
    try {
      return validateFeedFilter({ ...EVERY_EVENT, eventTypes: patternsFromQuery(query.types), streams: patternsFromQuery(query.streams) });
    } catch (error) {
      if (error instanceof FeedFilterError) {
        const field = error.field === 'eventTypes' ? 'types' : 'streams';
        throw new WebhookError('FEED.INVALID_FILTER', error.message.replace(error.field, field), { field });
      }
      throw error;
    }
  }
}
