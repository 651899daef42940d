import type { EventStore, Subscription } from '@lib/event-store';
import type { DelivererContext } from './subscription-deliverer';
import { SubscriptionDeliverer } from './subscription-deliverer';

/**
 * Runs this instance's share of the webhook deliveries. Every third of a lease it looks for
 * active subscriptions nobody holds (or whose holder stopped renewing) and starts a deliverer
 * for each lease it wins; a deliverer ends when its lease is lost or its subscription stops
 * being active. While it delivers anything, one subscription on the log wakes every deliverer
 * when events are committed, so delivery follows the log without polling it; with nothing to
 * deliver, it does not read the log at all.
 */
export class WebhookDispatcher {
  private readonly deliverers = new Map<string, SubscriptionDeliverer>();
  private scanTimer?: NodeJS.Timeout;
  private headWatch?: Subscription;
  private scanning?: Promise<void>;
  private stopping = false;

  constructor(private readonly context: DelivererContext) {}

  async start(): Promise<void> {
    this.scanTimer = setInterval(() => this.scan(), this.context.settings.leaseMs / 3);
    this.scanTimer.unref();
    this.scan();
  }

  /** A subscription was created or changed here: deliver or re-read it now, not at the next scan. */
  changed(subscriptionId: string): void {
    this.deliverers.get(subscriptionId)?.refresh();
    this.scan();
  }

  /** Subscriptions this instance is delivering now. */
  delivering(): string[] {
    return [...this.deliverers.keys()];
  }

  async stop(): Promise<void> {
    this.stopping = true;
    if (this.scanTimer) clearInterval(this.scanTimer);
    await this.scanning;
    await this.headWatch?.stop();
    await Promise.all([...this.deliverers.values()].map((deliverer) => deliverer.stop()));
  }

  private scan(): void {
    if (this.stopping || this.scanning) return;
    this.scanning = this.claimFree()
      .catch((error: unknown) =>
        this.context.logger.warn(`Webhook scan failed; next one in ${this.context.settings.leaseMs / 3} ms: ${String(error)}`),
      )
      .finally(() => {
        this.scanning = undefined;
        this.stopWatchingWhenIdle();
      });
  }

  private async claimFree(): Promise<void> {
    const claimable = await this.context.subscriptions.claimable(this.context.owner, this.context.now());
    const free = claimable.filter((id) => !this.deliverers.has(id));
    if (this.stopping || free.length === 0) return;
    // Watching from the head before a deliverer first reads: whatever it has not read wakes it.
    this.headWatch ??= await this.watchLog(this.context.store);
    for (const id of free) {
      if (this.stopping) return;
      const deliverer = new SubscriptionDeliverer(id, this.context);
      this.deliverers.set(id, deliverer);
      deliverer.start(() => {
        if (this.deliverers.get(id) === deliverer) this.deliverers.delete(id);
        this.stopWatchingWhenIdle();
      });
    }
  }

  /** Reading the log costs the request thread; nothing here needs it while nothing is delivered. */
  private stopWatchingWhenIdle(): void {
    if (this.deliverers.size > 0 || !this.headWatch || this.scanning) return;
    const watch = this.headWatch;
    this.headWatch = undefined;
    void watch.stop();
  }

  private async watchLog(store: EventStore): Promise<Subscription> {
    const head = await store.headPosition();
    return store.subscribeToAll({
      after: head,
      batchSize: 1_000,
      onEvents: () => this.context.newEvents.notify(),
      onError: (error) => {
        this.context.logger.warn(
          `Webhook deliveries no longer hear of new events (they look every ${this.context.settings.leaseMs / 3} ms): ${error.message}`,
        );
      },
    });
  }
}
