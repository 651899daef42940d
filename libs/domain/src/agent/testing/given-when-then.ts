/**
 * Given / when / then for the agent decider, with the conversation specs' fixed clock (times
 * are minutes after T0), so spec cases read as documentation:
 *
 *   given(registered(2, [QUEUE]), reserved(1, { conversationRevision: 3 }))
 *     .when(settle(5, standing('wrap_up', 4, { agentId: AGENT })))
 *     .then([blockedForWrapUp(5)])
 *
 * Test-only: nothing in production imports this file.
 */
import { agent, system, type Actor } from '../../shared/actor';
import type { Channel } from '../../conversation/conversation.channel';
import { at } from '../../conversation/testing/given-when-then';
import type { AgentCommand, ConversationStanding } from '../agent.commands';
import { decideAgent } from '../agent.decide';
import { AgentError, type AgentErrorCode } from '../agent.errors';
import type { AgentEvent, AgentEventType, AgentFact } from '../agent.events';
import type { Presence, ReservationPurpose } from '../agent.presence';
import { evolveAgentAll, type AgentState, type RegisteredAgent } from '../agent.state';
import { DEFAULT_CAPACITY_POLICY, type CapacityPolicy } from '../capacity.policy';

export { at, T0, MINUTE, justBefore } from '../../conversation/testing/given-when-then';

// ---------------------------------------------------------------------------------------------
// Names
// ---------------------------------------------------------------------------------------------

/** The agent whose stream every case decides on. */
export const AGENT = 'agent-a';
export const OTHER_AGENT = 'agent-b';
export const QUEUE = 'queue-a';
export const OTHER_QUEUE = 'queue-b';
export const THIRD_QUEUE = 'queue-c';
export const CONVERSATION = 'conversation-1';
/** The request (conversation command id) a reservation is made by, unless a case names another. */
export const REQUEST = 'request-1';
export const OTHER_REQUEST = 'request-2';
export const OTHER_CONVERSATION = 'conversation-2';
export const THIRD_CONVERSATION = 'conversation-3';
export const SELF: Actor = agent(AGENT);
export const ADMIN: Actor = { kind: 'supervisor', id: 'supervisor-1' };
export const ROUTING: Actor = system('routing');
/** The actor of everything the decider writes on its own account (cancel and settle). */
export const CAPACITY_KEEPER: Actor = system('capacity');

// ---------------------------------------------------------------------------------------------
// Events
// ---------------------------------------------------------------------------------------------

type EventOf<T extends AgentEventType> = Extract<AgentEvent, { type: T }>;
type OwnData<T extends AgentEventType> = Omit<EventOf<T>['data'], keyof AgentFact>;

/** Any agent event written out in full: type, minute after T0, actor, reason and its own data. */
export const agentEvent = <T extends AgentEventType>(type: T, minute: number, by: Actor, reason: string, data: OwnData<T>): EventOf<T> =>
  ({ type, data: { agentId: AGENT, at: at(minute), by, reason, ...data } }) as unknown as EventOf<T>;

export const registered = (
  capacity: number,
  queueIds: string[] = [QUEUE],
  presence: Presence = 'available',
  minute = 0,
  by: Actor = ADMIN,
) => agentEvent('AgentRegistered', minute, by, 'agent_registered', { capacity, queueIds, presence });
export const capacityChanged = (capacity: number, previous: number, minute: number, by: Actor = ADMIN) =>
  agentEvent('AgentCapacityChanged', minute, by, 'capacity_changed', { capacity, previous });
export const joinedQueue = (queueId: string, minute: number, by: Actor = ADMIN) =>
  agentEvent('AgentJoinedQueue', minute, by, 'agent_joined_queue', { queueId });
export const leftQueue = (queueId: string, minute: number, by: Actor = ADMIN) =>
  agentEvent('AgentLeftQueue', minute, by, 'agent_left_queue', { queueId });
export const presenceChanged = (presence: Presence, previous: Presence, minute: number, by: Actor = SELF) =>
  agentEvent('AgentPresenceChanged', minute, by, 'presence_set', { presence, previous });

export interface ReservationFacts {
  conversationId?: string;
  reservationId?: string;
  channel?: Channel;
  queueId?: string;
  purpose?: ReservationPurpose;
  conversationRevision?: number;
  units?: number;
  by?: Actor;
}
const reservationDefaults = (f: ReservationFacts) => ({
  conversationId: f.conversationId ?? CONVERSATION,
  reservationId: f.reservationId ?? REQUEST,
  channel: f.channel ?? 'sms',
  queueId: f.queueId ?? QUEUE,
  purpose: f.purpose ?? 'pick',
  conversationRevision: f.conversationRevision ?? 1,
  by: f.by ?? SELF,
});
/** The reason the decider writes for a reservation of this purpose. */
export const reservationReason = (purpose: ReservationPurpose) =>
  purpose === 'forced' ? 'forced_assignment' : `${purpose}_reserved_capacity`;
