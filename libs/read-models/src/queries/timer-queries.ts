import type { Channel, ConversationTimerKind, LiveStatus } from '@lib/domain';
import type { ReadModelDatabase } from '../database/read-model-database';

/**
 * Timers of one kind (on one channel, in one status, when the duration depends on them) that
 * are due: their condition began at or before `sinceAtOrBeforeMs` (now minus the duration).
 */
export interface DueTimerCutoff {
  kind: ConversationTimerKind;
  channel?: Channel;
  status?: LiveStatus;
  sinceAtOrBeforeMs: number;
}

/** A running timer as the timer projection stored it. */
export interface StoredTimer {
  conversationId: string;
  kind: ConversationTimerKind;
  channel: Channel;
  status: LiveStatus;
  since: string;
}

/** Where a page of due timers ends: the next page starts after it. */
export interface DueTimersCursor {
  sinceMs: number;
  conversationId: string;
  kind: string;
}

/** Each group adds up to four parameters: 100 stays far below either database's limit. */
const MAX_CUTOFFS = 100;

const toStoredTimer = (row: { conversation_id: string; kind: string; channel: string; status: string; since: string }): StoredTimer => ({
  conversationId: row.conversation_id,
  kind: row.kind as ConversationTimerKind,
  channel: row.channel as Channel,
  status: row.status as LiveStatus,
  since: row.since,
});

/** What the timer scheduler reads: the due timers, oldest condition first. */
export class TimerQueries {
  constructor(private readonly database: ReadModelDatabase) {}

  /**
   * Due timers of the given groups in (since, conversation, kind) order, at most `limit`,
   * after `after` when paging. The cursor of the next page is the last timer's.
   */
  async dueTimers(cutoffs: readonly DueTimerCutoff[], limit: number, after?: DueTimersCursor): Promise<StoredTimer[]> {
    if (cutoffs.length === 0) return [];
    if (cutoffs.length > MAX_CUTOFFS) throw new RangeError(`At most ${MAX_CUTOFFS} timer groups per query, got ${cutoffs.length}`);
    let query = this.database.db
      .selectFrom('conversation_timers')
      .select(['conversation_id', 'kind', 'channel', 'status', 'since'])
      .where((eb) =>
        eb.or(
          cutoffs.map((cutoff) =>
            eb.and([
              eb('kind', '=', cutoff.kind),
              ...(cutoff.channel === undefined ? [] : [eb('channel', '=', cutoff.channel)]),
              ...(cutoff.status === undefined ? [] : [eb('status', '=', cutoff.status)]),
              eb('since_ms', '<=', cutoff.sinceAtOrBeforeMs),
            ]),
          ),
        ),
      );
    if (after !== undefined) {
      query = query.where((eb) =>
        eb(eb.refTuple('since_ms', 'conversation_id', 'kind'), '>', eb.tuple(after.sinceMs, after.conversationId, after.kind)),
      );
    }
    const rows = await query.orderBy('since_ms').orderBy('conversation_id').orderBy('kind').limit(limit).execute();
    return rows.map(toStoredTimer);
  }

  /** Every running timer of one conversation (for diagnostics and tests). */
  async timersOf(conversationId: string): Promise<StoredTimer[]> {
    const rows = await this.database.db
      .selectFrom('conversation_timers')
      .select(['conversation_id', 'kind', 'channel', 'status', 'since'])
      .where('conversation_id', '=', conversationId)
      .orderBy('kind')
      .execute();
    return rows.map(toStoredTimer);
  }
}

/** The cursor after this timer. */
export const cursorAfter = (timer: StoredTimer): DueTimersCursor => ({
  sinceMs: Date.parse(timer.since),
  conversationId: timer.conversationId,
  kind: timer.kind,
});
