import { system, type Actor } from '../shared/actor';
import { millisBetween, type IsoTime } from '../shared/time';
import type { AgentCommand, ConversationStanding, RegisterAgent, ReserveCapacity, SettleCapacity } from './agent.commands';
import { AgentError } from './agent.errors';
import { validateAgentCommand } from './agent.validation';
import type { AgentEvent, AgentFact } from './agent.events';
import { presenceAllows, presencesAllowing, type ReservationPurpose } from './agent.presence';
import { capacityUsage, claimCounts, without, type CapacityClaim, type RegisteredAgent, type AgentState } from './agent.state';
import { DEFAULT_CAPACITY_POLICY, type CapacityPolicy } from './capacity.policy';

const CAPACITY_KEEPER = system('capacity');

/**
 * Decides what an agent command does to the agent's stream. Pure: time comes in as
 * command.metadata.now. Reservations are where "never above capacity" is enforced: the
 * store's expected-revision check makes two reservations on one agent serial.
 */
export const decideAgent = (
  command: AgentCommand,
  state: AgentState,
  agentId: string,
  policy: CapacityPolicy = DEFAULT_CAPACITY_POLICY,
): AgentEvent[] => {
  validateAgentCommand(command);
  const now = command.metadata.now;
  const fact = (by: Actor, reason: string): AgentFact => ({ agentId, at: now, by, reason });
  if (command.type === 'RegisterAgent') return register(command, state, fact);
  if (state.status !== 'registered') {
    if (command.type === 'CancelReservation' || command.type === 'SettleCapacity') return [];
    throw new AgentError('AGENT.NOT_FOUND', `Agent ${agentId} is not registered; register it with POST /api/agents first`, agentId);
  }
  switch (command.type) {
    case 'ChangePresence': {
      const { presence, by } = command.data;
      if (presence === state.presence) return [];
      return [{ type: 'AgentPresenceChanged', data: { ...fact(by, 'presence_set'), presence, previous: state.presence } }];
    }
    case 'ReserveCapacity':
      return reserve(command, state, fact, policy);
    case 'CancelReservation': {
      const { conversationId, reservationId, conversationRevision } = command.data;
      const claim = state.claims[conversationId];
      const ours =
        claim?.holding === 'assigned' && claim.reservationId === reservationId && claim.conversationRevision === conversationRevision;
      if (!claim || !ours) return [];
      return [released(claim, fact(CAPACITY_KEEPER, 'assignment_failed_reservation_cancelled'))];
    }
    case 'SettleCapacity':
      return settle(command, state, fact, policy);
    default: {
      const unknown: never = command;
      return unknown;
    }
  }
};

const register = (command: RegisterAgent, state: AgentState, fact: (by: Actor, reason: string) => AgentFact): AgentEvent[] => {
  const { capacity, presence, by } = command.data;
  const queueIds = [...new Set(command.data.queueIds)];
  if (state.status !== 'registered') {
    return [{ type: 'AgentRegistered', data: { ...fact(by, 'agent_registered'), capacity, queueIds, presence: presence ?? 'offline' } }];
  }
  const events: AgentEvent[] = [];
  if (capacity !== state.capacity) {
    events.push({ type: 'AgentCapacityChanged', data: { ...fact(by, 'capacity_changed'), capacity, previous: state.capacity } });
  }
  for (const queueId of state.queueIds.filter((id) => !queueIds.includes(id))) {
    events.push({ type: 'AgentLeftQueue', data: { ...fact(by, 'agent_left_queue'), queueId } });
  }
  for (const queueId of queueIds.filter((id) => !state.queueIds.includes(id))) {
    events.push({ type: 'AgentJoinedQueue', data: { ...fact(by, 'agent_joined_queue'), queueId } });
  }
  if (presence !== undefined && presence !== state.presence) {
    events.push({ type: 'AgentPresenceChanged', data: { ...fact(by, 'presence_set'), presence, previous: state.presence } });
  }
  return events;
};

