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
    return WakeSignal.any([this], timeoutMs, signal);
  }

  /** Waits until any of `signals` is notified, the timeout passes or `abort` fires; leaves no listener behind. */
  static any(signals: readonly WakeSignal[], timeoutMs: number, abort?: AbortSignal): Promise<void> {
    if (abort?.aborted || timeoutMs <= 0) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        abort?.removeEventListener('abort', done);
        for (const signal of signals) signal.waiters.delete(done);
        resolve();
      };
      const timer = setTimeout(done, timeoutMs);
      abort?.addEventListener('abort', done, { once: true });
      for (const signal of signals) signal.waiters.add(done);
    });
  }
}

/** Waits `ms`, or less if aborted. */
export const pause = (ms: number, signal?: AbortSignal): Promise<void> => new WakeSignal().wait(ms, signal);
