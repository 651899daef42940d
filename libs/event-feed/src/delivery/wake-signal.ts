/**
 * Wakes everyone waiting when new events are committed, or when a subscription changed; a
 * waiter also wakes after its own timeout or when its abort signal fires.
 */
export class WakeSignal {
  private waiters = new Set<() => void>();

  notify(): void {
    const waiters = this.waiters;
    this.waiters = new Set();
    for (const wake of waiters) wake();
  }

  wait(timeoutMs: number, signal?: AbortSignal): Promise<void> {
    if (signal?.aborted || timeoutMs <= 0) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', done);
        this.waiters.delete(done);
        resolve();
      };
      const timer = setTimeout(done, timeoutMs);
      signal?.addEventListener('abort', done, { once: true });
      this.waiters.add(done);
    });
  }
}

/** Waits `ms`, or less if aborted. */
export const pause = (ms: number, signal?: AbortSignal): Promise<void> => new WakeSignal().wait(ms, signal);
