import { Inject } from '@nestjs/common';
import { QueryHandler, type IQueryHandler } from '@nestjs/cqrs';
import {
  ConversationError,
  agentStream,
  allowedActions,
  conversationStream,
  evolve,
  initialConversationState,
  toConversationEvent,
  type Actor,
  type ConversationAction,
  type ConversationState,
  type ExistingConversationState,
} from '@lib/domain';
import { EVENT_STORE, type EventStore, type RecordedEvent } from '@lib/event-store';
import type { CausationMetadata } from '../shared/causation';
import { auditRecordOf } from '../shared/audit-record';
import type { CommandPrincipal } from './conversation-event-metadata';

export class GetConversationQuery {
  /** `asOf`: answer the state at that time (ISO-8601), replaying only the events up to it. */
  constructor(
    readonly conversationId: string,
    readonly asOf?: string,
  ) {}
}

export class GetConversationHistoryQuery {
  /**
   * `withCapacityEffects`: also read the streams of the agents it names, for the capacity events
   * each entry caused (the audit trail's answer; not wanted where only the entries matter).
   */
  constructor(
    readonly conversationId: string,
    readonly withCapacityEffects = false,
  ) {}
}

/** The conversation as its stream says it is now, with what may be done next. */
export type ConversationView = ExistingConversationState & {
  revision: number;
  allowedActions: ConversationAction[];
};

/** One line of the audit trail. */
export interface HistoryEntry {
  revision: number;
  position: number;
  eventId: string;
  type: string;
  at: string;
  actor: Actor;
  reason: string;
  /**
   * The authenticated caller whose request wrote it and the role it acted under; for the
   * service's own acts (timers, routing, capacity), the system component. Absent for events
   * written before the service authenticated its callers.
   */
  principal?: CommandPrincipal;
  /** The request (command id) that wrote it. */
  commandId?: string;
  /** The request, timer pass or routing pass it belongs to. */
  correlationId?: string;
  /** What caused it: the command's id, or for a timer or routing the id of the event that started it. */
  causationId?: string;
  /** The event's own facts, without the fields already shown above. */
  details: Record<string, unknown>;
  /** What it did to agents' capacity: the agent events that name it (or its command) as their cause. */
  capacityEffects?: CapacityEffect[];
}

/** An agent capacity event caused by a conversation event. */
export interface CapacityEffect {
  agentId: string;
  eventId: string;
  position: number;
  type: string;
  at: string;
  reason: string;
  correlationId?: string;
  causationId: string;
}

const notFound = (conversationId: string) =>
  new ConversationError('CONVERSATION.NOT_FOUND', `Conversation ${conversationId} not found`, conversationId, 'none', ['open']);

const readExisting = async (store: EventStore, conversationId: string): Promise<RecordedEvent[]> => {
  const recorded = await store.readStream(conversationStream(conversationId));
  if (recorded.length === 0) throw notFound(conversationId);
  return recorded;
};

@QueryHandler(GetConversationQuery)
export class GetConversationHandler implements IQueryHandler<GetConversationQuery, ConversationView> {
  constructor(@Inject(EVENT_STORE) private readonly store: EventStore) {}

  async execute({ conversationId, asOf }: GetConversationQuery): Promise<ConversationView> {
    const recorded = await readExisting(this.store, conversationId);
    const until = asOf === undefined ? Infinity : Date.parse(asOf);
    let state: ConversationState = initialConversationState();
    let revision = -1;
    for (const event of recorded) {
      const domainEvent = toConversationEvent(event);
      // Events carry the time they happened; a stream is in time order, so stop at the first later one.
      if (Date.parse(domainEvent.data.at) > until) break;
      state = evolve(state, domainEvent);
      revision = event.revision;
    }
    if (state.status === 'none') {
      throw new ConversationError(
        'CONVERSATION.NOT_FOUND',
        `Conversation ${conversationId} did not exist yet at ${asOf}; it was opened at ${toConversationEvent(recorded[0]).data.at}`,
        conversationId,
        'none',
        ['open'],
      );
    }
    return { ...state, revision, allowedActions: allowedActions(state) };
  }
}

@QueryHandler(GetConversationHistoryQuery)
export class GetConversationHistoryHandler implements IQueryHandler<GetConversationHistoryQuery, HistoryEntry[]> {
  constructor(@Inject(EVENT_STORE) private readonly store: EventStore) {}

  async execute({ conversationId, withCapacityEffects }: GetConversationHistoryQuery): Promise<HistoryEntry[]> {
    const recorded = await readExisting(this.store, conversationId);
    const effects = withCapacityEffects ? await this.capacityEffects(conversationId, recorded) : [];
    const attached = new Set<string>();
    return recorded.map((e) => {
      // Decoding first: an unknown type or an event without data stops the history, as it stops a fold.
      toConversationEvent(e);
      const { eventId, revision, position, type, at, actor, reason, principal, commandId, correlationId, causationId, details } =
        auditRecordOf(e, ['conversationId']);
      return {
        revision,
        position,
        eventId,
        type,
        at,
        actor: actor as Actor,
        reason: reason ?? '',
        ...(principal ? { principal } : {}),
        ...(commandId !== undefined ? { commandId } : {}),
        ...(correlationId !== undefined ? { correlationId } : {}),
        ...(causationId !== undefined ? { causationId } : {}),
        details,
        ...this.effectsOf(e, commandId, effects, attached),
      };
    });
  }

  /**
   * The capacity events an entry caused: those naming the event, or (a reservation made before
   * the write) its command, shown once, at the command's first event.
   */
  private effectsOf(
    event: RecordedEvent,
    commandId: string | undefined,
    effects: CapacityEffect[],
    attached: Set<string>,
  ): { capacityEffects?: CapacityEffect[] } {
    const mine = effects.filter(
      (effect) => !attached.has(effect.eventId) && (effect.causationId === event.id || effect.causationId === commandId),
    );
    for (const effect of mine) attached.add(effect.eventId);
    return mine.length > 0 ? { capacityEffects: mine } : {};
  }

  /** Capacity events about this conversation on the streams of the agents it names. */
  private async capacityEffects(conversationId: string, recorded: RecordedEvent[]): Promise<CapacityEffect[]> {
    const agentIds = new Set<string>();
    for (const event of recorded) {
      const data = event.data as Record<string, unknown>;
      for (const key of ['agentId', 'toAgentId'] as const) if (typeof data[key] === 'string') agentIds.add(data[key]);
    }
    const effects: CapacityEffect[] = [];
    for (const agentId of agentIds) {
      for (const event of await this.store.readStream(agentStream(agentId))) {
        const data = event.data as { conversationId?: unknown; at?: unknown; reason?: unknown };
        const { correlationId, causationId } = event.metadata as Partial<CausationMetadata>;
        if (data.conversationId !== conversationId || typeof causationId !== 'string') continue;
        effects.push({
          agentId,
          eventId: event.id,
          position: event.position,
          type: event.type,
          at: String(data.at),
          reason: String(data.reason),
          ...(typeof correlationId === 'string' ? { correlationId } : {}),
          causationId,
        });
      }
    }
    return effects.sort((a, b) => a.position - b.position);
  }
}
