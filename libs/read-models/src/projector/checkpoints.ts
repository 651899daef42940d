import type { Kysely } from 'kysely';
import type { ReadModelDatabase, ReadModelDatabaseKind } from '../database/read-model-database';
import type { ReadModelSchema } from '../database/read-model-schema';
import { databaseNow } from '../database/write-transaction';

export interface CheckpointFailure {
  position: number;
  eventType: string;
  message: string;
}

export interface Checkpoint {
  position: number;
  failure?: CheckpointFailure;
}

/**
 * Reads a projection's checkpoint inside a write transaction, creating the row (at 0) when
 * missing. On PostgreSQL the row is locked FOR UPDATE until the transaction ends, so two
 * instances projecting into one database take turns; on SQLite the transaction already holds
 * the write lock (BEGIN IMMEDIATE).
 */
export async function lockCheckpoint(trx: Kysely<ReadModelSchema>, kind: ReadModelDatabaseKind, name: string): Promise<Checkpoint> {
  const read = () =>
    trx
      .selectFrom('projection_checkpoints')
      .select(['position', 'failed_position', 'failed_event_type', 'failure_message'])
      .where('name', '=', name)
      .$if(kind === 'postgres', (query) => query.forUpdate())
      .executeTakeFirst();
  let row = await read();
  if (row === undefined) {
    await trx
      .insertInto('projection_checkpoints')
      .values({ name, position: 0, updated_at: databaseNow(kind) })
      .onConflict((conflict) => conflict.column('name').doNothing())
      .execute();
    row = await read();
    if (row === undefined) throw new Error(`Checkpoint row of projection ${name} could not be created`);
  }
  return toCheckpoint(row);
}

/** Reads a checkpoint outside any transaction (status at start, tests). */
export async function readCheckpoint(database: ReadModelDatabase, name: string): Promise<Checkpoint | undefined> {
  const row = await database.db
    .selectFrom('projection_checkpoints')
    .select(['position', 'failed_position', 'failed_event_type', 'failure_message'])
    .where('name', '=', name)
    .executeTakeFirst();
  return row === undefined ? undefined : toCheckpoint(row);
}

/** Moves the checkpoint forward and clears any recorded failure (the failed event has now been applied). */
export async function advanceCheckpoint(
  trx: Kysely<ReadModelSchema>,
  kind: ReadModelDatabaseKind,
  name: string,
  position: number,
): Promise<void> {
  await trx
    .updateTable('projection_checkpoints')
    .set({
      position,
      failed_position: null,
      failed_event_type: null,
      failure_message: null,
      updated_at: databaseNow(kind),
    })
    .where('name', '=', name)
    .execute();
}

export async function recordCheckpointFailure(
  trx: Kysely<ReadModelSchema>,
  kind: ReadModelDatabaseKind,
  name: string,
  failure: CheckpointFailure,
): Promise<void> {
  await trx
    .updateTable('projection_checkpoints')
    .set({
      failed_position: failure.position,
      failed_event_type: failure.eventType,
      failure_message: failure.message,
      updated_at: databaseNow(kind),
    })
    .where('name', '=', name)
    .execute();
}

/** Creates missing checkpoint rows (at 0), so they can be locked. */
export async function ensureCheckpointRows(
  trx: Kysely<ReadModelSchema>,
  kind: ReadModelDatabaseKind,
  names: readonly string[],
): Promise<void> {
  for (const name of names) {
    await trx
      .insertInto('projection_checkpoints')
      .values({ name, position: 0, updated_at: databaseNow(kind) })
      .onConflict((conflict) => conflict.column('name').doNothing())
      .execute();
  }
}

/** Sets (or creates) checkpoints at `position` with no failure: what a rebuild does at its swap. */
export async function resetCheckpoints(
  trx: Kysely<ReadModelSchema>,
  kind: ReadModelDatabaseKind,
  names: readonly string[],
  position: number,
): Promise<void> {
  for (const name of names) {
    await trx
      .insertInto('projection_checkpoints')
      .values({ name, position, updated_at: databaseNow(kind) })
      .onConflict((conflict) =>
        conflict.column('name').doUpdateSet({
          position,
          failed_position: null,
          failed_event_type: null,
          failure_message: null,
          updated_at: databaseNow(kind),
        }),
      )
      .execute();
  }
}

function toCheckpoint(row: {
  position: number;
  failed_position: number | null;
  failed_event_type: string | null;
  failure_message: string | null;
}): Checkpoint {
  const position = Number(row.position);
  if (row.failed_position === null) return { position };
  return {
    position,
    failure: {
      position: Number(row.failed_position),
      eventType: row.failed_event_type ?? '',
      message: row.failure_message ?? '',
    },
  };
}
