import type { Channel, ConversationStatus } from '@lib/domain';
import type { Selectable } from 'kysely';
import type { ReadModelDatabase } from '../database/read-model-database';
import type { ConversationViewsTable } from '../database/read-model-schema';
import type {
  AuditEntry,
  AuditQuery,
  ClosedWorkItem,
  ConversationDetail,
  MyWorkItem,
  Page,
  PageRequest,
  QueueStatusCounts,
  QueueWorkItem,
} from '../read-models.types';
import { decodeCursor, encodeCursor, requireId, resolvePage, resolveTime, toPage } from './pagination';
import { countConversationsByQueueAndStatus } from './queue-status-counts';

export const CLOSED_WORK_ITEMS_WINDOW_MS = 24 * 60 * 60 * 1000;

const HELD_STATUSES = ['active', 'waiting', 'wrap_up'] as const;
const STATUSES: readonly ConversationStatus[] = ['open', 'active', 'waiting', 'wrap_up', 'closed'];

/**
 * The read side: every list is keyset-paged (limit + opaque cursor), `now` always comes from
 * the caller. Reads only committed data, so a reader sees a view as of some checkpoint, never
 * half a batch.
 */
export class ReadModelQueries {
  constructor(private readonly database: ReadModelDatabase) {}

  private get db() {
    return this.database.db;
  }

  /** Open items of a queue in routing order: priority desc, then longest waiting (entered the queue first). */
  async queueWorkItems(queueId: string, page: PageRequest | undefined, now: string): Promise<Page<QueueWorkItem>> {
    requireId(queueId, 'queueId');
    const { limit, cursor } = resolvePage(page);
    const nowMs = Date.parse(resolveTime(now, 'now'));
    const list = `queueWorkItems:${queueId}`;
    let query = this.db
      .selectFrom('conversation_views')
      .select(['conversation_id', 'queue_id', 'channel', 'customer_id', 'priority', 'status_since', 'unread_customer_messages'])
      .where('queue_id', '=', queueId)
      .where('status', '=', 'open');
    if (cursor !== undefined) {
      const [priority, since, id] = decodeCursor(list, cursor, 'nss') as [number, string, string];
      query = query.where((eb) =>
        eb.or([
          eb('priority', '<', priority),
          eb.and([eb('priority', '=', priority), eb('status_since', '>', since)]),
          eb.and([eb('priority', '=', priority), eb('status_since', '=', since), eb('conversation_id', '>', id)]),
        ]),
      );
    }
    const rows = await query
      .orderBy('priority', 'desc')
      .orderBy('status_since', 'asc')
      .orderBy('conversation_id', 'asc')
      .limit(limit + 1)
      .execute();
    return toPage(
      rows,
      limit,
      (row): QueueWorkItem => ({
        conversationId: row.conversation_id,
        queueId: row.queue_id,
        channel: row.channel as Channel,
        customerId: row.customer_id,
        priority: Number(row.priority),
        queuedSince: row.status_since,
        waitMs: Math.max(0, nowMs - Date.parse(row.status_since)),
        unreadCustomerMessages: Number(row.unread_customer_messages),
      }),
      (row) => encodeCursor(list, [Number(row.priority), row.status_since, row.conversation_id]),
    );
  }

  /** Per queue (in queue id order), how many conversations are in each status. */
  async queueCounts(page?: PageRequest): Promise<Page<QueueStatusCounts>> {
    const { limit, cursor } = resolvePage(page);
    let queues = this.db.selectFrom('conversation_views').select('queue_id').distinct();
    if (cursor !== undefined) {
      const [after] = decodeCursor('queueCounts', cursor, 's') as [string];
      queues = queues.where('queue_id', '>', after);
    }
    const queueRows = await queues
      .orderBy('queue_id')
      .limit(limit + 1)
      .execute();
    const pageQueues = queueRows.slice(0, limit).map((row) => row.queue_id);
    const counts = await countConversationsByQueueAndStatus(this.db, pageQueues, STATUSES);
    return toPage(
      queueRows,
      limit,
      (row): QueueStatusCounts => ({ queueId: row.queue_id, ...(counts.get(row.queue_id) as Record<ConversationStatus, number>) }),
      (row) => encodeCursor('queueCounts', [row.queue_id]),
    );
  }

  /** An agent's active, waiting and wrap-up items, longest in their status first. */
  async myWorkItems(agentId: string, page?: PageRequest): Promise<Page<MyWorkItem>> {
    requireId(agentId, 'agentId');
    const { limit, cursor } = resolvePage(page);
    const list = `myWorkItems:${agentId}`;
    let query = this.db
      .selectFrom('conversation_views')
      .select(['conversation_id', 'status', 'status_since', 'channel', 'queue_id', 'customer_id', 'unread_customer_messages', 'assignment'])
      .where('agent_id', '=', agentId)
      .where('status', 'in', [...HELD_STATUSES]);
    if (cursor !== undefined) {
      const [since, id] = decodeCursor(list, cursor, 'ss') as [string, string];
      query = query.where((eb) =>
        eb.or([eb('status_since', '>', since), eb.and([eb('status_since', '=', since), eb('conversation_id', '>', id)])]),
      );
    }
    const rows = await query
      .orderBy('status_since', 'asc')
      .orderBy('conversation_id', 'asc')
      .limit(limit + 1)
      .execute();
    return toPage(
      rows,
      limit,
      (row): MyWorkItem => ({
        conversationId: row.conversation_id,
        status: row.status as MyWorkItem['status'],
        statusSince: row.status_since,
        channel: row.channel as Channel,
        queueId: row.queue_id,
        customerId: row.customer_id,
        unreadCustomerMessages: Number(row.unread_customer_messages),
        awaitingAcceptance: row.status === 'active' && row.assignment === 'awaiting_acceptance',
      }),
      (row) => encodeCursor(list, [row.status_since, row.conversation_id]),
    );
  }

