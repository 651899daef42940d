import type { ProjectionStatus } from '../read-models.types';

/** Where the views stand against a position: all there, one stopped for good short of it, or not yet. */
export type PositionProgress = (position: number) => 'reached' | 'stopped_short' | 'pending';

/** Progress as reported statuses tell it. A view stopped at a failure still answers for positions it had reached. */
const progressOfStatuses =
  (statuses: () => readonly ProjectionStatus[]): PositionProgress =>
  (position) => {
    const current = statuses();
    if (current.some((s) => s.failure !== undefined && !s.failure.transient && s.position < position)) return 'stopped_short';
    return current.length > 0 && current.every((s) => s.position >= position) ? 'reached' : 'pending';
  };

/**
 * Read-your-writes: a wait resolves true once every view has reached the position, false on
 * timeout or when a view has stopped (for good, not merely retrying) short of it. Progress comes
 * from reported statuses (a projector on another thread, or seen through its checkpoints) or
 * from the projector itself. Call notify() whenever it may have changed.
 */
export class PositionWaiters {
  private readonly listeners = new Set<() => void>();
  private readonly progress: PositionProgress;

  constructor(source: (() => readonly ProjectionStatus[]) | { progress: PositionProgress }) {
    this.progress = typeof source === 'function' ? progressOfStatuses(source) : source.progress;
  }

  notify(): void {
    for (const listener of [...this.listeners]) listener();
  }

  wait(position: number, timeoutMs: number): Promise<boolean> {
    return new Promise<boolean>((resolve) => {
      let settled = false;
      const finish = (reached: boolean) => {
        if (settled) return;
        settled = true;
        this.listeners.delete(check);
        clearTimeout(timer);
        resolve(reached);
      };
      const check = () => {
        const progress = this.progress(position);
        if (progress !== 'pending') finish(progress === 'reached');
      };
      const timer = setTimeout(() => finish(false), timeoutMs);
      this.listeners.add(check);
      check();
    });
  }
}
