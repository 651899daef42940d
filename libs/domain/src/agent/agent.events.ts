import type { Actor } from '../shared/actor';
import type { IsoTime } from '../shared/time';
import type { Channel } from '../conversation/conversation.channel';
import type { Presence, ReservationPurpose } from './agent.presence';

/** What every agent event says besides its own facts: which agent, when, who, why. */
export interface AgentFact {
  agentId: string;
  at: IsoTime;
  by: Actor;
  reason: string;
}

type Event<Type extends string, Data> = { type: Type; data: AgentFact & Data };

export type AgentRegistered = Event<'AgentRegistered', { capacity: number; queueIds: string[]; presence: Presence }>;
export type AgentCapacityChanged = Event<'AgentCapacityChanged', { capacity: number; previous: number }>;
export type AgentJoinedQueue = Event<'AgentJoinedQueue', { queueId: string }>;
export type AgentLeftQueue = Event<'AgentLeftQueue', { queueId: string }>;
export type AgentPresenceChanged = Event<'AgentPresenceChanged', { presence: Presence; previous: Presence }>;

/**
 * Capacity taken for a conversation, before the conversation's own stream records who holds
 * it: `conversationRevision` is the revision that write will have, so a later settlement
 * that saw an older conversation cannot undo this reservation. `forced` ones may exceed it.
 */
export type AgentCapacityReserved = Event<
  'AgentCapacityReserved',
  {
    conversationId: string;
    reservationId: string;
    channel: Channel;
    queueId: string;
    units: number;
    purpose: ReservationPurpose;
    forced: boolean;
    conversationRevision: number;
  }
>;
/** The conversation went to wrap-up and keeps blocking capacity until `until` (absent: until it closes). */
export type AgentCapacityBlockedForWrapUp = Event<
  'AgentCapacityBlockedForWrapUp',
  { conversationId: string; units: number; until?: IsoTime }
>;
export type AgentCapacityReleased = Event<'AgentCapacityReleased', { conversationId: string; units: number }>;

export type AgentEvent =
  | AgentRegistered
  | AgentCapacityChanged
  | AgentJoinedQueue
  | AgentLeftQueue
  | AgentPresenceChanged
  | AgentCapacityReserved
  | AgentCapacityBlockedForWrapUp
  | AgentCapacityReleased;

export type AgentEventType = AgentEvent['type'];

const EVENT_TYPES: Record<AgentEventType, true> = {
  AgentRegistered: true,
  AgentCapacityChanged: true,
  AgentJoinedQueue: true,
  AgentLeftQueue: true,
  AgentPresenceChanged: true,
  AgentCapacityReserved: true,
  AgentCapacityBlockedForWrapUp: true,
  AgentCapacityReleased: true,
};

export const isAgentEvent = (event: { type: string }): event is AgentEvent => Object.prototype.hasOwnProperty.call(EVENT_TYPES, event.type);
