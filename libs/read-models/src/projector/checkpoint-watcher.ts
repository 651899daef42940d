import type { ReadModelDatabase } from '../database/read-model-database';
import type { ProjectionStatus } from '../read-models.types';
import { PositionWaiters } from './position-waiters';
import type { ProjectorHost } from './projector';

/**
 * For an instance that leaves projecting to another process (PROJECTOR=off): it projects
 * nothing, and answers health and read-your-writes from the checkpoints that process stores.
 */
export class CheckpointWatcher implements ProjectorHost {
  private statuses: ProjectionStatus[];
  private readonly waiters = new PositionWaiters(() => this.statuses);
  private timer?: NodeJS.Timeout;
  private reading?: Promise<void>;

  constructor(
    private readonly database: ReadModelDatabase,
    private readonly projectionNames: readonly string[],
    private readonly pollIntervalMs: number,
  ) {
    this.statuses = projectionNames.map((name) => ({ name, position: 0, healthy: true }));
  }

  async start(): Promise<void> {
    await this.read();
    this.timer = setInterval(() => void this.read(), this.pollIntervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.reading;
  }

  status(): ProjectionStatus[] {
    return this.statuses;
  }

  waitForPosition(position: number, timeoutMs: number): Promise<boolean> {
    return this.waiters.wait(position, timeoutMs);
  }

  private read(): Promise<void> {
    this.reading ??= (async () => {
      try {
        const rows = await this.database.db
          .selectFrom('projection_checkpoints')
          .select(['name', 'position', 'failed_position', 'failed_event_type', 'failure_message'])
          .execute();
        const byName = new Map(rows.map((row) => [row.name, row]));
        this.statuses = this.projectionNames.map((name) => {
          const row = byName.get(name);
          const position = Number(row?.position ?? 0);
          if (row?.failed_position === null || row?.failed_position === undefined) return { name, position, healthy: true };
          return {
            name,
            position,
            healthy: false,
            failure: { position: Number(row.failed_position), eventType: row.failed_event_type ?? '', message: row.failure_message ?? '' },
          };
        });
      } catch (error) {
        this.statuses = this.statuses.map((s) => ({
          ...s,
          healthy: false,
          failure: { position: s.position, eventType: '', message: `cannot read checkpoints: ${String(error)}`, transient: true },
        }));
      } finally {
        this.reading = undefined;
        this.waiters.notify();
      }
    })();
    return this.reading;
  }
}
