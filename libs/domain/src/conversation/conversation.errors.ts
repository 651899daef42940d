import type { ConversationAction } from './conversation.actions';
import type { ConversationStatus } from './conversation.state';

export type ConversationErrorCode =
  | 'CONVERSATION.NOT_FOUND'
  | 'CONVERSATION.ALREADY_EXISTS'
  | 'CONVERSATION.TRANSITION_NOT_ALLOWED'
  | 'CONVERSATION.NOT_HELD_BY_AGENT'
  | 'CONVERSATION.INVALID_TRANSFER'
  | 'CONVERSATION.CONSULT_CONFLICT'
  | 'CONVERSATION.TIMER_NOT_DUE';

/**
 * A command the conversation refuses. It always says where the conversation stands and what
 * may be done now, so a caller can correct itself without reading the history.
 */
export class ConversationError extends Error {
  constructor(
    readonly code: ConversationErrorCode,
    message: string,
    readonly conversationId: string | undefined,
    readonly status: ConversationStatus | 'none',
    readonly allowedActions: ConversationAction[],
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = 'ConversationError';
  }
}
