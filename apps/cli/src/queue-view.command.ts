import { queueViewAsOf } from '@lib/reporting';
import { openEventLogForReading } from './open-event-log';

/** As given on the command line (main.ts): the time already in UTC. */
export interface QueueViewOptions {
  asOf?: string;
  queue?: string;
  format?: string;
}

/** Prints the queues' open items as they stood at a past time, replayed from the log. */
export const queueViewCommand = async (options: QueueViewOptions): Promise<void> => {
  const asOf = options.asOf;
  if (asOf === undefined) throw new Error('--as-of is required, for example --as-of 2026-11-20T12:00:00Z');
  const format = options.format ?? 'text';
  if (format !== 'text' && format !== 'json') throw new Error(`--format must be text or json, got ${format}`);
  const { store } = await openEventLogForReading();
  try {
    const view = await queueViewAsOf(store, asOf, options.queue);
    if (format === 'json') {
      process.stdout.write(`${JSON.stringify(view, null, 2)}\n`);
      return;
    }
    console.log(`Open items as of ${view.asOf}`);
    if (view.queues.length === 0) console.log('  (no open items)');
    for (const queue of view.queues) {
      console.log(`\n${queue.queueId} (${queue.items.length} open)`);
      for (const item of queue.items) {
        const wait = `${Math.floor(item.waitSeconds / 60)}m ${String(Math.floor(item.waitSeconds % 60)).padStart(2, '0')}s`;
        console.log(
          `  priority ${item.priority}  waiting ${wait.padStart(8)}  ${item.conversationId}  ${item.channel}  ${item.customerId}`,
        );
      }
    }
  } finally {
    await store.close();
  }
};
