import type { Migration } from 'kysely';
import { createLiveKpiTables } from './view-tables';

/**
 * The live KPI tables. A database that already had migration 003 gets empty tables and a
 * projection without a checkpoint, which catches up from the start of the log.
 */
export const migration004LiveKpis: Migration = {
  async up(db): Promise<void> {
    await createLiveKpiTables(db);
  },
  async down(db): Promise<void> {
    for (const table of ['kpi_conversations', 'kpi_queue_facts', 'kpi_queue_minutes', 'kpi_agents', 'kpi_agent_segments']) {
      await db.schema.dropTable(table).ifExists().execute();
    }
  },
};
