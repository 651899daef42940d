import { AsyncLocalStorage } from 'node:async_hooks';
import {
  START,
  streamNameFilter,
  type AllStreamResolvedEvent,
  type AllStreamSubscription,
  type EventStoreDBClient,
  type Filter,
  type Position,
} from '@eventstore/db-client';
import type { RecordedEvent, SubscribeToAllOptions, Subscription } from '../event-store.port';
import { resolveBatchSize } from '../input-validation';
import { isSystemStream, positionPair, revisionNumber, toRecordedEvent } from './eventstoredb-records';
import { StoppablePause } from '../subscription/stoppable-pause';

export interface ResubscribePolicy {
  /** First wait after the server dropped the subscription; doubles on each failure in a row. */
  initialDelayMs: number;
  maxDelayMs: number;
  /** Told each time the subscription is dropped and will be retried (for logs). */
  onRetry?(error: Error | undefined, delayMs: number): void;
}

/** Something the server said between events; it takes effect once the events before it are handled. */
interface Marker {
  /** How many events had arrived before it. */
  after: number;
  kind: 'checkpoint' | 'caught-up';
  position?: Position;
}

/** Thrown out of one connection's loop when onEvents failed: that ends the subscription for good. */
class HandlerFailure {
  constructor(readonly error: Error) {}
}

/** Events scanned by the server between two checkpoints. */
const CHECKPOINT_EVERY = 32;

const runningHandler = new AsyncLocalStorage<EventStoreDbSubscription>();

/**
 * A catch-up subscription to $all on EventStoreDB behind the port's Subscription.
 *
 * - The server filters: streams starting with one of the prefixes, or every stream not starting
 *   with `$` (EventStoreDB's own). Checkpoints come every CHECKPOINT_EVERY scanned events, so a sparse filter
 *   still moves the resume position forward.
 * - Backpressure: events are taken from the client's stream only between handler calls, so a
 *   slow handler fills gRPC's flow-control window and the server waits.
 * - Caught-up and checkpoints arrive in order with the events, but the client reports them
 *   when they pass its parser, possibly before the events ahead of them were handed over; each
 *   is noted with how many events preceded it and takes effect only once those are handled.
 * - When the connection drops or the server ends the subscription, it resubscribes after the
 *   last handled event (or checkpoint), with a doubling delay; nothing is delivered twice.
 */
export class EventStoreDbSubscription implements Subscription {
  private resumeFrom: Position | typeof START;
  /** Highest position handled (delivered, skipped or checkpointed): what onCaughtUp reports. */
  private reached: number;
  private readonly batchSize: number;
  private stopping = false;
  private current?: AllStreamSubscription;
  private wake?: () => void;
  private readonly pauses = new StoppablePause();
  private readonly ended: Promise<void>;

  constructor(
    private readonly client: EventStoreDBClient,
    private readonly options: SubscribeToAllOptions,
    private readonly policy: ResubscribePolicy,
    private readonly onEnded: (subscription: EventStoreDbSubscription) => void,
  ) {
    const after = Math.max(0, options.after ?? 0);
    this.resumeFrom = after === 0 ? START : positionPair(after);
    this.reached = after;
    this.batchSize = resolveBatchSize(options.batchSize);
    // Start on a later tick so the caller holds the subscription before any callback runs.
    this.ended = Promise.resolve().then(() => this.run());
  }

  stop(): Promise<void> {
    this.stopping = true;
    this.wakeUp();
    this.pauses.cut();
    void this.current?.unsubscribe().catch(() => undefined);
    // From inside our own onEvents, waiting for the in-flight call would wait for itself.
    if (runningHandler.getStore() === this) return Promise.resolve();
    return this.ended;
  }

  private async run(): Promise<void> {
    let delayMs = this.policy.initialDelayMs;
    try {
      while (!this.stopping) {
        const { progressed, error } = await this.followOnce();
        if (this.stopping) break;
        if (progressed) delayMs = this.policy.initialDelayMs;
        this.policy.onRetry?.(error, delayMs);
        await this.pause(delayMs);
        delayMs = Math.min(delayMs * 2, this.policy.maxDelayMs);
      }
    } catch (failure) {
      this.stopping = true;
      this.report(failure instanceof HandlerFailure ? failure.error : toError(failure));
    } finally {
      this.onEnded(this);
    }
  }

