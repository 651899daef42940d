import { capacityUsage, type AssignmentMethod, type Channel, type ConversationStatus, type QueueMode } from '@lib/domain';
import type { Kysely, Selectable } from 'kysely';
import type { ReadModelDatabase } from '../database/read-model-database';
import type { QueuesTable, ReadModelSchema } from '../database/read-model-schema';
import { runInReadSnapshot } from '../database/read-snapshot';
import { loadStoredAgents, type StoredAgent } from '../projections/agent-rows';
import { chunked } from '../projections/conversation-fold';
import type {
  AgentCapacity,
  AgentClaim,
  OpenQueueItem,
  Page,
  PageRequest,
  PushQueue,
  QueueOverview,
  ServingAgent,
} from '../read-models.types';
import { decodeCursor, encodeCursor, requireId, resolvePage, resolvePageLimit, resolveTime, toPage } from './pagination';
import { countConversationsByQueueAndStatus } from './queue-status-counts';

const STATUSES: readonly ConversationStatus[] = ['open', 'active', 'waiting', 'wrap_up', 'closed'];
const IDS_PER_LOOKUP = 500;

/**
 * What work distribution reads: the capacity board (every agent's capacity as of a given
 * `now`), the queue list, and the push router's inputs. Capacity is counted by the domain's
 * own capacityUsage over the stored claims, so the board and the agent decider never disagree
 * on what is free. Every answer built from several tables is read on one snapshot.
 */
export class WorkDistributionQueries {
  constructor(private readonly database: ReadModelDatabase) {}

  /** Every registered agent's capacity as of `now`, by agent id. */
  async capacityBoard(now: string, page?: PageRequest): Promise<Page<AgentCapacity>> {
    const asOf = resolveTime(now, 'now');
    const { limit, cursor } = resolvePage(page);
    const after = cursor === undefined ? undefined : (decodeCursor('capacityBoard', cursor, 's')[0] as string);
    return runInReadSnapshot(this.database, async (db) => {
      const rows = await db
        .selectFrom('agents')
        .select('agent_id')
        .$if(after !== undefined, (query) => query.where('agent_id', '>', after as string))
        .orderBy('agent_id')
        .limit(limit + 1)
        .execute();
      const agents = await loadStoredAgents(
        db,
        rows.slice(0, limit).map((row) => row.agent_id),
      );
      return toPage(
        rows,
        limit,
        (row) => toAgentCapacity(agents.get(row.agent_id) as StoredAgent, asOf),
        (row) => encodeCursor('capacityBoard', [row.agent_id]),
      );
    });
  }

  /** Agents holding at least one claim (the reconciler checks each against the agent's stream). */
  async agentsWithClaims(): Promise<string[]> {
    const rows = await this.database.db.selectFrom('agent_claims').select('agent_id').distinct().orderBy('agent_id').execute();
    return rows.map((row) => row.agent_id);
  }

  /** One agent's capacity as of `now`; undefined when it is not registered (or not projected yet). */
  async agentCapacity(agentId: string, now: string): Promise<AgentCapacity | undefined> {
    requireId(agentId, 'agentId');
    const asOf = resolveTime(now, 'now');
    const agents = await runInReadSnapshot(this.database, (db) => loadStoredAgents(db, [agentId]));
    const agent = agents.get(agentId);
    return agent === undefined ? undefined : toAgentCapacity(agent, asOf);
  }

