import { Controller, Get, Inject, Query } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { CLOCK, type Clock } from '@lib/conversation-lifecycle';
import { OngoingConversationQueries, type OngoingConversation, type Page, type ReadModelDatabase } from '@lib/read-models';
import { Allow } from '../auth/auth.decorators';
import { ANY_ROUTE, ApiAnswer, ApiErrors, AUTHENTICATED, CHECKED_INPUT, EVENT_LOG, READ_YOUR_WRITES } from '../http/api-responses';
import { READ_MODEL_DATABASE } from '../infrastructure/read-models.module';
import { ReadYourWrites, badParametersAsRequestErrors } from '../views/read-your-writes';
import { OngoingConversationsQueryDto } from './ongoing-conversations.dto';
import { OngoingConversationPageDto } from './ongoing-conversations.responses';

/**
 * The supervisor's Ongoing conversations: every conversation not closed, from the
 * conversation_views read model, longest in its current status first. Same path as the POST
 * that opens one (ConversationsController); this is its GET.
 */
@ApiTags('views')
@Controller('api/conversations')
export class OngoingConversationsController {
  private readonly queries: OngoingConversationQueries;

  constructor(
    @Inject(READ_MODEL_DATABASE) database: ReadModelDatabase,
    private readonly readYourWrites: ReadYourWrites,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {
    this.queries = new OngoingConversationQueries(database);
  }

  @Get()
  @Allow('OngoingConversations')
  @ApiOperation({
    summary:
      'Ongoing conversations (supervisor): every conversation not closed, filtered by queue, status, agent and channel, longest in its current status first',
  })
  @ApiAnswer(200, OngoingConversationPageDto, 'A page of conversations not closed, by the time they entered their status, then id')
  @ApiErrors(ANY_ROUTE, AUTHENTICATED, CHECKED_INPUT, READ_YOUR_WRITES, EVENT_LOG)
  async list(@Query() query: OngoingConversationsQueryDto): Promise<Page<OngoingConversation>> {
    await this.readYourWrites.awaitPosition(query.minPosition);
    const { queueId, status, agentId, channel, limit, cursor } = query;
    return badParametersAsRequestErrors(() =>
      this.queries.ongoingConversations({ queueId, status, agentId, channel }, { limit, cursor }, this.clock.now().toISOString()),
    );
  }
}
