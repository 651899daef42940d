import { isAgentEvent, type AgentEvent } from '../agent/agent.events';
import { evolveAgent, initialAgentState, type AgentState } from '../agent/agent.state';
import { isConversationEvent, type ConversationEvent } from '../conversation/conversation.events';
import { evolve, initialConversationState, type ConversationState } from '../conversation/conversation.state';
import { isQueueEvent, type QueueEvent } from '../queue/queue';

/**
 * How each kind of aggregate names its stream, and how an event read back from the log becomes
 * a domain event again. Shared by the lifecycle, the read models and reporting, so the three
 * never disagree on which stream is whose or on what an unknown event type means.
 */

/** What the domain needs of an event read from the log (the store's record has more). */
export interface StoredEvent {
  streamName: string;
  revision: number;
  type: string;
  data: unknown;
}

export const CONVERSATION_STREAM_PREFIX = 'conversation-';
export const AGENT_STREAM_PREFIX = 'agent-';
export const QUEUE_STREAM_PREFIX = 'queue-';

export const conversationStream = (conversationId: string): string => `${CONVERSATION_STREAM_PREFIX}${conversationId}`;
export const agentStream = (agentId: string): string => `${AGENT_STREAM_PREFIX}${agentId}`;
export const queueStream = (queueId: string): string => `${QUEUE_STREAM_PREFIX}${queueId}`;

/** `<prefix><id>` → `<id>`; undefined for a stream of another family. */
const idOfStream =
  (prefix: string) =>
  (streamName: string): string | undefined =>
    typeof streamName === 'string' && streamName.startsWith(prefix) && streamName.length > prefix.length
      ? streamName.slice(prefix.length)
      : undefined;

export const conversationIdOfStream = idOfStream(CONVERSATION_STREAM_PREFIX);
export const agentIdOfStream = idOfStream(AGENT_STREAM_PREFIX);
export const queueIdOfStream = idOfStream(QUEUE_STREAM_PREFIX);

/**
 * A stored event as the domain event it records. An event type the aggregate does not know, or
 * one without data, stops whoever folds the stream: folding around it would be wrong silently.
 */
const decodeWith =
  <E extends { type: string; data: unknown }>(family: string, is: (event: { type: string }) => event is E) =>
  (stored: StoredEvent): E => {
    if (!is(stored)) throw new Error(`Unknown ${family} event type ${stored.type} in ${stored.streamName}@${stored.revision}`);
    if (stored.data === null || typeof stored.data !== 'object') {
      throw new Error(`${stored.type} at ${stored.streamName}@${stored.revision} has no data`);
    }
    return { type: stored.type, data: stored.data } as E;
  };

export const toConversationEvent = decodeWith<ConversationEvent>('conversation', isConversationEvent);
export const toAgentEvent = decodeWith<AgentEvent>('agent', isAgentEvent);
export const toQueueEvent = decodeWith<QueueEvent>('queue', isQueueEvent);

/**
 * Checks that a stored event is the next one of its stream: a missing or repeated event would
 * make every state folded after it wrong.
 */
export const requireNextRevision = (stored: StoredEvent, previousRevision: number): void => {
  const expected = previousRevision + 1;
  if (stored.revision !== expected) {
    throw new Error(`${stored.streamName}: expected revision ${expected}, got ${stored.revision} (an event is missing or repeated)`);
  }
};

/** A stream folded up to `revision` (-1: nothing folded). */
export interface Folded<S> {
  state: S;
  revision: number;
}

/**
 * Folds the stored events of one stream onto `from`, checking every revision follows the last:
 * the one way every reader of a stream turns it into state.
 */
const foldStream = <S, E>(
  events: readonly StoredEvent[],
  from: Folded<S>,
  decode: (stored: StoredEvent) => E,
  evolve: (state: S, event: E) => S,
): Folded<S> => {
  let { state, revision } = from;
  for (const stored of events) {
    requireNextRevision(stored, revision);
    state = evolve(state, decode(stored));
    revision = stored.revision;
  }
  return { state, revision };
};

export const foldConversation = (
  events: readonly StoredEvent[],
  from: Folded<ConversationState> = { state: initialConversationState(), revision: -1 },
) => foldStream(events, from, toConversationEvent, evolve);
export const foldAgent = (events: readonly StoredEvent[], from: Folded<AgentState> = { state: initialAgentState(), revision: -1 }) =>
  foldStream(events, from, toAgentEvent, evolveAgent);
