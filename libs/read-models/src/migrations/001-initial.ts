import type { Migration } from 'kysely';
import { createViewTablesV1 } from './view-tables';

/**
 * Checkpoints and the first layout of the view tables. Every statement is IF NOT EXISTS: on
 * SQLite Kysely does not run migrations in a transaction, so a migration interrupted halfway
 * simply runs again.
 */
export const migration001Initial: Migration = {
  async up(db): Promise<void> {
    await db.schema
      .createTable('projection_checkpoints')
      .ifNotExists()
      .addColumn('name', 'text', (column) => column.primaryKey())
      .addColumn('position', 'bigint', (column) => column.notNull())
      .addColumn('failed_position', 'bigint')
      .addColumn('failed_event_type', 'text')
      .addColumn('failure_message', 'text')
      .addColumn('updated_at', 'text', (column) => column.notNull())
      .execute();
    await createViewTablesV1(db);
  },
  async down(db): Promise<void> {
    for (const table of [
      'audit_conversation_states',
      'audit_index_agents',
      'audit_index',
      'closed_work_items',
      'conversation_views',
      'projection_checkpoints',
    ]) {
      await db.schema.dropTable(table).ifExists().execute();
    }
  },
};
