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
export const pruneOn = (database: ReadModelDatabase): ClosedWorkItemsPruner => ({ prune: (now) => pruneExpiredViewRows(database, now) });

/** Everything views keep only for a while: Closed work items (24 h) and the live KPIs' history (48 h). */
export async function pruneExpiredViewRows(database: ReadModelDatabase, now: string): Promise<number> {
  return (await pruneClosedWorkItems(database, now)) + (await pruneKpiHistory(database, now));
}

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

/**
 * The longest window the live KPIs look back over is `today`, at most 24 hours in any time zone
 * (25 on a day the clocks go back); twice that leaves every window whole.
 */
export const KPI_HISTORY_RETENTION_MS = 48 * 3_600_000;

/**
 * Deletes queue facts, their minute totals and ended agent segments older than the retention (an agent's current
 * segment and the running totals it carries stay, however old); returns how many rows.
 */
export async function pruneKpiHistory(
  database: ReadModelDatabase,
  now: string,
  retentionMs: number = KPI_HISTORY_RETENTION_MS,
): Promise<number> {
  const cutoffMs = Date.parse(resolveTime(now, 'now')) - retentionMs;
  const facts = await database.db.deleteFrom('kpi_queue_facts').where('at_ms', '<', cutoffMs).executeTakeFirst();
  const minutes = await database.db
    .deleteFrom('kpi_queue_minutes')
    .where('minute_ms', '<', cutoffMs - 60_000)
    .executeTakeFirst();
  const segments = await database.db.deleteFrom('kpi_agent_segments').where('ended_ms', '<', cutoffMs).executeTakeFirst();
  return Number(facts.numDeletedRows) + Number(minutes.numDeletedRows) + Number(segments.numDeletedRows);
}
