import { runningTimers, type ExistingConversationState } from '@lib/domain';
import type { RecordedEvent } from '@lib/event-store';
import type { Insertable, Kysely } from 'kysely';
import type { ConversationTimersTable, ReadModelSchema } from '../database/read-model-schema';
import { chunked, conversationIdsOf, foldConversationEvents, isoTime, loadStoredStates, saveStoredStates } from './conversation-fold';
import { CONVERSATION_TIMERS_PROJECTION, type Projection } from './projection';

const ROWS_PER_STATEMENT = 200;
const IDS_PER_DELETE = 500;

/**
 * conversation_timers: the timers each conversation has running, as the domain's runningTimers
 * reads them from its state. A timer appears when its condition begins and disappears when the
 * state moves on, in the transaction of the event that did it, so the scheduler that sweeps this
 * table after a restart finds exactly the timers the log implies: none lost, none cleared
 * brought back.
 */
export class ConversationTimersProjection implements Projection {
  readonly name = CONVERSATION_TIMERS_PROJECTION;

  async apply(trx: Kysely<ReadModelSchema>, events: readonly RecordedEvent[]): Promise<void> {
    const ids = conversationIdsOf(events);
    if (ids.length === 0) return;
    const stored = await loadStoredStates(trx, 'timer_conversation_states', ids);
    const { latest } = foldConversationEvents(events, stored);

    const live: Array<[string, { state: ExistingConversationState; revision: number }]> = [];
    const closed: string[] = [];
    const timers: Insertable<ConversationTimersTable>[] = [];
    for (const [conversationId, { state, revision }] of latest) {
      // Closed is final: nothing is ever appended after it, so its state is no longer needed.
      if (state.status === 'closed') closed.push(conversationId);
      else live.push([conversationId, { state, revision }]);
      for (const timer of runningTimers(state)) {
        const since = isoTime(timer.since, `${timer.kind} timer of conversation ${conversationId}`);
        timers.push({
          conversation_id: conversationId,
          kind: timer.kind,
          channel: state.channel,
          status: timer.status,
          since,
          since_ms: Date.parse(since),
        });
      }
    }

    const touched = [...latest.keys()];
    for (const chunk of chunked(touched, IDS_PER_DELETE)) {
      await trx.deleteFrom('conversation_timers').where('conversation_id', 'in', chunk).execute();
    }
    for (const rows of chunked(timers, ROWS_PER_STATEMENT)) {
      await trx.insertInto('conversation_timers').values(rows).execute();
    }
    await saveStoredStates(trx, 'timer_conversation_states', live);
    for (const chunk of chunked(closed, IDS_PER_DELETE)) {
      await trx.deleteFrom('timer_conversation_states').where('conversation_id', 'in', chunk).execute();
    }
  }
}
