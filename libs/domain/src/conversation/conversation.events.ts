import type { Actor } from '../shared/actor';
import type { IsoTime } from '../shared/time';
import type { Channel } from './conversation.channel';

/** What every conversation event says besides its own facts: which conversation, when, who, why. */
export interface ConversationFact {
  conversationId: string;
  at: IsoTime;
  by: Actor;
  /** A stable, machine-readable why (`agent_pressed_end`, `push_reservation_timeout`, ...). */
  reason: string;
}

type Event<Type extends string, Data> = { type: Type; data: ConversationFact & Data };

// Entering the queue
export type ConversationOpened = Event<'ConversationOpened', { channel: Channel; queueId: string; customerId: string; priority: number }>;

// open -> active
export type ConversationPicked = Event<'ConversationPicked', { agentId: string; queueId: string }>;
/** Routing or a supervisor offered it to an agent; it stays reserved until accepted, rejected or timed out. */
export type ConversationPushedToAgent = Event<'ConversationPushedToAgent', { agentId: string; queueId: string }>;
/** A supervisor assigned it without asking the agent; may exceed the agent's capacity. */
export type ConversationForceAssigned = Event<'ConversationForceAssigned', { agentId: string; queueId: string }>;
export type ConversationPushAccepted = Event<'ConversationPushAccepted', { agentId: string }>;

// active -> open
export type ConversationPushRejected = Event<'ConversationPushRejected', { agentId: string; queueId: string }>;
export type ConversationPushReservationExpired = Event<
  'ConversationPushReservationExpired',
  { agentId: string; queueId: string; timeoutMs: number }
>;
export type ConversationReleasedToQueue = Event<'ConversationReleasedToQueue', { agentId: string; queueId: string }>;
export type ConversationTransferredToQueue = Event<
  'ConversationTransferredToQueue',
  { agentId: string; fromQueueId: string; toQueueId: string }
>;
/** Live chat only: the agent closed the session (X) while it was active, so it goes back to its queue. */
export type ConversationRequeuedOnSessionClose = Event<'ConversationRequeuedOnSessionClose', { agentId: string; queueId: string }>;
export type ConversationRequeuedAfterAgentDisconnect = Event<
  'ConversationRequeuedAfterAgentDisconnect',
  { agentId: string; queueId: string; timeoutMs: number }
>;

// active -> active
export type ConversationTransferredToAgent = Event<'ConversationTransferredToAgent', { fromAgentId: string; toAgentId: string }>;

// active -> wrap_up
export type ConversationEndedByAgent = Event<'ConversationEndedByAgent', { agentId: string }>;
/** The customer pressed End, or stayed disconnected past the timeout (see `reason`). */
export type ConversationEndedByCustomer = Event<'ConversationEndedByCustomer', { agentId: string }>;
/** Voice only: the active auto-close policy moves it to wrap-up instead of closing it. */
export type ConversationAutoMovedToWrapUp = Event<'ConversationAutoMovedToWrapUp', { agentId: string; afterMs: number }>;

// active -> waiting, waiting -> active / open
export type ConversationParked = Event<'ConversationParked', { agentId: string }>;
export type ConversationRevivedByAgent = Event<'ConversationRevivedByAgent', { agentId: string }>;
export type ConversationRevivedByCustomer = Event<'ConversationRevivedByCustomer', { previousAgentId: string; queueId: string }>;

// -> closed
/** The customer left before anyone accepted it (from open, or from a push not yet accepted). */
export type ConversationAbandonedByCustomer = Event<'ConversationAbandonedByCustomer', { agentId?: string }>;
export type ConversationResolved = Event<'ConversationResolved', { agentId: string }>;
export type ConversationWrapUpCompleted = Event<'ConversationWrapUpCompleted', { agentId: string }>;
export type ConversationClosedForInactivity = Event<'ConversationClosedForInactivity', { timeoutMs: number }>;
export type ConversationForceClosed = Event<'ConversationForceClosed', { supervisorId: string }>;
export type ConversationAutoClosed = Event<'ConversationAutoClosed', { fromStatus: string; afterMs: number }>;

// Sub-conditions and activity that do not change the status
export type AgentDisconnected = Event<'AgentDisconnected', { agentId: string }>;
export type AgentReconnected = Event<'AgentReconnected', { agentId: string }>;
export type CustomerDisconnected = Event<'CustomerDisconnected', Record<never, never>>;
export type CustomerReconnected = Event<'CustomerReconnected', Record<never, never>>;
export type CustomerMessageReceived = Event<'CustomerMessageReceived', Record<never, never>>;
export type AgentMessageSent = Event<'AgentMessageSent', { agentId: string }>;
export type ConsultStarted = Event<'ConsultStarted', { agentId: string; consultantId: string }>;
export type ConsultEnded = Event<'ConsultEnded', { consultantId: string }>;
export type MonitoringStarted = Event<'MonitoringStarted', { supervisorId: string }>;

export type ConversationEvent =
  | ConversationOpened
  | ConversationPicked
  | ConversationPushedToAgent
  | ConversationForceAssigned
  | ConversationPushAccepted
  | ConversationPushRejected
  | ConversationPushReservationExpired
  | ConversationReleasedToQueue
  | ConversationTransferredToQueue
  | ConversationRequeuedOnSessionClose
  | ConversationRequeuedAfterAgentDisconnect
  | ConversationTransferredToAgent
  | ConversationEndedByAgent
  | ConversationEndedByCustomer
  | ConversationAutoMovedToWrapUp
  | ConversationParked
  | ConversationRevivedByAgent
  | ConversationRevivedByCustomer
  | ConversationAbandonedByCustomer
  | ConversationResolved
  | ConversationWrapUpCompleted
  | ConversationClosedForInactivity
  | ConversationForceClosed
  | ConversationAutoClosed
  | AgentDisconnected
  | AgentReconnected
  | CustomerDisconnected
  | CustomerReconnected
  | CustomerMessageReceived
  | AgentMessageSent
  | ConsultStarted
  | ConsultEnded
  | MonitoringStarted;

export type ConversationEventType = ConversationEvent['type'];

const EVENT_TYPES: Record<ConversationEventType, true> = {
  ConversationOpened: true,
  ConversationPicked: true,
  ConversationPushedToAgent: true,
  ConversationForceAssigned: true,
  ConversationPushAccepted: true,
  ConversationPushRejected: true,
  ConversationPushReservationExpired: true,
  ConversationReleasedToQueue: true,
  ConversationTransferredToQueue: true,
  ConversationRequeuedOnSessionClose: true,
  ConversationRequeuedAfterAgentDisconnect: true,
  ConversationTransferredToAgent: true,
  ConversationEndedByAgent: true,
  ConversationEndedByCustomer: true,
  ConversationAutoMovedToWrapUp: true,
  ConversationParked: true,
  ConversationRevivedByAgent: true,
  ConversationRevivedByCustomer: true,
  ConversationAbandonedByCustomer: true,
  ConversationResolved: true,
  ConversationWrapUpCompleted: true,
  ConversationClosedForInactivity: true,
  ConversationForceClosed: true,
  ConversationAutoClosed: true,
  AgentDisconnected: true,
  AgentReconnected: true,
  CustomerDisconnected: true,
  CustomerReconnected: true,
  CustomerMessageReceived: true,
  AgentMessageSent: true,
  ConsultStarted: true,
  ConsultEnded: true,
  MonitoringStarted: true,
};

export const isConversationEvent = (event: { type: string }): event is ConversationEvent =>
  Object.prototype.hasOwnProperty.call(EVENT_TYPES, event.type);
