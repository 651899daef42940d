/**
 * A pause that only `cut()` ends early (a subscription's stop): new events arriving during a
 * live-batch window or a resubscribe backoff must not shorten it.
 */
export class StoppablePause {
  private end?: () => void;

  wait(ms: number): Promise<void> {
    if (ms <= 0) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(() => this.end?.(), ms);
      timer.unref();
      this.end = () => {
        clearTimeout(timer);
        this.end = undefined;
        resolve();
      };
    });
  }

  cut(): void {
    this.end?.();
  }
}
