import { evolve, initialConversationState } from '@lib/domain';
import type { EventStore } from '@lib/event-store';
import type { ConversationLoader } from '../capacity/capacity-coordinator';
import { conversationStream, toConversationEvent } from './conversation-stream';

/** Reads a conversation from its stream, for the process managers that must not trust a cache. */
export const conversationLoader =
  (store: EventStore): ConversationLoader =>
  async (conversationId) => {
    const recorded = await store.readStream(conversationStream(conversationId));
    const state = recorded.reduce((folded, event) => evolve(folded, toConversationEvent(event)), initialConversationState());
    return { state, revision: recorded.length > 0 ? recorded[recorded.length - 1].revision : -1 };
  };
