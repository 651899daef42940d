import { sql, type Kysely } from 'kysely';
import type { ReadModelDatabase } from './read-model-database';
import type { ReadModelSchema } from './read-model-schema';

/**
 * Runs several reads on one snapshot, so an answer assembled from several tables (an agent,
 * its queues, its claims) is as of one projector commit, never half of one and half of the
 * next. SQLite: a deferred BEGIN; in WAL mode the first read fixes the snapshot and writers
 * are not held off. PostgreSQL: REPEATABLE READ (READ COMMITTED would give each statement its
 * own snapshot), READ ONLY.
 *
 * `work` must use the handle it is given (see runInWriteTransaction: on SQLite the single
 * connection is held until the end).
 */
export async function runInReadSnapshot<T>(database: ReadModelDatabase, work: (db: Kysely<ReadModelSchema>) => Promise<T>): Promise<T> {
  return database.db.connection().execute(async (connection) => {
    await sql.raw(database.kind === 'sqlite' ? 'BEGIN' : 'BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY').execute(connection);
    try {
      return await work(connection);
    } finally {
      // Nothing was written: ending the transaction either way only releases the snapshot.
      await sql
        .raw('ROLLBACK')
        .execute(connection)
        .catch(() => undefined);
    }
  });
}
