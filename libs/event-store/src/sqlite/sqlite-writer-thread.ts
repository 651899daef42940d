import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { EventStoreUnavailableError } from '../event-store.errors';
import type { AppendRequest, AppendWritten } from './append-batch';
import type { RequestOutcome } from './group-commit';
import { reviveError, type FromWriter, type ToWriter } from './sqlite-writer.protocol';

// Plain JavaScript: from the TypeScript sources (tests) the worker needs a loader first.
const BOOTSTRAP = `
const { workerData } = require('node:worker_threads');
if (workerData.typescriptLoader) require(workerData.typescriptLoader);
require(workerData.entry);
`;

interface Pending {
  resolve(outcomes: RequestOutcome<AppendWritten>[]): void;
  reject(error: unknown): void;
}

/**
 * The request thread's side of the writer thread (sqlite-writer.worker.ts): hands it a batch,
 * resolves with each request's outcome once the batch is on disk. A thread that dies fails the
 * batch it held as "outcome unknown" (EventStoreUnavailableError) and is started again for the
 * next batch; what it had committed before dying is in the file, as after a crash.
 */
export class SqliteWriterThread {
  private worker?: Worker;
  private readonly pending = new Map<number, Pending>();
  private nextId = 0;
  private closed?: Promise<void>;

  constructor(
    private readonly filename: string,
    private readonly busyTimeoutMs: number,
  ) {}

  commit(requests: AppendRequest[]): Promise<RequestOutcome<AppendWritten>[]> {
    const worker = (this.worker ??= this.spawn());
    const id = this.nextId++;
    // Only while a batch is out does the thread keep the process alive.
    if (this.pending.size === 0) worker.ref();
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      worker.postMessage({ type: 'commit', id, requests } satisfies ToWriter);
    });
  }

  /** Closes the thread's connection once the batches handed to it are done. */
  close(): Promise<void> {
    this.closed ??= this.stop();
    return this.closed;
  }

  private async stop(): Promise<void> {
    const worker = this.worker;
    if (!worker) return;
    await new Promise<void>((resolve) => {
      worker.once('exit', () => resolve());
      worker.on('message', (message: FromWriter) => {
        if (message.type === 'closed') void worker.terminate();
      });
      worker.postMessage({ type: 'close' } satisfies ToWriter);
      worker.ref();
    });
  }

  private spawn(): Worker {
    const compiled = join(__dirname, 'sqlite-writer.worker.js');
    const entry = existsSync(compiled) ? compiled : join(__dirname, 'sqlite-writer.worker.ts');
    const typescriptLoader = entry.endsWith('.ts') ? join(__dirname, 'testing-fixtures', 'register-typescript.js') : undefined;
    const worker = new Worker(BOOTSTRAP, {
      eval: true,
      workerData: { entry, typescriptLoader, filename: this.filename, busyTimeoutMs: this.busyTimeoutMs },
    });
    worker.unref();
    worker.on('message', (message: FromWriter) => {
      if (message.type === 'closed') return;
      const pending = this.pending.get(message.id);
      this.pending.delete(message.id);
      if (this.pending.size === 0) worker.unref();
      if (!pending) return;
      if (message.type === 'failed') pending.reject(reviveError(message.error));
      else pending.resolve(message.outcomes.map((outcome) => (outcome.ok ? outcome : { ok: false, error: reviveError(outcome.error) })));
    });
    const lost = (cause: unknown) => {
      if (this.worker === worker) this.worker = undefined;
      for (const pending of this.pending.values()) {
        pending.reject(
          new EventStoreUnavailableError('The event store writer thread stopped; whether the append was written is unknown', cause),
        );
      }
      this.pending.clear();
    };
    worker.on('error', lost);
    worker.on('exit', (code) => lost(new Error(`writer thread exited with ${code}`)));
    return worker;
  }
}