  /** Every defined queue, highest priority first (then by id), with its live conversations and agents counted. */
  async queues(page?: PageRequest): Promise<Page<QueueOverview>> {
    const { limit, cursor } = resolvePage(page);
    const after = cursor === undefined ? undefined : (decodeCursor('queues', cursor, 'ns') as [number, string]);
    return runInReadSnapshot(this.database, async (db) => {
      let query = db.selectFrom('queues').selectAll();
      if (after !== undefined) {
        const [priority, queueId] = after;
        query = query.where((eb) =>
          eb.or([eb('priority', '<', priority), eb.and([eb('priority', '=', priority), eb('queue_id', '>', queueId)])]),
        );
      }
      const rows = await query
        .orderBy('priority', 'desc')
        .orderBy('queue_id', 'asc')
        .limit(limit + 1)
        .execute();
      const overviews = await queueOverviews(db, rows.slice(0, limit));
      return toPage(
        rows,
        limit,
        (row) => overviews.get(row.queue_id) as QueueOverview,
        (row) => encodeCursor('queues', [Number(row.priority), row.queue_id]),
      );
    });
  }

  /** One queue; undefined when it is not defined (or not projected yet). */
  async queue(queueId: string): Promise<QueueOverview | undefined> {
    requireId(queueId, 'queueId');
    return runInReadSnapshot(this.database, async (db) => {
      const row = await db.selectFrom('queues').selectAll().where('queue_id', '=', queueId).executeTakeFirst();
      return row === undefined ? undefined : (await queueOverviews(db, [row])).get(queueId);
    });
  }

  /** The push queues in the order the router serves them: priority desc, then queue id. */
  async pushQueues(): Promise<PushQueue[]> {
    const rows = await this.database.db
      .selectFrom('queues')
      .select(['queue_id', 'priority', 'method'])
      .where('mode', '=', 'push' satisfies QueueMode)
      .orderBy('priority', 'desc')
      .orderBy('queue_id', 'asc')
      .execute();
    return rows.map((row) => ({ queueId: row.queue_id, priority: Number(row.priority), method: row.method as AssignmentMethod }));
  }

  /**
   * The first `limit` open conversations of these queues in routing order: the queue's priority
   * desc, then the item's priority desc, longest waiting, conversation id. Queues that are not
   * defined have no priority to be ordered by and are left out.
   *
   * Read queue by queue, each through the queue index with at most `limit` rows, highest
   * priority tier first, stopping once the higher tiers fill the answer: the cost is bounded by
   * queues × limit, not by how many items are waiting.
   */
  async openItems(queueIds: readonly string[], limit: number): Promise<OpenQueueItem[]> {
    const ids = [...new Set(queueIds.map((queueId) => requireId(queueId, 'queueIds[]')))];
    const wanted = resolvePageLimit(limit);
    if (ids.length === 0) return [];
    return runInReadSnapshot(this.database, async (db) => {
      const tiers = new Map<number, string[]>();
      for (const chunk of chunked(ids, IDS_PER_LOOKUP)) {
        const rows = await db.selectFrom('queues').select(['queue_id', 'priority']).where('queue_id', 'in', chunk).execute();
        for (const row of rows) {
          const priority = Number(row.priority);
          tiers.set(priority, [...(tiers.get(priority) ?? []), row.queue_id]);
        }
      }
      const items: OpenQueueItem[] = [];
      for (const priority of [...tiers.keys()].sort((a, b) => b - a)) {
        const remaining = wanted - items.length;
        if (remaining <= 0) break;
        const tier: OpenQueueItem[] = [];
        for (const queueId of tiers.get(priority) as string[]) tier.push(...(await openItemsOfQueue(db, queueId, remaining)));
        items.push(...tier.sort(byRoutingOrder).slice(0, remaining));
      }
      return items;
    });
  }

  /**
   * The agents serving any of these queues (by agent id), with their capacity as of `now` and
   * every queue each serves (in join order), whatever their presence: the router decides who
   * is eligible.
   */
  async agentsServing(queueIds: readonly string[], now: string): Promise<ServingAgent[]> {
    const ids = [...new Set(queueIds.map((queueId) => requireId(queueId, 'queueIds[]')))];
    const asOf = resolveTime(now, 'now');
    if (ids.length === 0) return [];
    return runInReadSnapshot(this.database, async (db) => {
      const agentIds = new Set<string>();
      for (const chunk of chunked(ids, IDS_PER_LOOKUP)) {
        const rows = await db.selectFrom('agent_queues').select('agent_id').distinct().where('queue_id', 'in', chunk).execute();
        for (const row of rows) agentIds.add(row.agent_id);
      }
      const agents = await loadStoredAgents(db, [...agentIds]);
      return [...agents.keys()].sort(compareText).map((agentId) => {
        const { claims: _claims, ...serving } = toAgentCapacity(agents.get(agentId) as StoredAgent, asOf);
        return serving;
      });
    });
  }
}

