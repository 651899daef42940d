import { CHANNELS, type Channel, type ConversationStatus } from '@lib/domain';
import { sql } from 'kysely';
import type { ReadModelDatabase } from '../database/read-model-database';
import type { Page, PageRequest } from '../read-models.types';
import { decodeCursor, encodeCursor, requireId, resolvePage, resolveTime, toPage } from './pagination';

/** Every status a conversation can be in before it closes. */
export const ONGOING_STATUSES = ['open', 'active', 'waiting', 'wrap_up'] as const;
export type OngoingStatus = (typeof ONGOING_STATUSES)[number];

/** Which ongoing conversations to list: every one when nothing is given; each filter narrows. */
export interface OngoingConversationsFilter {
  queueId?: string;
  status?: OngoingStatus;
  /** The agent holding it (active, waiting or wrap-up). */
  agentId?: string;
  channel?: Channel;
}

/** One row of the supervisor's Ongoing conversations: a conversation not closed, as of `now`. */
export interface OngoingConversation {
  conversationId: string;
  queueId: string;
  channel: Channel;
  status: OngoingStatus;
  /** Active only: awaiting the agent's acceptance of a push, or accepted. */
  assignment?: 'awaiting_acceptance' | 'accepted';
  /** The agent holding it (active, waiting, wrap-up); absent while open. */
  agentId?: string;
  customerId: string;
  priority: number;
  openedAt: string;
  /** When it entered its current status. */
  statusSince: string;
  /** now - statusSince. */
  timeInStatusMs: number;
  /** now - openedAt: how long the customer has been in this conversation so far. */
  waitedMs: number;
  unreadCustomerMessages: number;
}

/**
 * The supervisor's Ongoing conversations (Dynamics 365's report of the same name): every
 * conversation not closed, filtered by queue, status, agent and channel, longest in its current
 * status first (status_since, then id), keyset-paged. Closed rows stay in conversation_views;
 * the partial index of migration 005 (status_since, conversation_id where status is not closed)
 * hands the unfiltered list over in page order without reading them.
 */
export class OngoingConversationQueries {
  constructor(private readonly database: ReadModelDatabase) {}

  async ongoingConversations(
    filter: OngoingConversationsFilter = {},
    page: PageRequest | undefined,
    now: string,
  ): Promise<Page<OngoingConversation>> {
    const checked = checkFilter(filter);
    const { limit, cursor } = resolvePage(page);
    const nowMs = Date.parse(resolveTime(now, 'now'));
    // A cursor belongs to its filters: replayed under others it is refused, not misread.
    const list = `ongoingConversations:${JSON.stringify([checked.queueId, checked.status, checked.agentId, checked.channel])}`;
    let query = this.database.db
      .selectFrom('conversation_views')
      .select([
        'conversation_id',
        'queue_id',
        'channel',
        'status',
        'assignment',
        'agent_id',
        'customer_id',
        'priority',
        'opened_at',
        'status_since',
        'unread_customer_messages',
      ])
      // Written as the partial index's own condition (a literal, not a parameter), so both databases match it to the index.
      .where(sql<boolean>`status <> 'closed'`);
    if (checked.queueId !== undefined) query = query.where('queue_id', '=', checked.queueId);
    if (checked.status !== undefined) query = query.where('status', '=', checked.status);
    if (checked.agentId !== undefined) query = query.where('agent_id', '=', checked.agentId);
    if (checked.channel !== undefined) query = query.where('channel', '=', checked.channel);
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
      (row): OngoingConversation => {
        const item: OngoingConversation = {
          conversationId: row.conversation_id,
          queueId: row.queue_id,
          channel: row.channel as Channel,
          status: row.status as OngoingStatus,
          customerId: row.customer_id,
          priority: Number(row.priority),
          openedAt: row.opened_at,
          statusSince: row.status_since,
          timeInStatusMs: Math.max(0, nowMs - Date.parse(row.status_since)),
          waitedMs: Math.max(0, nowMs - Date.parse(row.opened_at)),
          unreadCustomerMessages: Number(row.unread_customer_messages),
        };
        if (row.status === 'active' && row.assignment !== null) item.assignment = row.assignment as OngoingConversation['assignment'];
        if (row.agent_id !== null) item.agentId = row.agent_id;
        return item;
      },
      (row) => encodeCursor(list, [row.status_since, row.conversation_id]),
    );
  }
}

/** The filters, checked: a RangeError naming the one at fault (the API answers it 400). */
function checkFilter(filter: OngoingConversationsFilter): OngoingConversationsFilter {
  const { queueId, status, agentId, channel } = filter;
  if (queueId !== undefined) requireId(queueId, 'queueId');
  if (agentId !== undefined) requireId(agentId, 'agentId');
  if (status !== undefined && !(ONGOING_STATUSES as readonly ConversationStatus[]).includes(status)) {
    throw new RangeError(`status must be one of ${ONGOING_STATUSES.join(', ')}, got ${JSON.stringify(status)}`);
  }
  if (channel !== undefined && !(CHANNELS as readonly string[]).includes(channel)) {
    throw new RangeError(`channel must be one of ${CHANNELS.join(', ')}, got ${JSON.stringify(channel)}`);
  }
  return { queueId, status, agentId, channel };
}
