import {
  ConversationError,
  conversationStream,
  decide,
  evolve,
  initialConversationState,
  toConversationEvent,
  type ConversationCommand,
  type ConversationEvent,
  type ConversationPolicy,
  type ConversationState,
} from '@lib/domain';
import type { AggregateKind } from '../shared/command-loop';
import { fingerprint } from '../shared/deterministic-id';
import { ConcurrencyExhaustedError, IdempotencyKeyReusedError, RevisionMismatchError } from './conversation-command.errors';

/** Conversations as the command loop runs them. */
export const conversationKind = (policy: ConversationPolicy): AggregateKind<ConversationCommand, ConversationEvent, ConversationState> => ({
  streamOf: conversationStream,
  initialState: initialConversationState,
  decode: toConversationEvent,
  evolve,
  decide: (command, state, conversationId) => {
    try {
      return decide(command, state, policy);
    } catch (error) {
      // The decider names the conversation only when it exists; the caller should always see which.
      if (error instanceof ConversationError && error.conversationId === undefined) {
        throw new ConversationError(error.code, error.message, conversationId, error.status, error.allowedActions, error.details);
      }
      throw error;
    }
  },
  // The time of the command is not part of what it asks for: a retry an hour later is the same command.
  fingerprint: (command) => fingerprint({ type: command.type, data: command.data }),
  isRefusal: (error) => error instanceof ConversationError,
  startsStream: (command) => command.type === 'OpenConversation',
  statusOf: (state) => state.status,
  errors: {
    exhausted: (conversationId, attempts) => new ConcurrencyExhaustedError(conversationId, attempts),
    revisionMismatch: (conversationId, expected, actual) => new RevisionMismatchError(conversationId, expected, actual),
    commandIdReused: (conversationId, commandId) => new IdempotencyKeyReusedError(conversationId, commandId),
  },
});
