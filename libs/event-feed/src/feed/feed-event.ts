import { auditRecordOf } from '@lib/conversation-lifecycle';
import type { Actor } from '@lib/domain';
import type { RecordedEvent } from '@lib/event-store';

/**
 * One event of the log as integrations receive it (webhook body, event-stream message): the
 * audit trail's view of it (type, time, actor, reason, the caller and request behind it, the
 * event's facts) and where it is in the log (stream, revision, position).
 */
export interface FeedEvent {
  /** The event's id: receivers deduplicate on it (it is also the webhook-id header). */
  id: string;
  type: string;
  /** When it happened, as the event records it. */
  at: string;
  stream: string;
  /** The stream's category: conversation, agent or queue. */
  category: string;
  revision: number;
  position: number;
  actor?: Actor;
  reason?: string;
  principal?: { id: string; role: string };
  commandId?: string;
  correlationId?: string;
  causationId?: string;
  data: Record<string, unknown>;
}

export function feedEventOf(event: RecordedEvent): FeedEvent {
  const record = auditRecordOf(event);
  const dash = event.streamName.indexOf('-');
  return {
    id: record.eventId,
    type: record.type,
    at: record.at,
    stream: record.stream,
    category: dash === -1 ? event.streamName : event.streamName.slice(0, dash),
    revision: record.revision,
    position: record.position,
    ...(record.actor ? { actor: record.actor } : {}),
    ...(record.reason !== undefined ? { reason: record.reason } : {}),
    ...(record.principal ? { principal: record.principal } : {}),
    ...(record.commandId !== undefined ? { commandId: record.commandId } : {}),
    ...(record.correlationId !== undefined ? { correlationId: record.correlationId } : {}),
    ...(record.causationId !== undefined ? { causationId: record.causationId } : {}),
    data: record.details,
  };
}
