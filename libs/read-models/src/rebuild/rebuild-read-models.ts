import type { EventStore, RecordedEvent } from '@lib/event-store';
import type { Kysely } from 'kysely';
import { randomBytes } from 'node:crypto';
import type { ReadModelDatabase } from '../database/read-model-database';
import { VIEW_TABLES, type ReadModelSchema } from '../database/read-model-schema';
import { TableRenamePlugin } from '../database/table-rename-plugin';
import { runInWriteTransaction } from '../database/write-transaction';
import { createViewTables } from '../migrations/view-tables';
import type { Projection } from '../projections/projection';
import { createReadModelProjections, type ReadModelProjectionOptions } from '../projections/read-model-projections';
import { ensureCheckpointRows, resetCheckpoints } from '../projector/checkpoints';
import { withRebuildSettings } from './rebuild-sqlite-settings';

export interface RebuildOptions {
  /** What the projections depend on beyond the log (the service's configuration). */
  projections?: ReadModelProjectionOptions;
  /**
   * Progress in log positions: `done` is the position rebuilt so far, `total` the head of the
   * log (on stores with contiguous positions, such as SQLite and in-memory, these are event
   * counts). Called after every batch and once after the swap.
   */
  onProgress?(done: number, total: number): void;
  /**
   * Events read and applied per transaction (default 10,000): large transactions write each hot
   * index page once per batch instead of once per thousand events.
   */
  batchSize?: number;
}

export interface RebuildResult {
  /** Events read from the log (of every stream). */
  events: number;
  /** The position the rebuilt read models (and every checkpoint) stand at. */
  position: number;
}

export const DEFAULT_REBUILD_BATCH_SIZE = 10_000;
const NEXT_SUFFIX = '_next';

/** A projection refused an event during a rebuild: nothing was swapped in. */
export class RebuildError extends Error {
  constructor(
    message: string,
    readonly projection: string,
    readonly position: number,
    readonly eventType: string,
    override readonly cause?: unknown,
  ) {
    super(message);
    this.name = 'RebuildError';
  }
}

/**
 * Rebuilds every read model from the whole event log into fresh `_next` tables, then swaps
 * them in with one transaction that drops the old tables, renames the new ones and sets every
 * checkpoint to the rebuilt position (clearing recorded failures). Readers see the old
 * complete views until that commit and the new complete views after it.
 *
 * A projector running meanwhile keeps going: the swap catches up with the log while it holds
 * the checkpoints' lock, so the rebuilt position is at or past every checkpoint it replaces,
 * and the projector skips what the rebuild already covers (it reads its checkpoint inside each
 * batch transaction). A projection that had stopped at a failure resumes at the projector's
 * next start(). Run one rebuild at a time per database.
 */
export async function rebuildReadModels(
  store: EventStore,
  database: ReadModelDatabase,
  options: RebuildOptions = {},
): Promise<RebuildResult> {
  const batchSize = options.batchSize ?? DEFAULT_REBUILD_BATCH_SIZE;
  if (!Number.isSafeInteger(batchSize) || batchSize < 1) {
    throw new RangeError(`batchSize must be a positive integer, got ${String(batchSize)}`);
  }
  return withRebuildSettings(database, () => rebuild(store, database, options, batchSize));
}

async function rebuild(store: EventStore, database: ReadModelDatabase, options: RebuildOptions, batchSize: number): Promise<RebuildResult> {
  const projections = createReadModelProjections(options.projections);
  const toNext = new TableRenamePlugin(Object.fromEntries(VIEW_TABLES.map((table) => [table, `${table}${NEXT_SUFFIX}`])));
  const indexTag = randomBytes(4).toString('hex');

  let position = 0;
  let events = 0;
  let total = await store.headPosition();
  const report = () => {
    total = Math.max(total, position);
    options.onProgress?.(position, total);
  };

  // Leftovers of an interrupted rebuild are dropped first.
  await dropNextTables(database);
  try {
    await createViewTables(database.db.withPlugin(toNext), indexTag);
    report();
    for (;;) {
      const page = await store.readAll({ after: position, maxCount: batchSize });
      if (page.length === 0) break;
      await applyToNextTables(database, toNext, projections, page);
      position = page[page.length - 1].position;
      events += page.length;
      report();
    }

    await runInWriteTransaction(database, async (trx) => {
      // PostgreSQL: wait for in-flight projector batches and hold them off until the swap commits
      // (SQLite: BEGIN IMMEDIATE already excludes every other writer).
      const names = projections.map((projection) => projection.name);
      if (database.kind === 'postgres') {
        // Rows first: a projector that has never committed must have a row to wait on.
        await ensureCheckpointRows(trx, database.kind, names);
        await trx.selectFrom('projection_checkpoints').select('name').orderBy('name').forUpdate().execute();
      }
      // Events appended since the last page: with every projector held off, the rebuilt
      // position ends up at or past every checkpoint being replaced.
      for (;;) {
        const page = await store.readAll({ after: position, maxCount: batchSize });
        if (page.length === 0) break;
        await applyProjections(trx.withPlugin(toNext), projections, page);
        position = page[page.length - 1].position;
        events += page.length;
      }
      for (const table of VIEW_TABLES) {
        await trx.schema.dropTable(table).ifExists().execute();
      }
      for (const table of VIEW_TABLES) {
        await trx.schema.alterTable(`${table}${NEXT_SUFFIX}`).renameTo(table).execute();
      }
      await resetCheckpoints(trx, database.kind, names, position);
    });
    report();
    return { events, position };
  } catch (error) {
    await dropNextTables(database).catch(() => undefined);
    throw error;
  }
}

async function dropNextTables(database: ReadModelDatabase): Promise<void> {
  for (const table of VIEW_TABLES) {
    await database.db.schema.dropTable(`${table}${NEXT_SUFFIX}`).ifExists().execute();
  }
}

async function applyProjections(
  trx: Kysely<ReadModelSchema>,
  projections: readonly Projection[],
  events: readonly RecordedEvent[],
): Promise<void> {
  for (const projection of projections) await projection.apply(trx, events);
}

/**
 * One transaction per page. When a projection refuses the page, the page is replayed event by
 * event to name the exact event in the error (the `_next` tables are dropped afterwards anyway).
 */
async function applyToNextTables(
  database: ReadModelDatabase,
  toNext: TableRenamePlugin,
  projections: readonly Projection[],
  page: readonly RecordedEvent[],
): Promise<void> {
  try {
    await runInWriteTransaction(database, (trx) => applyProjections(trx.withPlugin(toNext), projections, page));
    return;
  } catch (batchError) {
    for (const event of page) {
      for (const projection of projections) {
        try {
          await runInWriteTransaction(database, (trx) => projection.apply(trx.withPlugin(toNext), [event]));
        } catch (error) {
          const message = error instanceof Error ? error.message : String(error);
          throw new RebuildError(
            `Rebuild stopped: projection ${projection.name} cannot apply ${event.type} at position ${event.position} ` +
              `(${event.streamName}@${event.revision}): ${message}`,
            projection.name,
            event.position,
            event.type,
            error,
          );
        }
      }
    }
    throw batchError;
  }
}
