import type Database from 'better-sqlite3';
import type { SqliteDatabase } from 'kysely';

/** Distinct SQL texts kept prepared: the projections' statements, with room for the queries'. */
const DEFAULT_CAPACITY = 500;

/**
 * The SQLite handle Kysely sees, preparing each distinct SQL text once. Kysely's SQLite driver
 * prepares every statement it runs, and a projection runs the same few statements (a chunk of
 * rows has one shape) thousands of times: compiling them again cost a tenth of a rebuild.
 * Least recently used texts are dropped beyond `capacity`, so texts that differ only by how many
 * rows a multi-row insert carries cannot grow without bound. A cached statement stays correct
 * across schema changes: SQLite recompiles it against the tables its text names when it next runs.
 */
export function withCachedStatements(db: Database.Database, capacity = DEFAULT_CAPACITY): SqliteDatabase {
  const statements = new Map<string, Database.Statement>();
  return {
    prepare(sql: string) {
      let statement = statements.get(sql);
      if (statement === undefined) {
        statement = db.prepare(sql);
        if (statements.size >= capacity) statements.delete(statements.keys().next().value as string);
      } else {
        // Map order is insertion order: re-inserting marks it most recently used.
        statements.delete(sql);
      }
      statements.set(sql, statement);
      return statement;
    },
    close() {
      statements.clear();
      db.close();
    },
  };
}