/**
 * Code-unit order: the same in every process, whatever collation the database orders text by.
 * It only decides between items of different queues of one tier at the same priority and
 * the same millisecond, and between agents.
 */
const compareText = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

const byRoutingOrder = (a: OpenQueueItem, b: OpenQueueItem): number =>
  b.priority - a.priority || compareText(a.statusSince, b.statusSince) || compareText(a.conversationId, b.conversationId);

async function openItemsOfQueue(db: Kysely<ReadModelSchema>, queueId: string, limit: number): Promise<OpenQueueItem[]> {
  const rows = await db
    .selectFrom('conversation_views')
    .select(['conversation_id', 'queue_id', 'channel', 'priority', 'status_since'])
    .where('queue_id', '=', queueId)
    .where('status', '=', 'open')
    .orderBy('priority', 'desc')
    .orderBy('status_since', 'asc')
    .orderBy('conversation_id', 'asc')
    .limit(limit)
    .execute();
  return rows.map((row) => ({
    conversationId: row.conversation_id,
    queueId: row.queue_id,
    channel: row.channel as Channel,
    priority: Number(row.priority),
    statusSince: row.status_since,
  }));
}

async function queueOverviews(db: Kysely<ReadModelSchema>, rows: Selectable<QueuesTable>[]): Promise<Map<string, QueueOverview>> {
  const queueIds = rows.map((row) => row.queue_id);
  const counts = await countConversationsByQueueAndStatus(db, queueIds, STATUSES);
  const agents = new Map<string, number>();
  if (queueIds.length > 0) {
    const agentRows = await db
      .selectFrom('agent_queues')
      .select((eb) => ['queue_id', eb.fn.countAll<number>().as('agents')])
      .where('queue_id', 'in', queueIds)
      .groupBy('queue_id')
      .execute();
    for (const row of agentRows) agents.set(row.queue_id, Number(row.agents));
  }
  return new Map(
    rows.map((row): [string, QueueOverview] => [
      row.queue_id,
      {
        queueId: row.queue_id,
        name: row.name,
        mode: row.mode as QueueMode,
        priority: Number(row.priority),
        method: row.method as AssignmentMethod,
        createdAt: row.created_at,
        ...(counts.get(row.queue_id) as Record<ConversationStatus, number>),
        agents: agents.get(row.queue_id) ?? 0,
      },
    ]),
  );
}

function toAgentCapacity({ state }: StoredAgent, now: string): AgentCapacity {
  const { capacity, used, blocked, free } = capacityUsage(state, now);
  const claims = Object.values(state.claims)
    .sort((a, b) => compareText(a.since, b.since) || compareText(a.conversationId, b.conversationId))
    .map((claim): AgentClaim => {
      const view: AgentClaim = {
        conversationId: claim.conversationId,
        channel: claim.channel,
        queueId: claim.queueId,
        units: claim.units,
        holding: claim.holding,
        forced: claim.forced,
        since: claim.since,
      };
      if (claim.blockedUntil !== undefined) view.blockedUntil = claim.blockedUntil;
      return view;
    });
  const agent: AgentCapacity = {
    agentId: state.id,
    capacity,
    presence: state.presence,
    presenceSince: state.presenceSince,
    queueIds: [...state.queueIds],
    used,
    blocked,
    free,
    forcedOver: used + blocked > capacity,
    claims,
  };
  if (state.lastAssignedAt !== undefined) agent.lastAssignedAt = state.lastAssignedAt;
  return agent;
}
