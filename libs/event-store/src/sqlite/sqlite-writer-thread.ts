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
  /** The running thread and the batches it holds (a thread that died fails only its own). */
  private current?: { worker: Worker; pending: Map<number, Pending> };
  private nextId = 0;
  private closed?: Promise<void>;

  constructor(
    private readonly filename: string,
    private readonly busyTimeoutMs: number,
  ) {}

  commit(requests: AppendRequest[]): Promise<RequestOutcome<AppendWritten>[]> {
    const { worker, pending } = (this.current ??= this.spawn());
    const id = this.nextId++;
    // Only while a batch is out does the thread keep the process alive.
    if (pending.size === 0) worker.ref();
    return new Promise((resolve, reject) => {
      pending.set(id, { resolve, reject });
      worker.postMessage({ type: 'commit', id, requests } satisfies ToWriter);
    });
  }

  /** Closes the thread's connection once the batches handed to it are done. */
  close(): Promise<void> {
    this.closed ??= this.stop();
    return this.closed;
  }

  private async stop(): Promise<void> {
    const worker = this.current?.worker;
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

  private spawn(): { worker: Worker; pending: Map<number, Pending> } {
    const compiled = join(__dirname, 'sqlite-writer.worker.js');
    const entry = existsSync(compiled) ? compiled : join(__dirname, 'sqlite-writer.worker.ts');
    const typescriptLoader = entry.endsWith('.ts') ? join(__dirname, 'testing-fixtures', 'register-typescript.js') : undefined;
    const worker = new Worker(BOOTSTRAP, {
      eval: true,
      workerData: { entry, typescriptLoader, filename: this.filename, busyTimeoutMs: this.busyTimeoutMs },
    });
    const pending = new Map<number, Pending>();
    worker.unref();
    worker.on('message', (message: FromWriter) => {
      if (message.type === 'closed') return;
      const waiting = pending.get(message.id);
      pending.delete(message.id);
      if (pending.size === 0) worker.unref();
      if (!waiting) return;
      if (message.type === 'failed') waiting.reject(reviveError(message.error));
      else waiting.resolve(message.outcomes.map((outcome) => (outcome.ok ? outcome : { ok: false, error: reviveError(outcome.error) })));
    });
    // Runs on 'error' and again on 'exit': the second time there is nothing left to fail.
    const lost = (cause: unknown) => {
      if (this.current?.worker === worker) this.current = undefined;
      for (const waiting of pending.values()) {
        waiting.reject(
          new EventStoreUnavailableError('The event store writer thread stopped; whether the append was written is unknown', cause),
        );
      }
      pending.clear();
    };
    worker.on('error', lost);
    worker.on('exit', (code) => lost(new Error(`writer thread exited with ${code}`)));
    return { worker, pending };
  }
}
