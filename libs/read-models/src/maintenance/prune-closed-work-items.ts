import type { ReadModelDatabase } from '../database/read-model-database';
import { resolveTime } from '../queries/pagination';
import { CLOSED_WORK_ITEMS_WINDOW_MS } from '../queries/read-model-queries';

/**
 * Deletes Closed work items older than 24 hours as of `now`; returns how many. Run where the
 * views are written (deleting is writing: one writer per database).
 */
export interface ClosedWorkItemsPruner {
  prune(now: string): Promise<number>;
}

/** Prunes on this database, from this thread. */
export const pruneOn = (database: ReadModelDatabase): ClosedWorkItemsPruner => ({ prune: (now) => pruneClosedWorkItems(database, now) });

/** For an instance that does not keep the views: the one that does prunes them. */
export const NOT_PRUNING: ClosedWorkItemsPruner = { prune: () => Promise.resolve(0) };

/**
 * Deletes closed work items closed at or before `now - retentionMs` (they have left every
 * agent's Closed work items list); returns how many. Call it periodically; `now` comes from
 * the caller's clock.
 */
export async function pruneClosedWorkItems(
  database: ReadModelDatabase,
  now: string,
  retentionMs: number = CLOSED_WORK_ITEMS_WINDOW_MS,
): Promise<number> {
  if (typeof retentionMs !== 'number' || !Number.isFinite(retentionMs) || retentionMs < 0) {
    throw new RangeError(`retentionMs must be a non-negative number, got ${String(retentionMs)}`);
  }
  const cutoff = new Date(Date.parse(resolveTime(now, 'now')) - retentionMs).toISOString();
  const result = await database.db.deleteFrom('closed_work_items').where('closed_at', '<=', cutoff).executeTakeFirst();
  return Number(result.numDeletedRows);
}
