import { parentPort, workerData } from 'node:worker_threads';
import { appendBatchTransaction } from './append-batch';
import { openEventDatabase } from './sqlite-database';
import { SqliteStatements } from './sqlite-statements';
import { transferError, transferOutcomes, type FromWriter, type ToWriter } from './sqlite-writer.protocol';

/**
 * The writer thread: commits batches of appends on its own connection, so the fsync each commit
 * waits for never stalls the thread serving requests. Batches arrive one at a time.
 */
const { filename, busyTimeoutMs } = workerData as { filename: string; busyTimeoutMs: number };
const db = openEventDatabase(filename, busyTimeoutMs);
const commit = appendBatchTransaction(db, new SqliteStatements(db));
const port = parentPort!;
const post = (message: FromWriter) => port.postMessage(message);

port.on('message', (message: ToWriter) => {
  if (message.type === 'close') {
    db.close();
    post({ type: 'closed' });
    return;
  }
  try {
    post({ type: 'committed', id: message.id, outcomes: transferOutcomes(commit(message.requests)) });
  } catch (error) {
    post({ type: 'failed', id: message.id, error: transferError(error) });
  }
});
