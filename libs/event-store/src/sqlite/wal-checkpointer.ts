import { Worker } from 'node:worker_threads';

/**
 * Copies the WAL into the database file from a worker thread, on its own connection, so the
 * thread that commits appends never stalls on a checkpoint (copying tens of MB and an fsync).
 * PASSIVE checkpoints never block writers or readers; the committing connection keeps a far
 * higher auto-checkpoint threshold only as a safety valve should this thread fall behind.
 */
export class WalCheckpointer {
  private readonly worker: Worker;

  constructor(filename: string, intervalMs: number, busyTimeoutMs: number) {
    this.worker = new Worker(CHECKPOINT_LOOP, {
      eval: true,
      workerData: { sqliteModule: require.resolve('better-sqlite3'), filename, intervalMs, busyTimeoutMs },
    });
    // A failing checkpointer must not take the service down: the safety valve still applies.
    this.worker.on('error', () => undefined);
    this.worker.unref();
  }

  async stop(): Promise<void> {
    await this.worker.terminate();
  }
}

// Plain JavaScript run in the worker: it must load without the TypeScript toolchain.
const CHECKPOINT_LOOP = `
const { workerData } = require('node:worker_threads');
const Database = require(workerData.sqliteModule);
const db = new Database(workerData.filename, { timeout: workerData.busyTimeoutMs });
const checkpoint = () => { try { db.pragma('wal_checkpoint(PASSIVE)'); } catch { /* busy: next round */ } };
setInterval(checkpoint, workerData.intervalMs);
`;
