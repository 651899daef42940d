import type { Actor } from '../shared/actor';
import type { IsoTime } from '../shared/time';
import type { Channel } from './conversation.channel';
import type { ConversationEvent } from './conversation.events';

export type ConversationStatus = 'open' | 'active' | 'waiting' | 'wrap_up' | 'closed';

/** What is known about a conversation whatever its status. */
export interface ConversationFacts {
  id: string;
  channel: Channel;
  queueId: string;
  customerId: string;
  priority: number;
  openedAt: IsoTime;
  /** When the current status began. */
  statusSince: IsoTime;
  /** Last message from either side (or entering waiting): the inactivity timer counts from here. */
  lastActivityAt: IsoTime;
  /** Restarted by every status change and by monitor, consult and transfer. */
  autoCloseClockSince: IsoTime;
  /** Live chat only; other channels never disconnect the customer. */
  customerConnected: boolean;
  customerDisconnectedAt?: IsoTime;
  unreadCustomerMessages: number;
  /** The last agent who held it: the owner of a waiting item, and the preferred agent after a revive. */
  lastAgentId?: string;
  supervisors: string[];
  /** Agents who rejected a push of it or let one expire: routing offers it to someone else. */
  declinedBy: string[];
}

export type Assignment = 'awaiting_acceptance' | 'accepted';

export type NoConversation = { status: 'none' };
export type OpenConversationState = ConversationFacts & { status: 'open' };
export type ActiveConversationState = ConversationFacts & {
  status: 'active';
  agentId: string;
  assignment: Assignment;
  /** A supervisor assigned it over the agent's capacity. */
  forced: boolean;
  agentConnected: boolean;
  agentDisconnectedAt?: IsoTime;
  consultants: string[];
};
export type WaitingConversationState = ConversationFacts & { status: 'waiting'; agentId: string };
export type WrapUpConversationState = ConversationFacts & { status: 'wrap_up'; agentId: string };
export type ClosedConversationState = ConversationFacts & {
  status: 'closed';
  closedAt: IsoTime;
  closedBy: Actor;
  closeReason: string;
};

export type ExistingConversationState =
  OpenConversationState | ActiveConversationState | WaitingConversationState | WrapUpConversationState | ClosedConversationState;

export type ConversationState = NoConversation | ExistingConversationState;

export const initialConversationState = (): ConversationState => ({ status: 'none' });

const facts = (state: ConversationState): ConversationFacts => {
  if (state.status === 'none') {
    throw new Error('Event applied to a conversation that was never opened');
  }
  const {
    id,
    channel,
    queueId,
    customerId,
    priority,
    openedAt,
    statusSince,
    lastActivityAt,
    autoCloseClockSince,
    customerConnected,
    customerDisconnectedAt,
    unreadCustomerMessages,
    lastAgentId,
    supervisors,
    declinedBy,
  } = state;
  return {
    id,
    channel,
    queueId,
    customerId,
    priority,
    openedAt,
    statusSince,
    lastActivityAt,
    autoCloseClockSince,
    customerConnected,
    customerDisconnectedAt,
    unreadCustomerMessages,
    lastAgentId,
    supervisors,
    // States stored before this field existed have none.
    declinedBy: declinedBy ?? [],
  };
};

const toOpen = (state: ConversationState, at: IsoTime, queueId?: string): OpenConversationState => ({
  ...facts(state),
  status: 'open',
  queueId: queueId ?? facts(state).queueId,
  statusSince: at,
  autoCloseClockSince: at,
});

const toActive = (
  state: ConversationState,
  at: IsoTime,
  agentId: string,
  assignment: Assignment,
  forced = false,
): ActiveConversationState => ({
  ...facts(state),
  status: 'active',
  agentId,
  lastAgentId: agentId,
  assignment,
  forced,
  agentConnected: true,
  consultants: [],
  statusSince: at,
  autoCloseClockSince: at,
});

const toWrapUp = (state: ConversationState, at: IsoTime, agentId: string): WrapUpConversationState => ({
  ...facts(state),
  status: 'wrap_up',
  agentId,
  statusSince: at,
  autoCloseClockSince: at,
});

const toClosed = (state: ConversationState, at: IsoTime, by: Actor, reason: string): ClosedConversationState => ({
  ...facts(state),
  status: 'closed',
  closedAt: at,
  closedBy: by,
  closeReason: reason,
  statusSince: at,
  autoCloseClockSince: at,
});

