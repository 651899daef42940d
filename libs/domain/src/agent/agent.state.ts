import type { IsoTime } from '../shared/time';
import type { Channel } from '../conversation/conversation.channel';
import type { AgentEvent } from './agent.events';
import type { Presence } from './agent.presence';

/**
 * Capacity one conversation holds on its agent: `assigned` while it is being assigned or
 * worked (active), `wrap_up` while its wrap-up blocks capacity (until `blockedUntil`, or until
 * it is settled as closed when there is none).
 */
export interface CapacityClaim {
  conversationId: string;
  /** The request that reserved it (its command id). */
  reservationId: string;
  channel: Channel;
  queueId: string;
  units: number;
  forced: boolean;
  holding: 'assigned' | 'wrap_up';
  blockedUntil?: IsoTime;
  conversationRevision: number;
  since: IsoTime;
}

export type UnregisteredAgent = { status: 'unregistered' };
export type RegisteredAgent = {
  status: 'registered';
  id: string;
  capacity: number;
  queueIds: string[];
  presence: Presence;
  presenceSince: IsoTime;
  claims: Record<string, CapacityClaim>;
  /** Last time work was reserved for the agent (pick, push, transfer, ...): the round-robin order. */
  lastAssignedAt?: IsoTime;
};
export type AgentState = UnregisteredAgent | RegisteredAgent;

export const initialAgentState = (): AgentState => ({ status: 'unregistered' });

/** A claim counts against capacity unless it is a wrap-up block whose time is over. */
export const claimCounts = (claim: CapacityClaim, now: IsoTime): boolean =>
  claim.holding === 'assigned' || claim.blockedUntil === undefined || Date.parse(claim.blockedUntil) > Date.parse(now);

export interface CapacityUsage {
  capacity: number;
  /** Units of conversations assigned or being worked. */
  used: number;
  /** Units of conversations in wrap-up that still block. */
  blocked: number;
  /** What is left; never negative even when a forced assignment went over. */
  free: number;
}

export const capacityUsage = (agent: RegisteredAgent, now: IsoTime): CapacityUsage => {
  let used = 0;
  let blocked = 0;
  for (const claim of Object.values(agent.claims)) {
    if (!claimCounts(claim, now)) continue;
    if (claim.holding === 'assigned') used += claim.units;
    else blocked += claim.units;
  }
  return { capacity: agent.capacity, used, blocked, free: Math.max(0, agent.capacity - used - blocked) };
};

/** The claims without the one on this conversation. */
export const without = (claims: Record<string, CapacityClaim>, conversationId: string): Record<string, CapacityClaim> => {
  const { [conversationId]: _removed, ...rest } = claims;
  return rest;
};

export const evolveAgent = (state: AgentState, event: AgentEvent): AgentState => {
  if (event.type === 'AgentRegistered') {
    const { agentId, capacity, queueIds, presence, at } = event.data;
    return { status: 'registered', id: agentId, capacity, queueIds: [...queueIds], presence, presenceSince: at, claims: {} };
  }
  if (state.status !== 'registered') return state;
  switch (event.type) {
    case 'AgentCapacityChanged':
      return { ...state, capacity: event.data.capacity };
    case 'AgentJoinedQueue':
      return state.queueIds.includes(event.data.queueId) ? state : { ...state, queueIds: [...state.queueIds, event.data.queueId] };
    case 'AgentLeftQueue':
      return { ...state, queueIds: state.queueIds.filter((id) => id !== event.data.queueId) };
    case 'AgentPresenceChanged':
      return { ...state, presence: event.data.presence, presenceSince: event.data.at };
    case 'AgentCapacityReserved': {
      const { conversationId, reservationId, channel, queueId, units, forced, conversationRevision, at } = event.data;
      return {
        ...state,
        claims: {
          ...state.claims,
          [conversationId]: {
            conversationId,
            reservationId,
            channel,
            queueId,
            units,
            forced,
            holding: 'assigned',
            conversationRevision,
            since: at,
          },
        },
        lastAssignedAt: at,
      };
    }
    case 'AgentCapacityBlockedForWrapUp': {
      const claim = state.claims[event.data.conversationId];
      if (!claim) return state;
      return {
        ...state,
        claims: { ...state.claims, [claim.conversationId]: { ...claim, holding: 'wrap_up', blockedUntil: event.data.until } },
      };
    }
    case 'AgentCapacityReleased':
      return { ...state, claims: without(state.claims, event.data.conversationId) };
    default: {
      const unknown: never = event;
      return unknown;
    }
  }
};

export const evolveAgentAll = (events: readonly AgentEvent[], from: AgentState = initialAgentState()): AgentState =>
  events.reduce(evolveAgent, from);