/** AgentCapacityReserved as the decider writes it (units 1: the default policy). */
export const reserved = (minute: number, facts: ReservationFacts = {}) => {
  const { conversationId, reservationId, channel, queueId, purpose, conversationRevision, by } = reservationDefaults(facts);
  return agentEvent('AgentCapacityReserved', minute, by, reservationReason(purpose), {
    conversationId,
    reservationId,
    channel,
    queueId,
    units: facts.units ?? 1,
    purpose,
    forced: purpose === 'forced',
    conversationRevision,
  });
};
export const blockedForWrapUp = (
  minute: number,
  facts: { conversationId?: string; units?: number; until?: string; reason?: string } = {},
) =>
  agentEvent('AgentCapacityBlockedForWrapUp', minute, CAPACITY_KEEPER, facts.reason ?? 'wrap_up_blocks_until_closed', {
    conversationId: facts.conversationId ?? CONVERSATION,
    units: facts.units ?? 1,
    ...(facts.until !== undefined ? { until: facts.until } : {}),
  });
export const capacityReleased = (minute: number, reason: string, facts: { conversationId?: string; units?: number } = {}) =>
  agentEvent('AgentCapacityReleased', minute, CAPACITY_KEEPER, reason, {
    conversationId: facts.conversationId ?? CONVERSATION,
    units: facts.units ?? 1,
  });

// ---------------------------------------------------------------------------------------------
// Commands (time as minutes after T0, in metadata.now)
// ---------------------------------------------------------------------------------------------

const meta = (minute: number) => ({ now: at(minute) });

export const register = (capacity: number, queueIds: string[], minute: number, presence?: Presence, by: Actor = ADMIN): AgentCommand => ({
  type: 'RegisterAgent',
  data: { agentId: AGENT, capacity, queueIds, ...(presence !== undefined ? { presence } : {}), by },
  metadata: meta(minute),
});
export const changePresence = (presence: Presence, minute: number, by: Actor = SELF): AgentCommand => ({
  type: 'ChangePresence',
  data: { presence, by },
  metadata: meta(minute),
});
export const reserve = (minute: number, facts: ReservationFacts = {}): AgentCommand => ({
  type: 'ReserveCapacity',
  data: reservationDefaults(facts),
  metadata: meta(minute),
});
/** Cancels what request `reservationId` (default REQUEST) reserved at `conversationRevision`. */
export const cancel = (
  minute: number,
  conversationRevision: number,
  conversationId = CONVERSATION,
  reservationId = REQUEST,
): AgentCommand => ({ type: 'CancelReservation', data: { conversationId, reservationId, conversationRevision }, metadata: meta(minute) });
export const settle = (minute: number, conversation: ConversationStanding, orphanAfterMs?: number): AgentCommand => ({
  type: 'SettleCapacity',
  data: orphanAfterMs === undefined ? { conversation } : { conversation, orphanAfterMs },
  metadata: meta(minute),
});

/** Where a conversation stands at `revision`: `agentId` etc. only when given. */
export const standing = (
  status: ConversationStanding['status'],
  revision: number,
  facts: Omit<Partial<ConversationStanding>, 'status' | 'revision'> = {},
): ConversationStanding => ({ conversationId: CONVERSATION, revision, status, ...facts });

// ---------------------------------------------------------------------------------------------
// given / when / then
// ---------------------------------------------------------------------------------------------

/** Runs decide and returns what it threw (fails the test if it did not throw an AgentError). */
export const agentRefusalOf = (run: () => unknown): AgentError => {
  let result: unknown;
  try {
    result = run();
  } catch (error) {
    if (error instanceof AgentError) return error;
    throw error;
  }
  throw new Error(`Expected an AgentError, but decideAgent returned ${JSON.stringify(result)}`);
};

export const registeredState = (state: AgentState): RegisteredAgent => {
  if (state.status !== 'registered') throw new Error('expected a registered agent');
  return state;
};

export const given = (...history: AgentEvent[]) => {
  const state = evolveAgentAll(history);
  const withPolicy = (policy: CapacityPolicy = DEFAULT_CAPACITY_POLICY) => ({
    when: (command: AgentCommand) => ({
      /** Exactly these events (deep equality); returns the state after folding them. */
      then: (expected: AgentEvent[]): AgentState => {
        const events = decideAgent(command, state, AGENT, policy);
        expect(events).toEqual(expected);
        return evolveAgentAll(events, state);
      },
      /** Refused with this code and exactly these details (when given). */
      thenThrows: (code: AgentErrorCode, details?: Record<string, unknown>): AgentError => {
        const error = agentRefusalOf(() => decideAgent(command, state, AGENT, policy));
        expect(error.code).toBe(code);
        expect(error.agentId).toBe(AGENT);
        if (details !== undefined) expect(error.details).toEqual(details);
        return error;
      },
    }),
  });
  return { state, withPolicy, ...withPolicy() };
};

/** A policy with these units per channel (others 1) and these wrap-up blocks (others always). */
export const policyWith = (
  units: Partial<CapacityPolicy['unitsPerConversation']> = {},
  wrapUp: Partial<CapacityPolicy['wrapUpBlock']> = {},
): CapacityPolicy => ({
  unitsPerConversation: { ...DEFAULT_CAPACITY_POLICY.unitsPerConversation, ...units },
  wrapUpBlock: { ...DEFAULT_CAPACITY_POLICY.wrapUpBlock, ...wrapUp },
});
