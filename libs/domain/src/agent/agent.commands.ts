import type { Actor } from '../shared/actor';
import type { IsoTime } from '../shared/time';
import type { Channel } from '../conversation/conversation.channel';
import type { ConversationStatus } from '../conversation/conversation.state';
import type { Presence, ReservationPurpose } from './agent.presence';

type Command<Type extends string, Data> = { type: Type; data: Data; metadata: { now: IsoTime } };

/** Registers the agent, or brings an existing one to this capacity and these queues. */
export type RegisterAgent = Command<
  'RegisterAgent',
  { agentId: string; capacity: number; queueIds: string[]; presence?: Presence; by: Actor }
>;
export type ChangePresence = Command<'ChangePresence', { presence: Presence; by: Actor }>;
/**
 * Takes capacity for a conversation about to be assigned to this agent, at conversation
 * revision `conversationRevision` (the revision the assigning write will have).
 * `reservationId` names the request (its command id): only the same request repeated counts
 * as a retry, and only it may cancel what it reserved.
 */
export type ReserveCapacity = Command<
  'ReserveCapacity',
  {
    conversationId: string;
    reservationId: string;
    channel: Channel;
    queueId: string;
    purpose: ReservationPurpose;
    conversationRevision: number;
    by: Actor;
  }
>;
/** The assigning write will not happen: give back the reservation made for it, and only that one. */
export type CancelReservation = Command<
  'CancelReservation',
  { conversationId: string; reservationId: string; conversationRevision: number }
>;

/** Where a conversation stands, as read from its stream at `revision`. */
export interface ConversationStanding {
  conversationId: string;
  revision: number;
  status: ConversationStatus | 'none';
  /** The agent holding it (active, waiting or wrap-up). */
  agentId?: string;
  channel?: Channel;
  statusSince?: IsoTime;
  /** Closed by the agent who held it (not by a timer or a supervisor). */
  closedByAgent?: boolean;
}

/**
 * Brings this agent's claim on a conversation in line with where the conversation stands:
 * release it, keep it, or turn it into a wrap-up block. `orphanAfterMs` lets the reconciler
 * also release a reservation whose assigning write never came (older than that, and the
 * conversation has not reached the reservation's revision).
 */
export type SettleCapacity = Command<'SettleCapacity', { conversation: ConversationStanding; orphanAfterMs?: number }>;

export type AgentCommand = RegisterAgent | ChangePresence | ReserveCapacity | CancelReservation | SettleCapacity;