const reserve = (
  command: ReserveCapacity,
  agent: RegisteredAgent,
  fact: (by: Actor, reason: string) => AgentFact,
  policy: CapacityPolicy,
): AgentEvent[] => {
  const { conversationId, reservationId, channel, queueId, purpose, conversationRevision, by } = command.data;
  const now = command.metadata.now;
  const existing = agent.claims[conversationId];
  if (existing) {
    // Made for an older revision than the claim's: its conversation write cannot land any more.
    if (existing.conversationRevision > conversationRevision) return [];
    if (existing.conversationRevision === conversationRevision) {
      // A claim already settled past its assignment: that write landed.
      if (existing.holding !== 'assigned') return [];
      // The same request again (a retry after a crash or a lost answer). Retried later, its
      // reservation is renewed as it was made, so the reconciler does not take it for the orphan
      // of a crash while the retry's conversation write is on its way; at the same instant it
      // writes nothing, so repeating a command never writes twice.
      if (existing.reservationId === reservationId) {
        return Date.parse(existing.since) < Date.parse(now) ? [renewed(existing, purpose, fact(by, `${purpose}_reservation_renewed`))] : [];
      }
      // Another request is assigning this conversation to this agent right now: one of the two
      // writes will land, so this one must neither borrow that reservation nor replace it.
      throw new AgentError(
        'AGENT.ASSIGNMENT_IN_PROGRESS',
        `Conversation ${conversationId} is being assigned to agent ${agent.id} by another request; read the conversation and retry if it is still open`,
        agent.id,
        { conversationId },
      );
    }
  }
  if ((purpose === 'pick' || purpose === 'push') && !agent.queueIds.includes(queueId)) {
    throw new AgentError(
      'AGENT.NOT_IN_QUEUE',
      `Agent ${agent.id} does not serve queue ${queueId} (serves: ${agent.queueIds.join(', ') || 'no queue'}); add the queue to the agent first`,
      agent.id,
      { queueId, queueIds: agent.queueIds },
    );
  }
  if (!presenceAllows(agent.presence, purpose)) {
    const allowed = presencesAllowing(purpose);
    throw new AgentError(
      'AGENT.PRESENCE_DOES_NOT_ALLOW_WORK',
      `Agent ${agent.id} is ${agent.presence}; to ${purpose} work the presence must be one of: ${allowed.join(', ')}`,
      agent.id,
      { presence: agent.presence, allowedPresences: allowed, purpose },
    );
  }
  const units = policy.unitsPerConversation[channel];
  // Capacity this conversation already holds on the agent is not taken twice.
  const usage = capacityUsage({ ...agent, claims: without(agent.claims, conversationId) }, now);
  const forced = purpose === 'forced';
  if (!forced && units > usage.free) {
    throw new AgentError(
      'AGENT.NO_FREE_CAPACITY',
      `Agent ${agent.id} has ${usage.free} free capacity unit(s) of ${agent.capacity} (used ${usage.used}, blocked by wrap-up ${usage.blocked}); a ${channel} conversation needs ${units}`,
      agent.id,
      { ...usage, needed: units, channel },
    );
  }
  const reason = forced ? 'forced_assignment' : `${purpose}_reserved_capacity`;
  return [
    {
      type: 'AgentCapacityReserved',
      data: { ...fact(by, reason), conversationId, reservationId, channel, queueId, units, purpose, forced, conversationRevision },
    },
  ];
};

const renewed = (claim: CapacityClaim, purpose: ReservationPurpose, fact: AgentFact): AgentEvent => {
  const { conversationId, reservationId, channel, queueId, units, forced, conversationRevision } = claim;
  return {
    type: 'AgentCapacityReserved',
    data: { ...fact, conversationId, reservationId, channel, queueId, units, purpose, forced, conversationRevision },
  };
};

const released = (claim: CapacityClaim, fact: AgentFact): AgentEvent => ({
  type: 'AgentCapacityReleased',
  data: { ...fact, conversationId: claim.conversationId, units: claim.units },
});

const settle = (
  command: SettleCapacity,
  agent: RegisteredAgent,
  fact: (by: Actor, reason: string) => AgentFact,
  policy: CapacityPolicy,
): AgentEvent[] => {
  const { conversation, orphanAfterMs } = command.data;
  const now = command.metadata.now;
  const claim = agent.claims[conversation.conversationId];
  if (!claim) return [];
  const release = (reason: string) => [released(claim, fact(CAPACITY_KEEPER, reason))];
  const heldByThisAgent = conversation.agentId === agent.id;
  if (conversation.revision < claim.conversationRevision) {
    // The conversation has not (yet) recorded the assignment this claim was reserved for. If the
    // agent holds it anyway (an earlier assignment), the claim is theirs whatever comes of that write.
    const orphaned =
      orphanAfterMs !== undefined &&
      claim.holding === 'assigned' &&
      !(heldByThisAgent && conversation.status === 'active') &&
      millisBetween(claim.since, now) >= orphanAfterMs;
    return orphaned ? release('orphan_reservation_reconciled') : [];
  }
  switch (conversation.status) {
    case 'active':
      return heldByThisAgent ? [] : release('conversation_moved_to_another_agent');
    case 'wrap_up':
      return heldByThisAgent
        ? wrapUpBlock(claim, conversation, now, policy, fact, release)
        : release('conversation_moved_to_another_agent');
    case 'closed': {
      // A fixed wrap-up block outlives a close by a timer or a supervisor, not the agent's own close.
      const blockRunning = claim.holding === 'wrap_up' && claim.blockedUntil !== undefined && claimCounts(claim, now);
      return blockRunning && !conversation.closedByAgent ? [] : release('conversation_closed');
    }
    case 'open':
      return release('conversation_returned_to_queue');
    case 'waiting':
      return release('conversation_waiting');
    case 'none':
      return release('conversation_not_found');
    default: {
      const unknown: never = conversation.status;
      return unknown;
    }
  }
};

const wrapUpBlock = (
  claim: CapacityClaim,
  conversation: ConversationStanding,
  now: IsoTime,
  policy: CapacityPolicy,
  fact: (by: Actor, reason: string) => AgentFact,
  release: (reason: string) => AgentEvent[],
): AgentEvent[] => {
  const block = policy.wrapUpBlock[claim.channel];
  if (block.kind === 'never') return release('wrap_up_does_not_block_capacity');
  if (claim.holding === 'wrap_up') {
    return claimCounts(claim, now) ? [] : release('wrap_up_block_elapsed');
  }
  const { conversationId, units } = claim;
  if (block.kind === 'always') {
    return [
      { type: 'AgentCapacityBlockedForWrapUp', data: { ...fact(CAPACITY_KEEPER, 'wrap_up_blocks_until_closed'), conversationId, units } },
    ];
  }
  const startedAt = conversation.statusSince ?? now;
  const until = new Date(Date.parse(startedAt) + block.ms).toISOString();
  if (Date.parse(until) <= Date.parse(now)) return release('wrap_up_block_elapsed');
  return [
    {
      type: 'AgentCapacityBlockedForWrapUp',
      data: { ...fact(CAPACITY_KEEPER, `wrap_up_blocks_for_${block.ms}ms`), conversationId, units, until },
    },
  ];
};
