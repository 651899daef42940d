import type { Actor } from '@lib/domain';
import type { RecordedEvent } from '@lib/event-store';
import type { CommandPrincipal, ConversationEventMetadata } from '../conversations/conversation-event-metadata';

/**
 * An event as the audit trail shows it, for any stream: when, who (the actor the domain
 * recorded and the authenticated caller behind it), why, which request and cause, and the
 * event's own facts. The history of a conversation and the outbound feed both show this, so an
 * integration and an auditor never read two versions of one event.
 */
export interface AuditRecord {
  eventId: string;
  type: string;
  stream: string;
  revision: number;
  position: number;
  at: string;
  actor?: Actor;
  reason?: string;
  principal?: CommandPrincipal;
  commandId?: string;
  correlationId?: string;
  causationId?: string;
  /** The event's data without the fields shown above (and without `omit`). */
  details: Record<string, unknown>;
}

/** `omit`: data fields the reader already knows (the conversation id, on the conversation's own history). */
export function auditRecordOf(event: RecordedEvent, omit: readonly string[] = []): AuditRecord {
  const data = (event.data !== null && typeof event.data === 'object' ? event.data : {}) as Record<string, unknown>;
  const { at, by, reason, ...rest } = data;
  for (const field of omit) delete rest[field];
  const actor = isActor(by) ? by : undefined;
  const metadata = event.metadata as Partial<ConversationEventMetadata>;
  // The service's own acts name their component as the actor; the principal says the same.
  const principal = metadata.principal ?? (actor?.kind === 'system' ? { id: actor.id, role: 'system' } : undefined);
  return {
    eventId: event.id,
    type: event.type,
    stream: event.streamName,
    revision: event.revision,
    position: event.position,
    at: typeof at === 'string' ? at : '',
    ...(actor ? { actor } : {}),
    ...(typeof reason === 'string' ? { reason } : {}),
    ...(principal ? { principal } : {}),
    ...(typeof metadata.commandId === 'string' ? { commandId: metadata.commandId } : {}),
    ...(typeof metadata.correlationId === 'string' ? { correlationId: metadata.correlationId } : {}),
    ...(typeof metadata.causationId === 'string' ? { causationId: metadata.causationId } : {}),
    details: rest,
  };
}

const isActor = (value: unknown): value is Actor =>
  value !== null && typeof value === 'object' && typeof (value as Actor).kind === 'string' && typeof (value as Actor).id === 'string';