/** Applies one event. Events are facts already accepted, so evolve never refuses one it understands. */
export const evolve = (state: ConversationState, event: ConversationEvent): ConversationState => {
  const { at } = event.data;
  switch (event.type) {
    case 'ConversationOpened': {
      const { conversationId, channel, queueId, customerId, priority } = event.data;
      return {
        status: 'open',
        id: conversationId,
        channel,
        queueId,
        customerId,
        priority,
        openedAt: at,
        statusSince: at,
        lastActivityAt: at,
        autoCloseClockSince: at,
        customerConnected: true,
        unreadCustomerMessages: 0,
        supervisors: [],
        declinedBy: [],
      };
    }
    case 'ConversationPicked':
      return toActive(state, at, event.data.agentId, 'accepted');
    case 'ConversationPushedToAgent':
      return toActive(state, at, event.data.agentId, 'awaiting_acceptance');
    case 'ConversationForceAssigned':
      return toActive(state, at, event.data.agentId, 'accepted', true);
    case 'ConversationPushAccepted':
      return state.status === 'active' ? { ...state, assignment: 'accepted' } : state;
    case 'ConversationPushRejected':
    case 'ConversationPushReservationExpired': {
      const declinedBy = facts(state).declinedBy;
      const open = toOpen(state, at);
      return declinedBy.includes(event.data.agentId) ? open : { ...open, declinedBy: [...declinedBy, event.data.agentId] };
    }
    case 'ConversationReleasedToQueue':
    case 'ConversationRequeuedOnSessionClose':
    case 'ConversationRequeuedAfterAgentDisconnect':
      return toOpen(state, at);
    case 'ConversationTransferredToQueue':
      return toOpen(state, at, event.data.toQueueId);
    case 'ConversationRevivedByCustomer':
      return { ...toOpen(state, at), unreadCustomerMessages: facts(state).unreadCustomerMessages };
    case 'ConversationTransferredToAgent':
      // The new holder may have been consulting: now they hold it, so they are no longer a consultant.
      return state.status === 'active'
        ? {
            ...state,
            agentId: event.data.toAgentId,
            lastAgentId: event.data.toAgentId,
            agentConnected: true,
            agentDisconnectedAt: undefined,
            forced: false,
            consultants: state.consultants.filter((id) => id !== event.data.toAgentId),
            autoCloseClockSince: at,
          }
        : state;
    case 'ConversationEndedByAgent':
    case 'ConversationEndedByCustomer':
    case 'ConversationAutoMovedToWrapUp':
      return toWrapUp(state, at, event.data.agentId);
    case 'ConversationParked':
      return {
        ...facts(state),
        status: 'waiting',
        agentId: event.data.agentId,
        statusSince: at,
        autoCloseClockSince: at,
        lastActivityAt: at,
      };
    case 'ConversationRevivedByAgent':
      return toActive(state, at, event.data.agentId, 'accepted');
    case 'ConversationAbandonedByCustomer':
    case 'ConversationResolved':
    case 'ConversationWrapUpCompleted':
    case 'ConversationClosedForInactivity':
    case 'ConversationForceClosed':
    case 'ConversationAutoClosed':
      return toClosed(state, at, event.data.by, event.data.reason);
    case 'AgentDisconnected':
      return state.status === 'active' ? { ...state, agentConnected: false, agentDisconnectedAt: at } : state;
    case 'AgentReconnected':
      return state.status === 'active' ? { ...state, agentConnected: true, agentDisconnectedAt: undefined } : state;
    case 'CustomerDisconnected':
      return state.status === 'none' ? state : { ...state, customerConnected: false, customerDisconnectedAt: at };
    case 'CustomerReconnected':
      return state.status === 'none' ? state : { ...state, customerConnected: true, customerDisconnectedAt: undefined };
    case 'CustomerMessageReceived':
      return state.status === 'none' ? state : { ...state, lastActivityAt: at, unreadCustomerMessages: state.unreadCustomerMessages + 1 };
    case 'AgentMessageSent':
      return state.status === 'none' ? state : { ...state, lastActivityAt: at, unreadCustomerMessages: 0 };
    case 'ConsultStarted':
      return state.status === 'active'
        ? { ...state, consultants: [...state.consultants, event.data.consultantId], autoCloseClockSince: at }
        : state;
    case 'ConsultEnded':
      return state.status === 'active'
        ? { ...state, consultants: state.consultants.filter((id) => id !== event.data.consultantId) }
        : state;
    case 'MonitoringStarted':
      return state.status === 'none'
        ? state
        : {
            ...state,
            supervisors: state.supervisors.includes(event.data.supervisorId)
              ? state.supervisors
              : [...state.supervisors, event.data.supervisorId],
            autoCloseClockSince: at,
          };
    default: {
      const unknown: never = event;
      return unknown;
    }
  }
};

export const evolveAll = (events: readonly ConversationEvent[], from: ConversationState = initialConversationState()) =>
  events.reduce(evolve, from);

/** The agent holding it: while active (awaiting acceptance included), waiting or in wrap-up. */
export const holderOf = (state: ConversationState): string | undefined => {
  switch (state.status) {
    case 'active':
    case 'waiting':
    case 'wrap_up':
      return state.agentId;
    case 'none':
    case 'open':
    case 'closed':
      return undefined;
    default: {
      const unknown: never = state;
      return unknown;
    }
  }
};

/** The agent it is with: its holder, or once closed the last agent who held it. */
export const agentWithOf = (state: ConversationState): string | undefined =>
  state.status === 'closed' ? state.lastAgentId : holderOf(state);
