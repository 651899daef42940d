import { holderOf, type ExistingConversationState } from '@lib/domain';
import type { RecordedEvent } from '@lib/event-store';
import type { Insertable, Kysely } from 'kysely';
import type { ClosedWorkItemsTable, ConversationViewsTable, ReadModelSchema } from '../database/read-model-schema';
import { loadStoredStates, canonicalJson, chunked, conversationIdsOf, foldConversationEvents, isoTime } from './conversation-fold';
import { CONVERSATION_VIEWS_PROJECTION, type Projection } from './projection';

/** Rows per multi-row statement: 16 columns each stays far below SQLite's and PostgreSQL's parameter limits. */
const ROWS_PER_STATEMENT = 200;

/**
 * conversation_views (one row per conversation: queue view, counts, My work items, detail)
 * and closed_work_items (one row per conversation closed while an agent held it).
 */
export class ConversationViewsProjection implements Projection {
  readonly name = CONVERSATION_VIEWS_PROJECTION;

  async apply(trx: Kysely<ReadModelSchema>, events: readonly RecordedEvent[]): Promise<void> {
    const ids = conversationIdsOf(events);
    if (ids.length === 0) return;
    const stored = await loadStoredStates(trx, 'conversation_views', ids);
    const { steps, latest } = foldConversationEvents(events, stored);

    const views = [...latest].map(([id, { state, revision, position }]) => viewRow(id, state, revision, position));
    for (const rows of chunked(views, ROWS_PER_STATEMENT)) {
      await trx
        .insertInto('conversation_views')
        .values(rows)
        .onConflict((conflict) =>
          conflict.column('conversation_id').doUpdateSet((eb) => ({
            state: eb.ref('excluded.state'),
            status: eb.ref('excluded.status'),
            queue_id: eb.ref('excluded.queue_id'),
            channel: eb.ref('excluded.channel'),
            customer_id: eb.ref('excluded.customer_id'),
            priority: eb.ref('excluded.priority'),
            agent_id: eb.ref('excluded.agent_id'),
            last_agent_id: eb.ref('excluded.last_agent_id'),
            assignment: eb.ref('excluded.assignment'),
            status_since: eb.ref('excluded.status_since'),
            opened_at: eb.ref('excluded.opened_at'),
            closed_at: eb.ref('excluded.closed_at'),
            unread_customer_messages: eb.ref('excluded.unread_customer_messages'),
            revision: eb.ref('excluded.revision'),
            position: eb.ref('excluded.position'),
          })),
        )
        .execute();
    }

    const closed: Insertable<ClosedWorkItemsTable>[] = [];
    for (const { before, after, conversationId, recorded } of steps) {
      if (after.status !== 'closed' || before.status === 'closed') continue;
      // Closed from open (abandoned in the queue): no agent held it, so it is nobody's closed work item.
      const agentId = holderOf(before);
      if (agentId === undefined) continue;
      closed.push({
        conversation_id: conversationId,
        agent_id: agentId,
        closed_at: isoTime(after.closedAt, `closedAt of ${recorded.streamName}@${recorded.revision}`),
        channel: after.channel,
        queue_id: after.queueId,
        customer_id: after.customerId,
        closed_by_kind: after.closedBy.kind,
        closed_by_id: after.closedBy.id,
        close_reason: after.closeReason,
        position: recorded.position,
      });
    }
    // Closed is terminal, so a conversation closes at most once: a duplicate key is a bug and fails loudly.
    for (const rows of chunked(closed, ROWS_PER_STATEMENT)) {
      await trx.insertInto('closed_work_items').values(rows).execute();
    }
  }
}

function viewRow(
  conversationId: string,
  state: ExistingConversationState,
  revision: number,
  position: number,
): Insertable<ConversationViewsTable> {
  const where = `conversation ${conversationId}`;
  return {
    conversation_id: conversationId,
    state: canonicalJson(state),
    status: state.status,
    queue_id: state.queueId,
    channel: state.channel,
    customer_id: state.customerId,
    priority: state.priority,
    agent_id: holderOf(state) ?? null,
    last_agent_id: state.lastAgentId ?? null,
    assignment: state.status === 'active' ? state.assignment : null,
    status_since: isoTime(state.statusSince, `statusSince of ${where}`),
    opened_at: isoTime(state.openedAt, `openedAt of ${where}`),
    closed_at: state.status === 'closed' ? isoTime(state.closedAt, `closedAt of ${where}`) : null,
    unread_customer_messages: state.unreadCustomerMessages,
    revision,
    position,
  };
}
