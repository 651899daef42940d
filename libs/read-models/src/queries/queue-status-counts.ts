import type { ConversationStatus } from '@lib/domain';
import type { Kysely } from 'kysely';
import type { ReadModelSchema } from '../database/read-model-schema';

/**
 * How many conversations each of these queues has in each of these statuses (0 when none),
 * in one grouped read answered from the prefix (queue_id, status) of the queue index.
 */
export async function countConversationsByQueueAndStatus<Status extends ConversationStatus>(
  db: Kysely<ReadModelSchema>,
  queueIds: readonly string[],
  statuses: readonly Status[],
): Promise<Map<string, Record<Status, number>>> {
  const zero = () => Object.fromEntries(statuses.map((status) => [status, 0])) as Record<Status, number>;
  const counts = new Map<string, Record<Status, number>>(queueIds.map((queueId) => [queueId, zero()]));
  if (queueIds.length === 0 || statuses.length === 0) return counts;
  const rows = await db
    .selectFrom('conversation_views')
    .select((eb) => ['queue_id', 'status', eb.fn.countAll<number>().as('count')])
    .where('queue_id', 'in', [...queueIds])
    .where('status', 'in', [...statuses])
    .groupBy(['queue_id', 'status'])
    .execute();
  for (const row of rows) {
    const entry = counts.get(row.queue_id);
    if (entry !== undefined) entry[row.status as Status] = Number(row.count);
  }
  return counts;
}
