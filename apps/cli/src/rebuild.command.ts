import { join } from 'node:path';
import { SqliteEventStore } from '@lib/event-store';
import { migrateToLatest, openReadModelDatabase, rebuildReadModels } from '@lib/read-models';
import { loadConfig } from '../../api/src/config/app-config';
import { EVENTS_FILE } from '../../api/src/infrastructure/event-store.module';
import { readModelDatabaseConfig } from '../../api/src/infrastructure/read-models.module';
import { ProgressBar } from './progress-bar';

/**
 * Rebuilds every read model from the event log into fresh tables and swaps them in at once;
 * a service running meanwhile keeps serving the old views until the swap, then the new ones.
 */
export const rebuildCommand = async (args: string[]): Promise<void> => {
  if (args.length > 0) throw new Error(`rebuild takes no arguments, got: ${args.join(' ')}`);
  const config = loadConfig();
  if (config.eventStore !== 'sqlite') {
    throw new Error(`EVENT_STORE=${config.eventStore} keeps no log to rebuild from; rebuild needs EVENT_STORE=sqlite`);
  }
  const store = new SqliteEventStore({ filename: join(config.dataDir, EVENTS_FILE), checkpointIntervalMs: 0 });
  const database = await openReadModelDatabase(readModelDatabaseConfig(config));
  try {
    await migrateToLatest(database);
    const bar = new ProgressBar('rebuilding read models');
    const result = await rebuildReadModels(store, database, { onProgress: (done, total) => bar.update(done, total) });
    const seconds = bar.finish();
    const rate = seconds > 0 ? Math.round(result.events / seconds) : result.events;
    console.log(
      `Rebuilt the read models from ${result.events} events up to position ${result.position} ` +
        `in ${seconds.toFixed(1)} s (${rate.toLocaleString('en-US')} events/s)`,
    );
  } finally {
    await database.destroy();
    await store.close();
  }
};
