import { Migrator, type Kysely, type Migration, type MigrationProvider } from 'kysely';
import type { ReadModelDatabase, ReadModelDatabaseKind } from '@lib/read-models';

/**
 * The feed's tables get their own migration history (event_feed_migration), so the read
 * models' migrations and these never wait on each other's numbering.
 */
const migrationsFor = (kind: ReadModelDatabaseKind): Record<string, Migration> => ({
  '001_webhooks': {
    // IF NOT EXISTS everywhere: on SQLite Kysely runs migrations outside a transaction.
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable('webhook_subscriptions')
        .ifNotExists()
        .addColumn('id', 'text', (column) => column.primaryKey())
        .addColumn('url', 'text', (column) => column.notNull())
        .addColumn('description', 'text', (column) => column.notNull())
        .addColumn('event_types', 'text', (column) => column.notNull())
        .addColumn('streams', 'text', (column) => column.notNull())
        .addColumn('status', 'text', (column) => column.notNull())
        .addColumn('status_reason', 'text')
        .addColumn('secret', 'text', (column) => column.notNull())
        .addColumn('previous_secret', 'text')
        .addColumn('previous_secret_until', 'bigint')
        .addColumn('checkpoint', 'bigint', (column) => column.notNull())
        .addColumn('version', 'integer', (column) => column.notNull())
        .addColumn('failures', 'integer', (column) => column.notNull())
        .addColumn('failing_since', 'bigint')
        .addColumn('next_attempt_at', 'bigint')
        .addColumn('lease_owner', 'text')
        .addColumn('lease_until', 'bigint')
        .addColumn('created_at', 'text', (column) => column.notNull())
        .addColumn('created_by', 'text', (column) => column.notNull())
        .addColumn('updated_at', 'text', (column) => column.notNull())
        .execute();
      await db.schema
        .createTable('webhook_deliveries')
        .ifNotExists()
        .addColumn('id', kind === 'postgres' ? 'bigserial' : 'integer', (column) =>
          kind === 'postgres' ? column.primaryKey() : column.primaryKey().autoIncrement(),
        )
        .addColumn('subscription_id', 'text', (column) => column.notNull())
        .addColumn('kind', 'text', (column) => column.notNull())
        .addColumn('event_id', 'text', (column) => column.notNull())
        .addColumn('event_type', 'text', (column) => column.notNull())
        .addColumn('position', 'bigint')
        .addColumn('attempt', 'integer', (column) => column.notNull())
        .addColumn('attempted_at', 'text', (column) => column.notNull())
        .addColumn('result', 'text', (column) => column.notNull())
        .addColumn('status_code', 'integer')
        .addColumn('error', 'text')
        .addColumn('duration_ms', 'integer', (column) => column.notNull())
        .addColumn('next_retry_at', 'text')
        .execute();
      await db.schema
        .createIndex('webhook_deliveries_by_subscription')
        .ifNotExists()
        .on('webhook_deliveries')
        .columns(['subscription_id', 'id'])
        .execute();
    },
    async down(db: Kysely<unknown>): Promise<void> {
      await db.schema.dropTable('webhook_deliveries').ifExists().execute();
      await db.schema.dropTable('webhook_subscriptions').ifExists().execute();
    },
  },
});

class StaticMigrations implements MigrationProvider {
  constructor(private readonly migrations: Record<string, Migration>) {}
  async getMigrations(): Promise<Record<string, Migration>> {
    return this.migrations;
  }
}

const migratorOf = (database: ReadModelDatabase) =>
  new Migrator({
    db: database.db,
    provider: new StaticMigrations(migrationsFor(database.kind)),
    migrationTableName: 'event_feed_migration',
    migrationLockTableName: 'event_feed_migration_lock',
    migrationTableSchema: database.kind === 'postgres' ? database.schema : undefined,
  });

/** Creates or brings up to date the feed's tables; throws naming the migration that failed. */
export async function migrateEventFeed(database: ReadModelDatabase): Promise<void> {
  const { error, results = [] } = await migratorOf(database).migrateToLatest();
  if (error === undefined) return;
  const failed = results.find((result) => result.status === 'Error');
  const reason = error instanceof Error ? error.message : String(error);
  throw new Error(`Event feed migration ${failed?.migrationName ?? '(before any ran)'} failed: ${reason}`);
}
