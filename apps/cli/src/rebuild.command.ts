import { migrateToLatest, openReadModelDatabase, rebuildReadModels } from '@lib/read-models';
import { loadConfig, readModelDatabaseConfig } from '@lib/platform';
import { openEventLogForReading } from './open-event-log';
import { ProgressBar } from './progress-bar';

/**
 * Rebuilds every read model from the event log into fresh tables and swaps them in at once;
 * a service running meanwhile keeps serving the old views until the swap, then the new ones.
 */
export const rebuildCommand = async (): Promise<void> => {
  const config = loadConfig();
  // Never creates an event log: rebuilding from a log that is not there is a mistake to say.
  const { store } = await openEventLogForReading();
  const database = await openReadModelDatabase(readModelDatabaseConfig(config));
  try {
    await migrateToLatest(database);
    const bar = new ProgressBar('rebuilding read models');
    const result = await rebuildReadModels(store, database, {
      onProgress: (done, total) => bar.update(done, total),
      projections: { serviceLevelThresholdMs: config.serviceLevelThresholdMs },
    });
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
