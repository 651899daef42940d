import { Module } from '@nestjs/common';
import { CqrsModule } from '@nestjs/cqrs';
import { HandleConversationCommandHandler } from './conversations/handle-conversation-command';
import { GetConversationHandler, GetConversationHistoryHandler } from './conversations/conversation.queries';

/**
 * Command and query handlers of the conversation lifecycle. The importing module provides
 * EVENT_STORE, CLOCK, CONVERSATION_POLICY and COMMAND_RETRY.
 */
@Module({
  imports: [CqrsModule],
  providers: [HandleConversationCommandHandler, GetConversationHandler, GetConversationHistoryHandler],
})
export class ConversationLifecycleModule {}
