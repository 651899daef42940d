import { AsyncLocalStorage } from 'node:async_hooks';
import type { RecordedEvent, SubscribeToAllOptions, Subscription, SubscriptionFilter } from '../event-store.port';
import { resolveBatchSize } from '../input-validation';
import { StoppablePause } from './stoppable-pause';

/** Reads the log in position order, strictly after `after`, at most `maxCount` events. */
export type ReadLogPage = (after: number, maxCount: number) => Promise<RecordedEvent[]>;

export interface CatchUpSubscriptionSettings {
  readPage: ReadLogPage;
  /**
   * Re-read this often while idle, for writers that cannot signal this process (other
   * processes sharing a SQLite file). Absent: wait for `signalNewEvents` only.
   */
  pollIntervalMs?: number;
  /** Told once the subscription has ended, however it ended, so the store can forget it. */
  onEnded?(subscription: CatchUpSubscription): void;
}

/** Which subscription's handler is running, so stop() called from inside it does not wait for itself. */
const runningHandler = new AsyncLocalStorage<CatchUpSubscription>();

/**
 * Catch-up then live, as one loop over the log: read a page after the checkpoint, hand the
 * matching events to the handler and wait for it, advance; when a read comes back empty the
 * subscription is caught up and sleeps until new events are signalled or the poll timer fires.
 *
 * The checkpoint advances past events the filter drops, so a filtered subscription does not
 * re-scan them on every wake-up.
 *
 * A failure without an `onError` handler is raised as an unhandled rejection rather than
 * dropped: a projection that silently stops is worse than a crash.
 */
export class CatchUpSubscription implements Subscription {
  private checkpoint: number;
  private readonly batchSize: number;
  private readonly wanted: (event: RecordedEvent) => boolean;
  private stopping = false;
  private newEventsSignalled = false;
  private wake?: () => void;
  private readonly liveBatchWindow = new StoppablePause();
  private pollTimer?: NodeJS.Timeout;
  private readonly ended: Promise<void>;

  constructor(
    private readonly options: SubscribeToAllOptions,
    private readonly settings: CatchUpSubscriptionSettings,
  ) {
    this.checkpoint = Math.max(0, options.after ?? 0);
    this.batchSize = resolveBatchSize(options.batchSize);
    this.wanted = streamFilter(options.filter);
    // Start on a later tick so the caller holds the subscription before any callback runs.
    this.ended = Promise.resolve().then(() => this.run());
  }

  /** Called by the store after it commits events, so live delivery does not wait for a poll. */
  signalNewEvents(): void {
    this.newEventsSignalled = true;
    this.wakeUp();
  }

  stop(): Promise<void> {
    this.stopping = true;
    this.wakeUp();
    this.liveBatchWindow.cut();
    // From inside our own onEvents, waiting for the in-flight call would wait for itself.
    if (runningHandler.getStore() === this) return Promise.resolve();
    return this.ended;
  }

  private async run(): Promise<void> {
    let announcedCaughtUp = false;
    try {
      while (!this.stopping) {
        this.newEventsSignalled = false;
        const page = await this.settings.readPage(this.checkpoint, this.batchSize);
        if (this.stopping) break;
        if (page.length === 0) {
          if (!announcedCaughtUp) {
            announcedCaughtUp = true;
            this.options.onCaughtUp?.(this.checkpoint);
          }
          await this.idle();
          await this.gatherLiveBatch();
          continue;
        }
        announcedCaughtUp = false;
        const delivered = page.filter(this.wanted);
        if (delivered.length > 0) {
          await runningHandler.run(this, () => this.options.onEvents(delivered));
        }
        this.checkpoint = page[page.length - 1].position;
      }
    } catch (error) {
      this.stopping = true;
      this.report(error instanceof Error ? error : new Error(String(error)));
    } finally {
      this.clearPollTimer();
      this.settings.onEnded?.(this);
    }
  }

  private idle(): Promise<void> {
    if (this.newEventsSignalled || this.stopping) return Promise.resolve();
    return new Promise<void>((resolve) => {
      this.wake = resolve;
      const { pollIntervalMs } = this.settings;
      if (pollIntervalMs !== undefined) {
        this.pollTimer = setTimeout(() => this.wakeUp(), pollIntervalMs);
        // Polling alone must never keep the process alive.
        this.pollTimer.unref();
      }
    });
  }

  /**
   * Lets events that arrive close together accumulate, so they are delivered as one batch. New
   * signals do not cut the window short (that is the point); stop() does.
   */
  private gatherLiveBatch(): Promise<void> {
    return this.stopping ? Promise.resolve() : this.liveBatchWindow.wait(this.options.liveBatchWindowMs ?? 0);
  }

  private wakeUp(): void {
    this.clearPollTimer();
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
  }

  private clearPollTimer(): void {
    if (this.pollTimer !== undefined) clearTimeout(this.pollTimer);
    this.pollTimer = undefined;
  }

  private report(error: Error): void {
    const { onError } = this.options;
    if (!onError) {
      void Promise.reject(error);
      return;
    }
    try {
      onError(error);
    } catch (handlerFailure) {
      void Promise.reject(handlerFailure);
    }
  }
}

function streamFilter(filter: SubscriptionFilter | undefined): (event: RecordedEvent) => boolean {
  const prefixes = filter?.streamPrefixes ?? [];
  if (prefixes.length === 0) return () => true;
  return (event) => prefixes.some((prefix) => event.streamName.startsWith(prefix));
}
