import type { EventStore, RecordedEvent } from '@lib/event-store';
import { feedEventOf } from '../feed/feed-event';
import { feedFilterMatcher } from '../feed/feed-filter';
import { signingSecretsOf, type WebhookSubscription } from '../subscriptions/webhook-subscription';
import type { DeliveryProgress, NewDeliveryAttempt, WebhookSubscriptions } from '../subscriptions/webhook-subscriptions.repository';
import { leaseNeededForAttempt, type DeliverySettings } from './delivery-settings';
import { afterFailure } from './retry-schedule';
import { signedHeaders } from './webhook-signature';
import type { WebhookOutcome, WebhookSender } from './webhook-sender.types';
import { WakeSignal } from './wake-signal';

export interface FeedLogger {
  log(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

/** What the service measures of deliveries (metrics); every method optional to call. */
export interface DeliveryObserver {
  attempted(outcome: WebhookOutcome['kind'], durationMs: number): void;
  /** A delivered event, `lagMs` after it was recorded in the log. */
  delivered(lagMs: number): void;
}

export interface DelivererContext {
  store: EventStore;
  subscriptions: WebhookSubscriptions;
  /**
   * A sender for one deliverer: its own kept-alive connection, so subscriptions to one receiver
   * never queue behind each other (a wait that would count against their timeouts).
   */
  newSender: () => WebhookSender;
  settings: DeliverySettings;
  /** This instance's lease-owner name. */
  owner: string;
  /** Wall-clock epoch ms: the Standard Webhooks timestamp is checked against receivers' clocks. */
  now: () => number;
  random: () => number;
  newEvents: WakeSignal;
  logger: FeedLogger;
  observer?: DeliveryObserver;
  userAgent: string;
}

const PRUNE_EVERY_MS = 60_000;
/**
 * Delivered events are recorded (checkpoint and log lines) in one write per this many, or per
 * this long, not one write per event: after a crash at most that many are sent again.
 */
const RECORD_EVERY_ATTEMPTS = 100;
const RECORD_EVERY_MS = 100;

/**
 * Delivers one subscription while this instance holds its lease: reads the log after the
 * checkpoint, sends each event the filter wants, one at a time and in order, and moves the
 * checkpoint only once the receiver accepted it (the move and the attempt's log line commit
 * together). A failed event is retried on the backoff schedule; nothing after it is sent in the
 * meantime. Ends when the lease is lost, the subscription stops being active, or on stop().
 */
export class SubscriptionDeliverer {
  /** Aborts waits (not an attempt in flight, see stop()). */
  private readonly abort = new AbortController();
  private readonly sender: WebhookSender;
  private readonly changed = new WakeSignal();
  private running?: Promise<void>;
  private renewAt = 0;
  private leaseUntil = 0;
  private lastPrune = 0;
  /** Delivered attempts not written yet (the checkpoint in memory is past them), and since when. */
  private unrecorded: NewDeliveryAttempt[] = [];
  private unrecordedSince = 0;
  /** The checkpoint as last written. */
  private recordedCheckpoint = 0;
  /** The subscription as this deliverer last knew it (progress not yet written included). */
  private latest?: WebhookSubscription;

  constructor(
    readonly subscriptionId: string,
    private readonly context: DelivererContext,
  ) {
    this.sender = context.newSender();
  }

  /** Runs until the subscription is no longer this instance's to deliver; `onEnded` is then told. */
  start(onEnded: () => void): void {
    this.running = this.run()
      .catch((error: unknown) => {
        this.context.logger.error(
          `Webhook ${this.subscriptionId}: delivery stopped on an error; retried at the next scan: ${String(error)}`,
        );
      })
      .finally(onEnded);
  }

  /** An administrator changed it: read it again now rather than at the next renewal. */
  refresh(): void {
    this.renewAt = 0;
    this.changed.notify();
  }

  /**
   * Cuts any wait short, lets an attempt in flight end (within the timeout), writes the progress
   * made and hands the lease back; resolves once stopped. The attempt is not cut off: the receiver
   * might still be handling it when a successor, handed the lease, sends the same event again.
   */
  async stop(): Promise<void> {
    this.abort.abort();
    this.changed.notify();
    await this.running;
  }

  private get stopped(): boolean {
    return this.abort.signal.aborted;
  }

  private async run(): Promise<void> {
    try {
      let subscription = await this.renew();
      while (subscription !== undefined && subscription.status === 'active' && !this.stopped) {
        subscription = await this.step(subscription);
        this.latest = subscription;
      }
    } finally {
      // Stopped with deliveries not yet written (or by an error partway through a page): write the
      // latest progress made, so a successor does not send them again.
      if (this.latest !== undefined && this.latest.status === 'active') await this.record(this.latest).catch(() => undefined);
      await this.context.subscriptions.releaseLease(this.subscriptionId, this.context.owner).catch(() => undefined);
      this.sender.close();
    }
  }

  /** Writes what was delivered since the last write, if anything: under the claim, like every write. */
  private async record(subscription: WebhookSubscription): Promise<WebhookSubscription | undefined> {
    // Never behind what is written already: a step cut short may hand an older state back.
    if (subscription.checkpoint <= this.recordedCheckpoint && this.unrecorded.length === 0) return subscription;
    return this.progress(subscription, { checkpoint: subscription.checkpoint, failures: 0 }, this.unrecorded.splice(0));
  }

  private recordIsDue(): boolean {
    return this.unrecorded.length >= RECORD_EVERY_ATTEMPTS || this.context.now() - this.unrecordedSince >= RECORD_EVERY_MS;
  }

  /** Takes or renews the lease and reads the subscription again; undefined once it is not ours. */
  private async renew(): Promise<WebhookSubscription | undefined> {
    const { subscriptions, owner, now, settings } = this.context;
    const at = now();
    const held = await subscriptions.acquireLease(this.subscriptionId, owner, at, settings.leaseMs);
    if (held === undefined) return undefined;
    this.recordedCheckpoint = held.checkpoint;
    this.leaseUntil = at + settings.leaseMs;
    this.renewAt = at + settings.leaseMs / 3;
    if (at - this.lastPrune >= PRUNE_EVERY_MS) {
      this.lastPrune = at;
      await subscriptions.pruneDeliveries(this.subscriptionId, settings.deliveryLogLimit);
    }
    return held;
  }

  /** One turn: renew when due, wait for a retry or for new events, or deliver a page. */
  private async step(subscription: WebhookSubscription): Promise<WebhookSubscription | undefined> {
    const { now, store, settings, newEvents } = this.context;
    if (now() >= this.renewAt) {
      // Renewing reads the stored subscription: what is only in memory is written first.
      const recorded = await this.record(subscription);
      return recorded === undefined ? undefined : this.renew();
    }
    const untilRenewal = this.renewAt - now();
    if (subscription.nextAttemptAt !== undefined && subscription.nextAttemptAt > now()) {
      await this.changed.wait(Math.min(subscription.nextAttemptAt - now(), untilRenewal), this.abort.signal);
      return subscription;
    }
    const page = await store.readAll({ after: subscription.checkpoint, maxCount: settings.pageSize });
    if (page.length === 0) {
      // Nothing to send for now: the progress made is written before waiting.
      const recorded = await this.record(subscription);
      if (recorded === undefined || recorded.version !== subscription.version) return recorded;
      await WakeSignal.any([newEvents, this.changed], untilRenewal, this.abort.signal);
      return recorded;
    }
    return this.deliverPage(subscription, page);
  }

  private async deliverPage(subscription: WebhookSubscription, page: RecordedEvent[]): Promise<WebhookSubscription | undefined> {
    const wanted = feedFilterMatcher(subscription.filter);
    let current = subscription;
    let passedOver = current.checkpoint;
    for (const event of page) {
      if (this.stopped || this.renewAt === 0) return current;
      if (!wanted(event)) {
        passedOver = event.position;
        continue;
      }
      const next = await this.attempt({ ...current, checkpoint: passedOver }, event);
      if (next === undefined || next.checkpoint !== event.position || next.status !== 'active') return next;
      current = next;
      passedOver = event.position;
    }
    // Events the filter passes over move the checkpoint too, so they are not read again.
    current = { ...current, checkpoint: passedOver };
    return this.recordIsDue() ? this.record(current) : current;
  }

  /**
   * Sends one event. Returns the subscription as it stands after the attempt: its checkpoint
   * moved to the event when delivered, a retry scheduled, or a new status; undefined when the
   * lease was lost.
   */
  private async attempt(subscription: WebhookSubscription, event: RecordedEvent): Promise<WebhookSubscription | undefined> {
    const { now, settings, random, observer } = this.context;
    let current: WebhookSubscription | undefined = subscription;
    if (this.leaseUntil - now() < leaseNeededForAttempt(settings)) {
      current = await this.record(current);
      if (current === undefined || current.version !== subscription.version) return current;
      current = await this.renew();
      // Changed meanwhile (or no longer ours): start over from what is stored.
      if (current === undefined || current.version !== subscription.version) return current;
      current = { ...current, checkpoint: subscription.checkpoint };
    }
    const feedEvent = feedEventOf(event);
    const body = JSON.stringify(feedEvent);
    const sentAt = now();
    const headers = {
      ...signedHeaders(event.id, new Date(sentAt), body, signingSecretsOf(current, sentAt)),
      'content-type': 'application/json',
      'user-agent': this.context.userAgent,
    };
    const outcome = await this.sender.send({ url: current.url, body, headers, timeoutMs: settings.timeoutMs });
    observer?.attempted(outcome.kind, outcome.durationMs);
    // Stopping: a failure is left for the successor to retry, with the schedule as it stands.
    if (this.stopped && outcome.kind !== 'delivered') return current;
    const attemptNumber = current.failures + 1;
    const attempt = {
      kind: 'event' as const,
      eventId: event.id,
      eventType: event.type,
      position: event.position,
      attempt: attemptNumber,
      attemptedAt: new Date(sentAt).toISOString(),
      result: outcome.kind,
      ...('statusCode' in outcome ? { statusCode: outcome.statusCode } : {}),
      ...('error' in outcome ? { error: outcome.error } : {}),
      durationMs: outcome.durationMs,
    };
    if (outcome.kind === 'delivered') {
      const at = Date.parse(feedEvent.at);
      if (Number.isFinite(at)) observer?.delivered(now() - at);
      if (this.unrecorded.length === 0) this.unrecordedSince = now();
      this.unrecorded.push(attempt);
      const { failingSince: _since, nextAttemptAt: _next, ...rest } = current;
      const delivered: WebhookSubscription = { ...rest, checkpoint: event.position, failures: 0 };
      this.latest = delivered;
      return this.recordIsDue() ? this.record(delivered) : delivered;
    }
    const failingSince = current.failingSince ?? sentAt;
    const decision = afterFailure(settings.retry, outcome, attemptNumber, failingSince, now(), random);
    const what = describeFailure(outcome);
    switch (decision.kind) {
      case 'retry':
        return this.progress(
          current,
          { checkpoint: current.checkpoint, failures: attemptNumber, failingSince, nextAttemptAt: decision.atMs },
          [...this.unrecorded.splice(0), { ...attempt, nextRetryAt: new Date(decision.atMs).toISOString() }],
        );
      case 'give_up':
        this.context.logger.warn(
          `Webhook ${current.id} paused as failing: event ${event.id} still failed after the retry window (${what})`,
        );
        return this.progress(
          current,
          {
            checkpoint: current.checkpoint,
            failures: attemptNumber,
            failingSince,
            status: 'failing',
            statusReason: `event ${event.id} (position ${event.position}) failed ${attemptNumber} times since ${new Date(failingSince).toISOString()}; last: ${what}`,
          },
          [...this.unrecorded.splice(0), attempt],
        );
      case 'disable':
        this.context.logger.warn(`Webhook ${current.id} disabled: the receiver answered 410 Gone`);
        return this.progress(
          current,
          {
            checkpoint: current.checkpoint,
            failures: attemptNumber,
            failingSince,
            status: 'disabled',
            statusReason: `the receiver answered 410 Gone to event ${event.id}`,
          },
          [...this.unrecorded.splice(0), attempt],
        );
    }
  }

  /** Writes progress under the claim; when the claim no longer holds, reads the subscription again. */
  private async progress(
    subscription: WebhookSubscription,
    progress: DeliveryProgress,
    attempts: NewDeliveryAttempt[] = [],
  ): Promise<WebhookSubscription | undefined> {
    const claim = { owner: this.context.owner, version: subscription.version };
    const written = await this.context.subscriptions.recordProgress(this.subscriptionId, claim, progress, attempts);
    if (!written) return this.renew();
    this.recordedCheckpoint = progress.checkpoint;
    const { failingSince: _since, nextAttemptAt: _next, ...rest } = subscription;
    return {
      ...rest,
      checkpoint: progress.checkpoint,
      failures: progress.failures,
      ...(progress.failingSince !== undefined ? { failingSince: progress.failingSince } : {}),
      ...(progress.nextAttemptAt !== undefined ? { nextAttemptAt: progress.nextAttemptAt } : {}),
      ...(progress.status !== undefined ? { status: progress.status, statusReason: progress.statusReason } : {}),
    };
  }
}

const describeFailure = (outcome: Exclude<WebhookOutcome, { kind: 'delivered' }>): string =>
  'statusCode' in outcome ? `HTTP ${outcome.statusCode}` : `${outcome.kind}: ${outcome.error}`;