  /** One server subscription, from the resume position until it fails, ends or is stopped. */
  private async followOnce(): Promise<{ progressed: boolean; error?: Error }> {
    const markers: Marker[] = [];
    let arrived = 0;
    let progressed = false;
    let failure: Error | undefined;
    let finished = false;
    let live = false;
    const subscription: AllStreamSubscription = this.client.subscribeToAll({
      fromPosition: this.resumeFrom,
      filter: this.serverFilter((_subscription, position) => {
        markers.push({ after: arrived + subscription.readableLength, kind: 'checkpoint', position });
        this.wakeUp();
      }),
    });
    this.current = subscription;
    subscription
      .on('caughtUp', () => {
        markers.push({ after: arrived + subscription.readableLength, kind: 'caught-up' });
        this.wakeUp();
      })
      .on('confirmation', () => (progressed = true))
      .on('readable', () => this.wakeUp())
      .on('end', () => {
        finished = true;
        this.wakeUp();
      })
      .on('error', (error: Error) => {
        failure = error;
        this.wakeUp();
      });

    try {
      while (!this.stopping) {
        const batch: RecordedEvent[] = [];
        let taken = 0;
        let lastTaken: Position | undefined;
        while (batch.length < this.batchSize) {
          const resolved = subscription.read() as AllStreamResolvedEvent | null;
          if (resolved === null) break;
          taken += 1;
          const event = toRecordedEvent(resolved);
          if (!event) continue;
          lastTaken = resolved.event?.position ?? positionPair(event.position);
          if (this.wanted(event)) batch.push(event);
          else this.reached = Math.max(this.reached, event.position);
        }
        if (batch.length > 0) {
          try {
            await runningHandler.run(this, () => this.options.onEvents(batch));
          } catch (error) {
            throw new HandlerFailure(toError(error));
          }
          this.reached = Math.max(this.reached, batch[batch.length - 1].position);
          progressed = true;
        }
        if (lastTaken) this.resumeFrom = lastTaken;
        arrived += taken;
        live = this.settleMarkers(markers, arrived) || live;
        if (taken > 0) continue;
        if (failure !== undefined || finished) return { progressed, error: failure };
        await this.waitForWake();
        if (live && !this.stopping) await this.pause(this.options.liveBatchWindowMs ?? 0);
      }
      return { progressed };
    } finally {
      this.current = undefined;
      subscription.removeAllListeners('readable').removeAllListeners('caughtUp');
      // Keep swallowing late errors of the abandoned stream.
      subscription.on('error', () => undefined);
      void subscription.unsubscribe().catch(() => undefined);
    }
  }

  /** Applies the markers whose preceding events are all handled; true once caught up. */
  private settleMarkers(markers: Marker[], handled: number): boolean {
    let caughtUp = false;
    while (markers.length > 0 && markers[0].after <= handled) {
      const marker = markers.shift() as Marker;
      if (marker.kind === 'checkpoint' && marker.position) {
        const position = revisionNumber(marker.position.commit);
        if (position > this.reached) {
          this.reached = position;
          this.resumeFrom = marker.position;
        }
        continue;
      }
      caughtUp = true;
      this.options.onCaughtUp?.(this.reached);
    }
    return caughtUp;
  }

  /**
   * Done on the server, so a sparse subscription does not carry the whole log over the wire;
   * checkpoints every 32 scanned events keep its resume position moving all the same.
   */
  private serverFilter(checkpointReached: (subscription: AllStreamSubscription, position: Position) => void): Filter {
    const prefixes = this.options.filter?.streamPrefixes ?? [];
    const common = { checkpointInterval: 1, maxSearchWindow: CHECKPOINT_EVERY, checkpointReached };
    return prefixes.length > 0 ? streamNameFilter({ ...common, prefixes }) : streamNameFilter({ ...common, regex: '^[^$]' });
  }

  private wanted(event: RecordedEvent): boolean {
    if (isSystemStream(event.streamName)) return false;
    const prefixes = this.options.filter?.streamPrefixes ?? [];
    return prefixes.length === 0 || prefixes.some((prefix) => event.streamName.startsWith(prefix));
  }

  private waitForWake(): Promise<void> {
    if (this.stopping) return Promise.resolve();
    return new Promise((resolve) => (this.wake = resolve));
  }

  /** Only stop() cuts a pause short: new events during a live-batch window are the point of it. */
  private pause(ms: number): Promise<void> {
    return this.stopping ? Promise.resolve() : this.pauses.wait(ms);
  }

  private wakeUp(): void {
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
  }

  /** Like the local adapters: without onError, a failure surfaces as an unhandled rejection. */
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

function toError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}
