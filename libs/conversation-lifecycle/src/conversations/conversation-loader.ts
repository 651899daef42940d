import { conversationStream, foldConversation } from '@lib/domain';
import type { EventStore } from '@lib/event-store';
import type { ConversationLoader } from '../capacity/capacity-coordinator';

/** Reads a conversation from its stream, for the process managers that must not trust a cache. */
export const conversationLoader =
  (store: EventStore): ConversationLoader =>
  async (conversationId) => {
    const recorded = await store.readStream(conversationStream(conversationId));
    return { ...foldConversation(recorded), lastEventId: recorded[recorded.length - 1]?.id };
  };
