import { CHANNELS, PRESENCES, type CapacityClaim, type Channel, type Presence, type RegisteredAgent } from '@lib/domain';
import type { Insertable, Kysely } from 'kysely';
import type { AgentClaimsTable, AgentQueuesTable, AgentsTable, ReadModelSchema } from '../database/read-model-schema';
import { checkedBoolean, checkedChoice, checkedInteger, checkedText } from './checked-values';
import { chunked, isoTime } from './conversation-fold';

/**
 * A registered agent as the tables hold it: the domain's state (so the projection folds with
 * the domain's evolveAgent and the queries count with its capacityUsage) plus what only the
 * tables keep.
 */
export interface StoredAgent {
  state: RegisteredAgent;
  registeredAt: string;
  /** Position of the event that added each queue the agent serves. */
  joinedPositions: ReadonlyMap<string, number>;
  /** Position of the last event of the agent's stream folded in. */
  position: number;
}

export interface AgentRows {
  agent: Insertable<AgentsTable>;
  queues: Insertable<AgentQueuesTable>[];
  claims: Insertable<AgentClaimsTable>[];
}

const IDS_PER_LOOKUP = 500;
const HOLDINGS: readonly CapacityClaim['holding'][] = ['assigned', 'wrap_up'];

/** The stored agents of these ids (unregistered ones are absent); queue ids in join order. */
export async function loadStoredAgents(db: Kysely<ReadModelSchema>, agentIds: readonly string[]): Promise<Map<string, StoredAgent>> {
  const agents = new Map<string, StoredAgent>();
  for (const chunk of chunked(agentIds, IDS_PER_LOOKUP)) {
    const [agentRows, queueRows, claimRows] = await Promise.all([
      db.selectFrom('agents').selectAll().where('agent_id', 'in', chunk).execute(),
      db
        .selectFrom('agent_queues')
        .selectAll()
        .where('agent_id', 'in', chunk)
        // Queues added by one event (a registration) joined together: among them, id order.
        .orderBy('agent_id')
        .orderBy('joined_position')
        .orderBy('queue_id')
        .execute(),
      db.selectFrom('agent_claims').selectAll().where('agent_id', 'in', chunk).execute(),
    ]);
    for (const row of agentRows) {
      const state: RegisteredAgent = {
        status: 'registered',
        id: row.agent_id,
        capacity: Number(row.capacity),
        queueIds: [],
        presence: row.presence as Presence,
        presenceSince: row.presence_since,
        claims: {},
      };
      if (row.last_assigned_at !== null) state.lastAssignedAt = row.last_assigned_at;
      agents.set(row.agent_id, { state, registeredAt: row.registered_at, joinedPositions: new Map(), position: Number(row.position) });
    }
    for (const row of queueRows) {
      const agent = agents.get(row.agent_id);
      if (agent === undefined) continue;
      agent.state.queueIds.push(row.queue_id);
      (agent.joinedPositions as Map<string, number>).set(row.queue_id, Number(row.joined_position));
    }
    for (const row of claimRows) {
      const agent = agents.get(row.agent_id);
      if (agent === undefined) continue;
      const claim: CapacityClaim = {
        conversationId: row.conversation_id,
        channel: row.channel as Channel,
        queueId: row.queue_id,
        units: Number(row.units),
        forced: Number(row.forced) === 1,
        holding: row.holding as CapacityClaim['holding'],
        conversationRevision: Number(row.conversation_revision),
        reservationId: row.reservation_id,
        since: row.since,
      };
      if (row.blocked_until !== null) claim.blockedUntil = row.blocked_until;
      agent.state.claims[row.conversation_id] = claim;
    }
  }
  return agents;
}

/** The rows of one agent, every value checked and every time normalised (so text order is time order). */
export function agentRows(agentId: string, stored: StoredAgent): AgentRows {
  const { state } = stored;
  const where = `agent ${agentId}`;
  const agent: Insertable<AgentsTable> = {
    agent_id: agentId,
    capacity: checkedInteger(state.capacity, `capacity of ${where}`, 0),
    presence: checkedChoice(state.presence, PRESENCES, `presence of ${where}`),
    presence_since: isoTime(state.presenceSince, `presence time of ${where}`),
    registered_at: isoTime(stored.registeredAt, `registration time of ${where}`),
    last_assigned_at: state.lastAssignedAt === undefined ? null : isoTime(state.lastAssignedAt, `last assignment time of ${where}`),
    position: stored.position,
  };
  const queues = state.queueIds.map((queueId): Insertable<AgentQueuesTable> => {
    const joined = stored.joinedPositions.get(queueId);
    if (joined === undefined) throw new Error(`Queue ${queueId} of ${where} has no join position`);
    return { agent_id: agentId, queue_id: checkedText(queueId, `queue id of ${where}`), joined_position: joined };
  });
  const claims = Object.values(state.claims).map((claim): Insertable<AgentClaimsTable> => {
    const of = `claim of conversation ${claim.conversationId} on ${where}`;
    return {
      agent_id: agentId,
      conversation_id: checkedText(claim.conversationId, `conversation id of a claim on ${where}`),
      channel: checkedChoice(claim.channel, CHANNELS, `channel of ${of}`),
      queue_id: checkedText(claim.queueId, `queue id of ${of}`),
      units: checkedInteger(claim.units, `units of ${of}`, 0),
      forced: checkedBoolean(claim.forced, `forced flag of ${of}`) ? 1 : 0,
      holding: checkedChoice(claim.holding, HOLDINGS, `holding of ${of}`),
      blocked_until: claim.blockedUntil === undefined ? null : isoTime(claim.blockedUntil, `blocked-until time of ${of}`),
      since: isoTime(claim.since, `time of ${of}`),
      conversation_revision: checkedInteger(claim.conversationRevision, `conversation revision of ${of}`, 0),
      reservation_id: checkedText(claim.reservationId, `reservation id of ${of}`),
    };
  });
  return { agent, queues, claims };
}
