import type { Migration } from 'kysely';
import { createOngoingConversationsIndex } from './view-tables';

/**
 * The supervisor's Ongoing conversations: a partial index of conversation_views on
 * (status_since, conversation_id) over the rows not closed. Only an index: the rows are there
 * already, so nothing is rebuilt.
 */
export const migration005OngoingConversations: Migration = {
  async up(db): Promise<void> {
    await createOngoingConversationsIndex(db);
  },
  async down(db): Promise<void> {
    await db.schema.dropIndex('conversation_views_ongoing_idx').ifExists().execute();
  },
};
