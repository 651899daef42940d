/**
 * Test-only: writes agent and queue streams. Agent events are made by hand (the decider would
 * need conversation standings to settle capacity), with every field the domain's events carry;
 * the log folds them with evolveAgent, so a test can hold the projection against the domain's
 * own state. Queue events are decided with decideQueue, as the application defines queues.
 * Times are minutes after T0, as in ConversationLog.
 */
import {
  decideQueue,
  evolveAgent,
  evolveQueue,
  initialAgentState,
  initialQueueState,
  supervisor,
  system,
  type AgentEvent,
  type AgentState,
  type Channel,
  type Presence,
  type QueueSettings,
  type QueueState,
  type ReservationPurpose,
} from '@lib/domain';
import type { EventStore } from '@lib/event-store';
import { randomUUID } from 'node:crypto';
import { at } from './conversation-log';

/**
 * An agent event without the facts every one carries (agent, time, actor, reason): the log adds
 * them. A union by type, so an event's body must carry every field of that type's data.
 */
export type AgentEventBody = {
  [T in AgentEvent['type']]: { type: T; data: Omit<Extract<AgentEvent, { type: T }>['data'], 'agentId' | 'at' | 'by' | 'reason'> };
}[AgentEvent['type']];

export interface RegisterOptions {
  capacity?: number;
  queueIds?: string[];
  presence?: Presence;
}

export interface ReserveOptions {
  /** The request that reserves (a conversation command id); by default one named after the agent, conversation and revision. */
  reservationId?: string;
  channel?: Channel;
  queueId?: string;
  units?: number;
  purpose?: ReservationPurpose;
  conversationRevision?: number;
}

const SUPERVISOR = supervisor('supervisor-1');
const CAPACITY_KEEPER = system('capacity');

export class AgentLog {
  private readonly agents = new Map<string, AgentState>();
  private readonly queues = new Map<string, QueueState>();
  private readonly revisions = new Map<string, number>();
  /** Position of the last event appended through this log (0 before any). */
  lastPosition = 0;

  constructor(readonly store: EventStore) {}

  /** The agent as the domain folds the events written so far. */
  agentState(agentId: string): AgentState {
    return this.agents.get(agentId) ?? initialAgentState();
  }

  /** Appends events to a stream as they are (no check at all): for malformed and foreign events. */
  async appendRaw(streamName: string, events: { type: string; data: unknown }[]): Promise<number> {
    const result = await this.store.appendToStream(
      streamName,
      events.map((event) => ({ id: randomUUID(), type: event.type, data: event.data as Record<string, unknown> })),
      { expectedRevision: this.revisions.get(streamName) ?? 'no_stream' },
    );
    this.revisions.set(streamName, result.nextExpectedRevision);
    this.lastPosition = result.position;
    return result.position;
  }

  /** Appends one agent event, adding agentId, time, actor and reason; returns its position. */
  async agentEvent(agentId: string, minute: number, body: AgentEventBody, reason = 'test'): Promise<number> {
    const by = body.type.startsWith('AgentCapacity') && body.type !== 'AgentCapacityChanged' ? CAPACITY_KEEPER : SUPERVISOR;
    const event = { type: body.type, data: { ...body.data, agentId, at: at(minute), by, reason } } as AgentEvent;
    const position = await this.appendRaw(`agent-${agentId}`, [event]);
    this.agents.set(agentId, evolveAgent(this.agentState(agentId), event));
    return position;
  }

  register(agentId: string, minute: number, options: RegisterOptions = {}): Promise<number> {
    const { capacity = 3, queueIds = [], presence = 'available' } = options;
    return this.agentEvent(agentId, minute, { type: 'AgentRegistered', data: { capacity, queueIds, presence } });
  }

  changeCapacity(agentId: string, minute: number, capacity: number): Promise<number> {
    return this.agentEvent(agentId, minute, {
      type: 'AgentCapacityChanged',
      data: { capacity, previous: this.registered(agentId).capacity },
    });
  }

  join(agentId: string, minute: number, queueId: string): Promise<number> {
    return this.agentEvent(agentId, minute, { type: 'AgentJoinedQueue', data: { queueId } });
  }

  leave(agentId: string, minute: number, queueId: string): Promise<number> {
    return this.agentEvent(agentId, minute, { type: 'AgentLeftQueue', data: { queueId } });
  }

  presence(agentId: string, minute: number, presence: Presence): Promise<number> {
    return this.agentEvent(agentId, minute, {
      type: 'AgentPresenceChanged',
      data: { presence, previous: this.registered(agentId).presence },
    });
  }

  reserve(agentId: string, minute: number, conversationId: string, options: ReserveOptions = {}): Promise<number> {
    const { channel = 'persistent_chat', queueId = 'queue-a', units = 1, purpose = 'pick', conversationRevision = 1 } = options;
    const reservationId = options.reservationId ?? `request-${agentId}-${conversationId}-${conversationRevision}`;
    return this.agentEvent(agentId, minute, {
      type: 'AgentCapacityReserved',
      data: { conversationId, reservationId, channel, queueId, units, purpose, forced: purpose === 'forced', conversationRevision },
    });
  }

  /** The claim turns into a wrap-up block, until `untilMinute` or (absent) until it is released. */
  blockForWrapUp(agentId: string, minute: number, conversationId: string, untilMinute?: number): Promise<number> {
    const units = this.claim(agentId, conversationId).units;
    return this.agentEvent(agentId, minute, {
      type: 'AgentCapacityBlockedForWrapUp',
      data: untilMinute === undefined ? { conversationId, units } : { conversationId, units, until: at(untilMinute) },
    });
  }

  release(agentId: string, minute: number, conversationId: string): Promise<number> {
    const units = this.claim(agentId, conversationId).units;
    return this.agentEvent(agentId, minute, { type: 'AgentCapacityReleased', data: { conversationId, units } });
  }

  /** Defines a queue (creates it or changes its settings); nothing is written when the settings are the same. */
  async defineQueue(queueId: string, minute: number, settings: Partial<QueueSettings> = {}): Promise<number> {
    const state = this.queues.get(queueId) ?? initialQueueState();
    const current = state.status === 'defined' ? state : undefined;
    const events = decideQueue(
      {
        type: 'DefineQueue',
        data: {
          queueId,
          settings: {
            name: settings.name ?? current?.name ?? `Queue ${queueId}`,
            mode: settings.mode ?? current?.mode ?? 'push',
            priority: settings.priority ?? current?.priority ?? 0,
            method: settings.method ?? current?.method ?? 'highest_free_capacity',
          },
          by: SUPERVISOR,
        },
        metadata: { now: at(minute) },
      },
      state,
    );
    if (events.length === 0) return this.lastPosition;
    const position = await this.appendRaw(`queue-${queueId}`, events);
    this.queues.set(queueId, events.reduce(evolveQueue, state));
    return position;
  }

  private registered(agentId: string) {
    const state = this.agentState(agentId);
    if (state.status !== 'registered') throw new Error(`test agent ${agentId} is not registered`);
    return state;
  }

  private claim(agentId: string, conversationId: string) {
    const claim = this.registered(agentId).claims[conversationId];
    if (claim === undefined) throw new Error(`test agent ${agentId} holds no claim on ${conversationId}`);
    return claim;
  }
}
