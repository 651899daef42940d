import { Module } from '@nestjs/common';
import { CqrsModule } from '@nestjs/cqrs';
import { HandleAgentCommandHandler } from './agents/handle-agent-command';
import { HandleConversationCommandHandler } from './conversations/handle-conversation-command';
import { GetConversationHandler, GetConversationHistoryHandler } from './conversations/conversation.queries';
import { DefineQueueHandler } from './queues/define-queue';

/**
 * Command and query handlers of the conversation lifecycle, agents and queues. The importing
 * module provides EVENT_STORE, CLOCK, CONVERSATION_POLICY, COMMAND_RETRY, AgentLedger and
 * QueueDirectory, and (to check capacity) CAPACITY_COORDINATOR.
 */
@Module({
  imports: [CqrsModule],
  providers: [
    HandleConversationCommandHandler,
    GetConversationHandler,
    GetConversationHistoryHandler,
    HandleAgentCommandHandler,
    DefineQueueHandler,
  ],
})
export class ConversationLifecycleModule {}
