import Database from 'better-sqlite3';
import { CompiledQuery, Kysely, PostgresDialect, SqliteDialect } from 'kysely';
import { mkdirSync } from 'node:fs';
import { userInfo } from 'node:os';
import { dirname } from 'node:path';
import { Pool, types as pgTypes } from 'pg';
import type { ReadModelDatabaseConfig } from '../read-models.types';
import { withCachedStatements } from './cached-statements';
import { SchemaScopedPostgresDialect } from './postgres-schema-dialect';
import type { ReadModelSchema } from './read-model-schema';

export type ReadModelDatabaseKind = ReadModelDatabaseConfig['kind'];

/** An open read-model database: the typed query builder, which SQL it speaks, and how to close it. */
export interface ReadModelDatabase {
  readonly db: Kysely<ReadModelSchema>;
  readonly kind: ReadModelDatabaseKind;
  /** PostgreSQL: the schema holding the tables (the configured one, or the connection's current_schema()). */
  readonly schema?: string;
  destroy(): Promise<void>;
}

/** Lower-case SQL identifier, so the same name works quoted (CREATE SCHEMA) and in search_path. */
const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;
const INT8_OID = 20;

const quoteIdentifier = (name: string): string => `"${name.replace(/"/g, '""')}"`;

/**
 * Opens (and creates, for SQLite) the read-model database. Does not migrate: call
 * migrateToLatest(database) at start.
 */
export async function openReadModelDatabase(config: ReadModelDatabaseConfig): Promise<ReadModelDatabase> {
  switch (config.kind) {
    case 'sqlite':
      return openSqlite(config.filename);
    case 'postgres':
      return openPostgres(config.url, config.schema);
    default: {
      const unknown: never = config;
      throw new TypeError(`Unknown read-model database kind: ${String((unknown as { kind?: unknown }).kind)}`);
    }
  }
}

function openSqlite(filename: string): ReadModelDatabase {
  if (typeof filename !== 'string' || filename.length === 0) {
    throw new TypeError('The SQLite read-model filename must be a non-empty string');
  }
  const inMemory = filename === ':memory:' || filename.startsWith('file::memory:');
  if (!inMemory) mkdirSync(dirname(filename), { recursive: true });
  const sqlite = new Database(filename);
  try {
    // Read models are rebuildable from the event log, so NORMAL (not FULL) sync is enough:
    // a power cut may lose the last commits, and their checkpoint with them, never one without the other.
    sqlite.pragma('journal_mode = WAL');
    sqlite.pragma('synchronous = NORMAL');
    sqlite.pragma('busy_timeout = 5000');
  } catch (error) {
    sqlite.close();
    throw error;
  }
  const db = new Kysely<ReadModelSchema>({ dialect: new SqliteDialect({ database: withCachedStatements(sqlite) }) });
  return { db, kind: 'sqlite', destroy: () => db.destroy() };
}

/**
 * libpq connects as the operating-system user when a URL names none; node-postgres sends an
 * empty user name instead (unless PGUSER or USER is set). Do what libpq does.
 */
export function withDefaultPostgresUser(url: string): string {
  if (process.env.PGUSER || process.env.USER) return url;
  try {
    const parsed = new URL(url);
    if (parsed.username !== '') return url;
    parsed.username = encodeURIComponent(userInfo().username);
    return parsed.toString();
  } catch {
    return url;
  }
}

async function openPostgres(rawUrl: string, schema: string | undefined): Promise<ReadModelDatabase> {
  if (typeof rawUrl !== 'string' || rawUrl.length === 0) {
    throw new TypeError('The PostgreSQL read-model url must be a non-empty string');
  }
  const url = withDefaultPostgresUser(rawUrl);
  if (schema !== undefined && !SCHEMA_NAME.test(schema)) {
    throw new RangeError(`schema must be a lower-case SQL identifier ([a-z_][a-z0-9_]*), got ${JSON.stringify(schema)}`);
  }
  const pool = new Pool({
    connectionString: url,
    // Positions and counts are int8: hand them back as numbers (safe far beyond any real log).
    types: {
      getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
        oid === INT8_OID && format !== 'binary'
          ? (value: string) => Number(value)
          : pgTypes.getTypeParser(oid, format as 'text')) as typeof pgTypes.getTypeParser,
    },
  });
  // An idle client that loses its server must not crash the process; the next query reports it.
  pool.on('error', () => undefined);
  try {
    let resolvedSchema = schema;
    if (schema !== undefined) {
      await createSchemaIfMissing(pool, schema);
    } else {
      const result = await pool.query<{ schema: string }>('select current_schema() as schema');
      resolvedSchema = result.rows[0]?.schema ?? 'public';
    }
    const searchPath = schema === undefined ? undefined : `SET search_path TO ${quoteIdentifier(schema)}`;
    const dialect = new PostgresDialect({
      pool,
      onCreateConnection: searchPath
        ? async (connection) => {
            await connection.executeQuery(CompiledQuery.raw(searchPath));
          }
        : undefined,
    });
    const db = new Kysely<ReadModelSchema>({ dialect: new SchemaScopedPostgresDialect(dialect, resolvedSchema ?? 'public') });
    return { db, kind: 'postgres', schema: resolvedSchema, destroy: () => db.destroy() };
  } catch (error) {
    await pool.end().catch(() => undefined);
    throw error;
  }
}

async function createSchemaIfMissing(pool: Pool, schema: string): Promise<void> {
  try {
    await pool.query(`CREATE SCHEMA IF NOT EXISTS ${quoteIdentifier(schema)}`);
  } catch (error) {
    // Two instances creating it at once: IF NOT EXISTS does not stop the loser's unique violation.
    const exists = await pool.query('select 1 from pg_namespace where nspname = $1', [schema]);
    if (exists.rowCount === 0) throw error;
  }
}
