import { Logger } from '@nestjs/common';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { PositionWaiters, type ClosedWorkItemsPruner, type ProjectionStatus, type ProjectorHost } from '@lib/read-models';
import type { FromProjectorWorker, ProjectorWorkerData, ToProjectorWorker } from './projector-worker.protocol';

/** Starts the entry compiled (.js, the built service) or from sources (.ts, tests and development). */
const BOOTSTRAP = `
const { workerData } = require('node:worker_threads');
if (workerData.typescriptLoader) require(workerData.typescriptLoader);
require(workerData.entry);
`;

const RESTART_DELAY_MS = 1000;

/**
 * The projector running on its own thread, seen from the request thread: status and
 * read-your-writes answer from the status the thread last reported; a thread that dies is
 * reported unhealthy and started again.
 */
export class WorkerProjector implements ProjectorHost, ClosedWorkItemsPruner {
  private readonly logger = new Logger('Projector');
  private worker?: Worker;
  private statuses: ProjectionStatus[] = [];
  private readonly waiters = new PositionWaiters(() => this.statuses);
  private readonly prunes = new Map<number, { resolve(removed: number): void; reject(error: Error): void }>();
  private nextPruneId = 1;
  private stopping = false;
  private stopped?: () => void;
  private restartTimer?: NodeJS.Timeout;

  constructor(private readonly data: ProjectorWorkerData) {}

  async start(): Promise<void> {
    this.stopping = false;
    await this.spawn();
  }

  async stop(): Promise<void> {
    this.stopping = true;
    if (this.restartTimer) clearTimeout(this.restartTimer);
    const worker = this.worker;
    if (!worker) return;
    await new Promise<void>((resolve) => {
      const timeout = setTimeout(resolve, 5000);
      this.stopped = () => {
        clearTimeout(timeout);
        resolve();
      };
      worker.postMessage({ type: 'stop' } satisfies ToProjectorWorker);
    });
    await worker.terminate();
    this.worker = undefined;
  }

  status(): ProjectionStatus[] {
    return this.statuses;
  }

  waitForPosition(position: number, timeoutMs: number): Promise<boolean> {
    return this.waiters.wait(position, timeoutMs);
  }

  /** Deletes Closed work items older than 24 hours as of `now`, on the projector's thread (the only writer). */
  prune(now: string): Promise<number> {
    const worker = this.worker;
    if (!worker) return Promise.reject(new Error('The projector thread is not running'));
    const id = this.nextPruneId++;
    return new Promise<number>((resolve, reject) => {
      this.prunes.set(id, { resolve, reject });
      worker.postMessage({ type: 'prune', id, now } satisfies ToProjectorWorker);
    });
  }

  private spawn(): Promise<void> {
    const compiled = join(__dirname, 'projector.worker.js');
    const entry = existsSync(compiled) ? compiled : join(__dirname, 'projector.worker.ts');
    const typescriptLoader = entry.endsWith('.ts') ? join(__dirname, 'register-typescript.js') : undefined;
    const worker = new Worker(BOOTSTRAP, { eval: true, workerData: { ...this.data, entry, typescriptLoader } });
    this.worker = worker;
    return new Promise<void>((resolve, reject) => {
      let ready = false;
      worker.on('message', (message: FromProjectorWorker) => {
        switch (message.type) {
          case 'ready':
            ready = true;
            this.update(message.statuses);
            resolve();
            break;
          case 'status':
            this.update(message.statuses);
            break;
          case 'pruned':
            this.prunes.get(message.id)?.resolve(message.removed);
            this.prunes.delete(message.id);
            break;
          case 'prune-failed':
            this.prunes.get(message.id)?.reject(new Error(message.message));
            this.prunes.delete(message.id);
            break;
          case 'log':
            this.logger[message.level](message.message);
            break;
          case 'stopped':
            this.stopped?.();
            break;
          case 'fatal':
            this.logger.error(`The projector thread failed: ${message.message}`);
            if (!ready) reject(new Error(`The projector thread could not start: ${message.message}`));
            void worker.terminate();
            break;
        }
      });
      worker.on('error', (error) => {
        this.logger.error(`The projector thread failed: ${error.stack ?? error.message}`);
        if (!ready) reject(error);
      });
      worker.on('exit', (code) => {
        if (this.worker === worker) this.worker = undefined;
        for (const pending of this.prunes.values()) pending.reject(new Error('The projector thread stopped'));
        this.prunes.clear();
        if (this.stopping) return;
        this.update(
          this.statuses.map((s) => ({
            ...s,
            healthy: false,
            failure: {
              position: s.position,
              eventType: '',
              message: `projector thread exited (code ${code}); restarting`,
              transient: true,
            },
          })),
        );
        this.restartTimer = setTimeout(() => void this.spawn().catch(() => undefined), RESTART_DELAY_MS);
        this.restartTimer.unref();
      });
    });
  }

  private update(statuses: ProjectionStatus[]): void {
    this.statuses = statuses;
    this.waiters.notify();
  }
}
