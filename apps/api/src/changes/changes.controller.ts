import { Controller, Get, Headers, Inject, Logger, Query, Req, Res } from '@nestjs/common';
import { ApiHeader, ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { EVERY_EVENT } from '@lib/event-feed';
import { EVENT_STORE, type EventStore } from '@lib/event-store';
import { AgentLedger } from '@lib/conversation-lifecycle';
import type { Principal } from '@lib/platform';
import { Allow, CurrentPrincipal } from '../auth/auth.decorators';
import { AuthError } from '../auth/auth.errors';
import { TokenVerifier } from '../auth/token-verifier';
import { ANY_ROUTE, ApiErrors, AUTHENTICATED, CHECKED_INPUT, EVENT_LOG, HEADERS } from '../http/api-responses';
import { RequestId } from '../http/request-id';
import { streamStartAfter } from '../event-feed/stream-start';
import { EventStreams } from '../event-feed/event-streams';
import { ChangesQueryDto } from './changes.dto';
import { ChangeView } from './change-view';

/**
 * The desk's live updates: a server-sent event per change the caller may see (a supervisor:
 * every conversation, agent and queue change; an agent: its own stream and the conversations
 * that concern it), read from the event log's own subscription, never by polling the views.
 */
@ApiTags('changes')
@Controller('api/changes')
export class ChangesController {
  private readonly logger = new Logger('Changes');

  constructor(
    private readonly streams: EventStreams,
    private readonly ledger: AgentLedger,
    private readonly verifier: TokenVerifier,
    @Inject(EVENT_STORE) private readonly store: EventStore,
  ) {}

  @Get()
  @Allow('WatchChanges')
  @ApiOperation({
    summary: 'Server-sent events: one `change` per event the caller may see, in log order, resumable with Last-Event-ID',
    description:
      'Each message: `id` (the log position), `event: change`, `data` {position, type, at, conversationId?, agentId?, queueId?}: which lists to read again (with minPosition = position). Nothing of the content: read that through the API.',
  })
  @ApiHeader({ name: 'Last-Event-ID', required: false, description: 'The id (log position) of the last change received: resume after it' })
  @ApiResponse({
    status: 200,
    description: 'An event stream (text/event-stream); ends only when the client leaves, unless follow=false',
    headers: { 'X-Request-Id': HEADERS['X-Request-Id'] },
    content: { 'text/event-stream': { schema: { type: 'string' } } },
  })
  @ApiErrors(ANY_ROUTE, AUTHENTICATED, CHECKED_INPUT, EVENT_LOG, { 503: ['EVENT_STREAM.TOO_MANY_STREAMS', 'EVENT_STREAM.SHUTTING_DOWN'] })
  async changes(
    @CurrentPrincipal() principal: Principal,
    @Query() query: ChangesQueryDto,
    @Headers('last-event-id') lastEventId: string | undefined,
    @RequestId() requestId: string,
    @Req() request: FastifyRequest,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    this.streams.admit();
    const after = await streamStartAfter(this.store, lastEventId, query.after);
    const view = new ChangeView(principal, this.store, async (agentId) => {
      const { state } = await this.ledger.load(agentId);
      return state.status === 'registered' ? state.queueIds : [];
    });
    const until = query.follow === 'false' ? await this.store.headPosition() : undefined;
    reply.hijack();
    this.streams.serve(request.raw, reply.raw, {
      after,
      until,
      filter: EVERY_EVENT,
      requestId,
      announceStart: true,
      // The token expires, or is no longer accepted: the stream ends, and the desk's reconnect gets the 401.
      stillAuthorized: () =>
        this.verifier.verify(request.headers.authorization).then(
          () => true,
          // The identity provider's keys out of reach for a moment is no reason to drop the stream.
          (error: unknown) => error instanceof AuthError && error.code === 'AUTH.PROVIDER_UNAVAILABLE',
        ),
      render: async (event) => {
        const notice = await view.notice(event);
        return notice === undefined ? undefined : { event: 'change', data: notice };
      },
      // A change this view cannot judge (an event it cannot fold) is skipped, not the end of the stream.
      onRenderError: (event, error) =>
        this.logger.warn(`Change stream ${requestId}: ${event.type} at ${event.position} skipped: ${(error as Error).message}`),
    });
  }
}