  /** An agent's items closed in the 24 hours up to `now` (now - 24 h < closedAt <= now), most recently closed first. */
  async closedWorkItems(agentId: string, now: string, page?: PageRequest): Promise<Page<ClosedWorkItem>> {
    requireId(agentId, 'agentId');
    const { limit, cursor } = resolvePage(page);
    const until = resolveTime(now, 'now');
    const since = new Date(Date.parse(until) - CLOSED_WORK_ITEMS_WINDOW_MS).toISOString();
    const list = `closedWorkItems:${agentId}`;
    let query = this.db
      .selectFrom('closed_work_items')
      .selectAll()
      .where('agent_id', '=', agentId)
      .where('closed_at', '>', since)
      .where('closed_at', '<=', until);
    if (cursor !== undefined) {
      const [closedAt, id] = decodeCursor(list, cursor, 'ss') as [string, string];
      query = query.where((eb) =>
        eb.or([eb('closed_at', '<', closedAt), eb.and([eb('closed_at', '=', closedAt), eb('conversation_id', '<', id)])]),
      );
    }
    const rows = await query
      .orderBy('closed_at', 'desc')
      .orderBy('conversation_id', 'desc')
      .limit(limit + 1)
      .execute();
    return toPage(
      rows,
      limit,
      (row): ClosedWorkItem => ({
        conversationId: row.conversation_id,
        agentId: row.agent_id,
        channel: row.channel as Channel,
        queueId: row.queue_id,
        customerId: row.customer_id,
        closedAt: row.closed_at,
        closedBy: { kind: row.closed_by_kind, id: row.closed_by_id },
        closeReason: row.close_reason,
      }),
      (row) => encodeCursor(list, [row.closed_at, row.conversation_id]),
    );
  }

  /** Undefined when the conversation is unknown (or not projected yet). */
  async conversationDetail(conversationId: string): Promise<ConversationDetail | undefined> {
    requireId(conversationId, 'conversationId');
    const row = await this.db.selectFrom('conversation_views').selectAll().where('conversation_id', '=', conversationId).executeTakeFirst();
    return row === undefined ? undefined : toDetail(row);
  }

  /** Audit entries in log order, filtered by agent, conversation and time ([from, to)). */
  async audit(query: AuditQuery = {}): Promise<Page<AuditEntry>> {
    const { limit, cursor } = resolvePage(query);
    const after = cursor === undefined ? 0 : (decodeCursor('audit', cursor, 'n')[0] as number);
    const from = query.from === undefined ? undefined : resolveTime(query.from, 'from');
    const to = query.to === undefined ? undefined : resolveTime(query.to, 'to');
    if (query.agentId !== undefined) requireId(query.agentId, 'agentId');
    if (query.conversationId !== undefined) requireId(query.conversationId, 'conversationId');

    const base =
      query.agentId === undefined
        ? this.db.selectFrom('audit_index as i').where('i.position', '>', after)
        : this.db
            .selectFrom('audit_index_agents as a')
            .innerJoin('audit_index as i', 'i.position', 'a.position')
            .where('a.agent_id', '=', query.agentId)
            .where('a.position', '>', after);
    const rows = await base
      .select(['i.position', 'i.conversation_id', 'i.revision', 'i.type', 'i.at', 'i.actor_kind', 'i.actor_id', 'i.reason', 'i.agent_ids'])
      .$if(query.conversationId !== undefined, (q) => q.where('i.conversation_id', '=', query.conversationId as string))
      .$if(from !== undefined, (q) => q.where('i.at', '>=', from as string))
      .$if(to !== undefined, (q) => q.where('i.at', '<', to as string))
      .orderBy('i.position', 'asc')
      .limit(limit + 1)
      .execute();
    return toPage(
      rows,
      limit,
      (row): AuditEntry => ({
        position: Number(row.position),
        conversationId: row.conversation_id,
        revision: Number(row.revision),
        type: row.type,
        at: row.at,
        actorKind: row.actor_kind,
        actorId: row.actor_id,
        reason: row.reason,
        agentIds: JSON.parse(row.agent_ids) as string[],
      }),
      (row) => encodeCursor('audit', [Number(row.position)]),
    );
  }
}

function toDetail(row: Selectable<ConversationViewsTable>): ConversationDetail {
  const detail: ConversationDetail = {
    conversationId: row.conversation_id,
    status: row.status as ConversationStatus,
    channel: row.channel as Channel,
    queueId: row.queue_id,
    customerId: row.customer_id,
    priority: Number(row.priority),
    openedAt: row.opened_at,
    statusSince: row.status_since,
    unreadCustomerMessages: Number(row.unread_customer_messages),
    revision: Number(row.revision),
    position: Number(row.position),
  };
  if (row.agent_id !== null) detail.agentId = row.agent_id;
  if (row.last_agent_id !== null) detail.lastAgentId = row.last_agent_id;
  if (row.closed_at !== null) detail.closedAt = row.closed_at;
  return detail;
}
