import { Migrator, type Migration, type MigrationProvider } from 'kysely';
import type { ReadModelDatabase } from '../database/read-model-database';
import { migration001Initial } from './001-initial';
import { migration002ConversationTimers } from './002-conversation-timers';
import { migration003AgentsAndQueues } from './003-agents-and-queues';
import { migration004LiveKpis } from './004-live-kpis';
import { migration005OngoingConversations } from './005-ongoing-conversations';

/** Every migration, by name; names sort in the order they run. Never rename or edit a shipped one. */
export const READ_MODEL_MIGRATIONS: Readonly<Record<string, Migration>> = {
  '001_initial': migration001Initial,
  '002_conversation_timers': migration002ConversationTimers,
  '003_agents_and_queues': migration003AgentsAndQueues,
  '004_live_kpis': migration004LiveKpis,
  '005_ongoing_conversations': migration005OngoingConversations,
};

class StaticMigrationProvider implements MigrationProvider {
  constructor(private readonly migrations: Readonly<Record<string, Migration>>) {}

  async getMigrations(): Promise<Record<string, Migration>> {
    return { ...this.migrations };
  }
}

export class ReadModelMigrationError extends Error {
  constructor(
    message: string,
    readonly migrationName: string | undefined,
    override readonly cause?: unknown,
  ) {
    super(message);
    this.name = 'ReadModelMigrationError';
  }
}

/**
 * Brings the schema to the latest version; returns the names of the migrations it ran.
 * Throws ReadModelMigrationError naming the migration that failed.
 */
/** The migrations this database has not run: a reader of it is not ready while any are left. */
export async function pendingMigrations(
  database: ReadModelDatabase,
  migrations: Readonly<Record<string, Migration>> = READ_MODEL_MIGRATIONS,
): Promise<string[]> {
  const found = await migratorOf(database, migrations).getMigrations();
  return found.filter((migration) => migration.executedAt === undefined).map((migration) => migration.name);
}

const migratorOf = (database: ReadModelDatabase, migrations: Readonly<Record<string, Migration>>) =>
  new Migrator({
    db: database.db,
    provider: new StaticMigrationProvider(migrations),
    // Kysely looks its own tables up across every schema; pin them to ours, so one schema's
    // migration table is never taken for another's.
    migrationTableSchema: database.kind === 'postgres' ? database.schema : undefined,
  });

export async function migrateToLatest(
  database: ReadModelDatabase,
  migrations: Readonly<Record<string, Migration>> = READ_MODEL_MIGRATIONS,
): Promise<string[]> {
  const { error, results = [] } = await migratorOf(database, migrations).migrateToLatest();
  if (error !== undefined) {
    const failed = results.find((result) => result.status === 'Error');
    const reason = error instanceof Error ? error.message : String(error);
    throw new ReadModelMigrationError(
      failed ? `Read-model migration ${failed.migrationName} failed: ${reason}` : `Read-model migrations could not run: ${reason}`,
      failed?.migrationName,
      error,
    );
  }
  return results.filter((result) => result.status === 'Success').map((result) => result.migrationName);
}
