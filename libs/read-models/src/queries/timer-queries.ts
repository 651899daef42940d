import type { Channel, ConversationTimerKind, LiveStatus } from '@lib/domain';
import type { ReadModelDatabase } from '../database/read-model-database';

/**
 * Timers of one kind on one channel (and, for auto-close, in one status) that are due: their
 * condition began at or before `sinceAtOrBeforeMs` (now minus the group's duration).
 */
export interface DueTimerCutoff {
  kind: ConversationTimerKind;
  channel: Channel;
  /** Only for kinds whose duration depends on the status (auto-close). */
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

/** Groups per statement: each adds up to four parameters, far below either database's limit. */
const CUTOFFS_PER_STATEMENT = 100;

/** What the timer scheduler reads: the due timers, oldest first. */
export class TimerQueries {
  constructor(private readonly database: ReadModelDatabase) {}

  /** Due timers of the given groups, oldest condition first, at most `limit`. */
  async dueTimers(cutoffs: readonly DueTimerCutoff[], limit: number): Promise<StoredTimer[]> {
    const found: StoredTimer[] = [];
    for (let start = 0; start < cutoffs.length; start += CUTOFFS_PER_STATEMENT) {
      const chunk = cutoffs.slice(start, start + CUTOFFS_PER_STATEMENT);
      const rows = await this.database.db
        .selectFrom('conversation_timers')
        .select(['conversation_id', 'kind', 'channel', 'status', 'since', 'since_ms'])
        .where((eb) =>
          eb.or(
            chunk.map((cutoff) =>
              eb.and([
                eb('kind', '=', cutoff.kind),
                eb('channel', '=', cutoff.channel),
                ...(cutoff.status === undefined ? [] : [eb('status', '=', cutoff.status)]),
                eb('since_ms', '<=', cutoff.sinceAtOrBeforeMs),
              ]),
            ),
          ),
        )
        .orderBy('since_ms')
        .orderBy('conversation_id')
        .orderBy('kind')
        .limit(limit)
        .execute();
      for (const row of rows) {
        found.push({
          conversationId: row.conversation_id,
          kind: row.kind as ConversationTimerKind,
          channel: row.channel as Channel,
          status: row.status as LiveStatus,
          since: row.since,
        });
      }
    }
    return found.sort((a, b) => Date.parse(a.since) - Date.parse(b.since)).slice(0, limit);
  }

  /** Every running timer of one conversation (for diagnostics and tests). */
  async timersOf(conversationId: string): Promise<StoredTimer[]> {
    const rows = await this.database.db
      .selectFrom('conversation_timers')
      .select(['conversation_id', 'kind', 'channel', 'status', 'since'])
      .where('conversation_id', '=', conversationId)
      .orderBy('kind')
      .execute();
    return rows.map((row) => ({
      conversationId: row.conversation_id,
      kind: row.kind as ConversationTimerKind,
      channel: row.channel as Channel,
      status: row.status as LiveStatus,
      since: row.since,
    }));
  }
}
