import { isConversationEvent, type ConversationEvent, type ConversationState } from '@lib/domain';
import type { RecordedEvent } from '@lib/event-store';

/** Conversation streams are named `conversation-<id>`; every other stream is not a conversation. */
export const CONVERSATION_STREAM_PREFIX = 'conversation-';

/** The conversation id of a stream name, or undefined when the stream is not a conversation's. */
export const conversationIdOfStream = (streamName: string): string | undefined =>
  typeof streamName === 'string' &&
  streamName.startsWith(CONVERSATION_STREAM_PREFIX) &&
  streamName.length > CONVERSATION_STREAM_PREFIX.length
    ? streamName.slice(CONVERSATION_STREAM_PREFIX.length)
    : undefined;

/**
 * The domain event of a recorded event of a conversation stream. An event type the domain does
 * not know stops the replay: a report that silently skipped it would be wrong without saying so.
 */
export function toConversationEvent(recorded: RecordedEvent): ConversationEvent {
  if (!isConversationEvent(recorded)) {
    throw new Error(`Unknown conversation event type ${recorded.type} at ${recorded.streamName}@${recorded.revision}`);
  }
  if (recorded.data === null || typeof recorded.data !== 'object') {
    throw new Error(`${recorded.type} at ${recorded.streamName}@${recorded.revision} has no data`);
  }
  return { type: recorded.type, data: recorded.data } as ConversationEvent;
}

/** Epoch milliseconds of an ISO-8601 time; throws naming `what` when it is not one. */
export function parseTime(value: unknown, what: string): number {
  const ms = typeof value === 'string' ? Date.parse(value) : Number.NaN;
  if (!Number.isFinite(ms)) throw new RangeError(`${what} is not an ISO-8601 time: ${JSON.stringify(value)}`);
  return ms;
}

/** Canonical ISO-8601 UTC text of epoch milliseconds. */
export const isoOf = (ms: number): string => new Date(ms).toISOString();

/** The agent holding it: active (including awaiting acceptance), waiting or wrap-up. */
export const holderOf = (state: ConversationState): string | null =>
  state.status === 'active' || state.status === 'waiting' || state.status === 'wrap_up' ? state.agentId : null;

/**
 * The agent whose capacity it uses: active (a push reservation included) or wrap-up (blocked
 * until closed). Waiting uses none.
 */
export const capacityHolderOf = (state: ConversationState): string | null =>
  state.status === 'active' || state.status === 'wrap_up' ? state.agentId : null;
