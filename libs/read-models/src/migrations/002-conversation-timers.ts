import type { Migration } from 'kysely';
import { createTimerTables } from './view-tables';

/**
 * The timers of every conversation. A database that already had migration 001 gets empty
 * tables and a projection without a checkpoint, which catches up from the start of the log.
 */
export const migration002ConversationTimers: Migration = {
  async up(db): Promise<void> {
    await createTimerTables(db);
  },
  async down(db): Promise<void> {
    await db.schema.dropTable('conversation_timers').ifExists().execute();
    await db.schema.dropTable('timer_conversation_states').ifExists().execute();
  },
};
