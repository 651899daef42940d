import { parentPort, workerData } from 'node:worker_threads';
import { SqliteEventStore } from '@lib/event-store';
import { Projector, createReadModelProjections, openReadModelDatabase, pruneExpiredViewRows } from '@lib/read-models';
import { loadOperatorCorrections, withEventCorrections } from '@lib/platform';
import type { FromProjectorWorker, ProjectorWorkerData, ToProjectorWorker } from './projector-worker.protocol';

/**
 * The projector's own thread: its own handle on the event log (reading only) and on the
 * read-model database (the only writer there), so projecting never takes the request thread.
 */
const LIVE_BATCH_WINDOW_MS = 10;

const run = async (port: NonNullable<typeof parentPort>) => {
  const { eventsFile, readModels, pollIntervalMs, eventCorrectionsFile, serviceLevelThresholdMs } = workerData as ProjectorWorkerData;
  const post = (message: FromProjectorWorker) => port.postMessage(message);
  const store = withEventCorrections(
    new SqliteEventStore({ filename: eventsFile, pollIntervalMs, checkpointIntervalMs: 0 }),
    loadOperatorCorrections(eventCorrectionsFile),
  );
  const database = await openReadModelDatabase(readModels);
  const projector: Projector = new Projector(store, database, createReadModelProjections({ serviceLevelThresholdMs }), {
    // Told of every commit (the store's in-process signal), it gathers what 10 ms bring into one
    // transaction: under load the views keep up without a transaction per group commit.
    liveBatchWindowMs: LIVE_BATCH_WINDOW_MS,
    logger: {
      log: (message) => post({ type: 'log', level: 'log', message }),
      warn: (message) => post({ type: 'log', level: 'warn', message }),
      error: (message) => post({ type: 'log', level: 'error', message }),
    },
    onChange: () => post({ type: 'status', statuses: projector.status() }),
  });

  port.on('message', (message: ToProjectorWorker) => {
    if (message.type === 'prune') {
      pruneExpiredViewRows(database, message.now).then(
        (removed) => post({ type: 'pruned', id: message.id, removed }),
        (error: unknown) => post({ type: 'prune-failed', id: message.id, message: String(error) }),
      );
    } else if (message.type === 'stop') {
      void (async () => {
        await projector.stop();
        await database.destroy();
        await store.close();
        post({ type: 'stopped' });
      })();
    }
  });

  await projector.start();
  post({ type: 'ready', statuses: projector.status() });
};

if (parentPort) {
  const port = parentPort;
  run(port).catch((error: unknown) =>
    port.postMessage({
      type: 'fatal',
      message: error instanceof Error ? (error.stack ?? error.message) : String(error),
    } satisfies FromProjectorWorker),
  );
}
