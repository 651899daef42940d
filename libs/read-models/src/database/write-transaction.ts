import { sql, type Kysely, type RawBuilder } from 'kysely';
import type { ReadModelDatabase, ReadModelDatabaseKind } from './read-model-database';
import type { ReadModelSchema } from './read-model-schema';

/**
 * Runs `work` in one write transaction on one connection and commits, or rolls back and
 * rethrows.
 *
 * SQLite: BEGIN IMMEDIATE takes the write lock before the first read, so reading the
 * checkpoint and writing the rows it covers cannot interleave with another writer (another
 * process, or another handle on the same file). Kysely's transaction() would open with a plain
 * (deferred) BEGIN. PostgreSQL: plain BEGIN; callers lock what they read with FOR UPDATE.
 *
 * `work` must use the handle it is given, never the database's own `db`: on SQLite the
 * connection is single and held for the whole transaction, so a query on `db` would wait for
 * it forever.
 */
export async function runInWriteTransaction<T>(
  database: ReadModelDatabase,
  work: (trx: Kysely<ReadModelSchema>) => Promise<T>,
): Promise<T> {
  return database.db.connection().execute(async (connection) => {
    await sql.raw(database.kind === 'sqlite' ? 'BEGIN IMMEDIATE' : 'BEGIN').execute(connection);
    let result: T;
    try {
      result = await work(connection);
      await sql.raw('COMMIT').execute(connection);
    } catch (error) {
      // After a failed COMMIT the transaction may already be gone: a failing ROLLBACK says nothing new.
      await sql
        .raw('ROLLBACK')
        .execute(connection)
        .catch(() => undefined);
      throw error;
    }
    return result;
  });
}

/**
 * The database's current time as ISO-8601 text (UTC, milliseconds), for operational
 * timestamps: nothing in this library reads the process's wall clock.
 */
export function databaseNow(kind: ReadModelDatabaseKind): RawBuilder<string> {
  return kind === 'sqlite'
    ? sql<string>`strftime('%Y-%m-%dT%H:%M:%fZ', 'now')`
    : sql<string>`to_char(now() at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;
}
