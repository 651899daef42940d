import type { ProjectionStatus } from '../read-models.types';

/**
 * Read-your-writes for a projector seen only through its reported statuses: a wait resolves
 * true once every view has reached the position, false on timeout or when a view has stopped
 * (for good, not merely retrying) short of it. Call notify() whenever the statuses change.
 */
export class PositionWaiters {
  private readonly listeners = new Set<() => void>();

  constructor(private readonly statuses: () => readonly ProjectionStatus[]) {}

  notify(): void {
    for (const listener of [...this.listeners]) listener();
  }

  wait(position: number, timeoutMs: number): Promise<boolean> {
    return new Promise<boolean>((resolve) => {
      const finish = (reached: boolean) => {
        this.listeners.delete(check);
        clearTimeout(timer);
        resolve(reached);
      };
      const check = () => {
        const statuses = this.statuses();
        // A view stopped at a failure still answers for positions it had already reached.
        if (statuses.some((s) => s.failure !== undefined && !s.failure.transient && s.position < position)) finish(false);
        else if (statuses.length > 0 && statuses.every((s) => s.position >= position)) finish(true);
      };
      const timer = setTimeout(() => finish(false), timeoutMs);
      this.listeners.add(check);
      check();
    });
  }
}
