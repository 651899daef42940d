import type { Migration } from 'kysely';
import { createAgentAndQueueTables } from './view-tables';

/**
 * Agents, their queues and capacity claims, and the queues' settings. A database that already
 * had migration 002 gets empty tables and a projection without a checkpoint, which catches up
 * from the start of the log.
 */
export const migration003AgentsAndQueues: Migration = {
  async up(db): Promise<void> {
    await createAgentAndQueueTables(db);
  },
  async down(db): Promise<void> {
    for (const table of ['agent_claims', 'agent_queues', 'agents', 'queues']) {
      await db.schema.dropTable(table).ifExists().execute();
    }
  },
};
