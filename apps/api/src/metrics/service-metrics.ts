import { WEBHOOK_STATUSES, type DeliveryObserver, type WebhookOutcome, type WebhookStatus } from '@lib/event-feed';

/** What the webhook gauges read. */
export interface WebhookProgress {
  subscriptions(): Promise<Array<{ id: string; status: WebhookStatus; checkpoint: number }>>;
  headPosition(): Promise<number>;
}
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type {
  CommandFamily,
  LifecycleObserver,
  ReconcilePassResult,
  RoutingPassResult,
  TimerPassResult,
} from '@lib/conversation-lifecycle';

/** What the view gauges read at each scrape: where each view is, and where the log ends. */
export interface ViewProgress {
  /** Each view's position, and when the first event it has not applied happened (undefined: none pending). */
  views(): Promise<Array<{ name: string; position: number; oldestPendingAt?: string }>>;
  headPosition(): Promise<number>;
}

/** Commands whose applied outcome is a step of a push offer's life. */
const ROUTING_OUTCOME_OF: Record<string, string> = {
  AcceptAssignment: 'accepted',
  RejectAssignment: 'rejected',
  ExpirePushReservation: 'expired',
};

/**
 * Every metric the service exposes at /metrics. Labels are kinds, routes, codes and view names,
 * never a conversation, customer or agent id (cardinality and privacy).
 */
export class ServiceMetrics implements LifecycleObserver, DeliveryObserver {
  readonly registry = new Registry();
  private readonly httpDuration: Histogram<'method' | 'route' | 'status'>;
  private readonly commands: Counter<'family' | 'type' | 'outcome'>;
  private readonly appendDuration: Histogram<'outcome'>;
  private readonly appendBatch: Histogram;
  private readonly timers: Counter<'outcome'>;
  private readonly routing: Counter<'outcome'>;
  private readonly reconciler: Counter<'outcome'>;
  private readonly webhookAttempts: Histogram<'result'>;
  private readonly webhookLag: Histogram;

  constructor(private readonly clock: () => Date = () => new Date()) {
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry });
    this.httpDuration = new Histogram({
      name: 'http_request_duration_seconds',
      help: 'HTTP requests by method, route pattern and status, and how long they took',
      labelNames: ['method', 'route', 'status'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    });
    this.commands = new Counter({
      name: 'commands_total',
      help: 'Commands handled, by family (conversation, agent, queue), type and outcome (applied, repeated, unchanged, or the refusal code)',
      labelNames: ['family', 'type', 'outcome'],
      registers,
    });
    this.appendDuration = new Histogram({
      name: 'event_store_append_duration_seconds',
      help: 'Appends to the event store, by outcome (ok, conflict, error), and how long they took',
      labelNames: ['outcome'],
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
      registers,
    });
    this.appendBatch = new Histogram({
      name: 'event_store_append_batch_size',
      help: 'Events per append',
      buckets: [1, 2, 3, 5, 10, 25, 100],
      registers,
    });
    this.timers = new Counter({
      name: 'timers_total',
      help: 'Due timers handled by the timer passes: fired, already_fired (another pass or instance did), outdated (its condition cleared), failed',
      labelNames: ['outcome'],
      registers,
    });
    this.routing = new Counter({
      name: 'routing_offers_total',
      help: 'Push offers: offered by routing, refused when offered (the views were behind), accepted, rejected and expired',
      labelNames: ['outcome'],
      registers,
    });
    this.reconciler = new Counter({
      name: 'capacity_reconciler_total',
      help: 'Capacity reconciler work: claims checked, repairs made (agent events written), failures',
      labelNames: ['outcome'],
      registers,
    });
    this.webhookAttempts = new Histogram({
      name: 'webhook_attempt_duration_seconds',
      help: 'Webhook delivery attempts by result (delivered, rejected, timeout, network, blocked, gone), and how long they took',
      labelNames: ['result'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    });
    this.webhookLag = new Histogram({
      name: 'webhook_delivery_lag_seconds',
      help: 'From the time an event records to its delivery to a webhook receiver',
      buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 3600],
      registers,
    });
  }

  /** The view gauges, read at each scrape. */
  watchViews(progress: ViewProgress): void {
    const clock = this.clock;
    new Gauge({
      name: 'view_position',
      help: 'The last event position each view has applied',
      labelNames: ['view'],
      registers: [this.registry],
      async collect() {
        for (const view of await progress.views()) this.set({ view: view.name }, view.position);
      },
    });
    new Gauge({
      name: 'event_log_head_position',
      help: 'The position of the last event in the log',
      registers: [this.registry],
      async collect() {
        this.set(await progress.headPosition());
      },
    });
    new Gauge({
      name: 'view_lag_events',
      help: 'Events in the log that a view has not applied yet',
      labelNames: ['view'],
      registers: [this.registry],
      async collect() {
        const head = await progress.headPosition();
        for (const view of await progress.views()) this.set({ view: view.name }, Math.max(0, head - view.position));
      },
    });
    new Gauge({
      name: 'view_lag_seconds',
      help: 'How long ago the oldest event a view has not applied happened (0 when it is caught up)',
      labelNames: ['view'],
      registers: [this.registry],
      async collect() {
        const now = clock().getTime();
        for (const view of await progress.views()) {
          const pendingSince = view.oldestPendingAt === undefined ? Number.NaN : Date.parse(view.oldestPendingAt);
          this.set({ view: view.name }, Number.isFinite(pendingSince) ? Math.max(0, (now - pendingSince) / 1000) : 0);
        }
      },
    });
  }

  /** The webhook gauges, read at each scrape: subscriptions by status, and how far each is behind the log. */
  watchWebhooks(source: WebhookProgress): void {
    new Gauge({
      name: 'webhook_subscriptions',
      help: 'Webhook subscriptions by status (active, paused, failing, disabled): alert on failing and disabled',
      labelNames: ['status'],
      registers: [this.registry],
      async collect() {
        const subscriptions = await source.subscriptions();
        this.reset();
        for (const status of WEBHOOK_STATUSES) this.set({ status }, subscriptions.filter((s) => s.status === status).length);
      },
    });
    new Gauge({
      name: 'webhook_lag_events',
      help: "Log positions between the head and a subscription's checkpoint (events, on the embedded store): its backlog",
      labelNames: ['subscription'],
      registers: [this.registry],
      async collect() {
        const [head, subscriptions] = await Promise.all([source.headPosition(), source.subscriptions()]);
        this.reset();
        for (const subscription of subscriptions) this.set({ subscription: subscription.id }, Math.max(0, head - subscription.checkpoint));
      },
    });
  }

  httpAnswered(method: string, route: string, status: number, seconds: number): void {
    this.httpDuration.observe({ method, route, status: String(status) }, seconds);
  }

  appended(outcome: 'ok' | 'conflict' | 'error', events: number, seconds: number): void {
    this.appendDuration.observe({ outcome }, seconds);
    this.appendBatch.observe(events);
  }

  commandHandled(family: CommandFamily, commandType: string, outcome: string): void {
    this.commands.inc({ family, type: commandType, outcome });
    const routingOutcome = ROUTING_OUTCOME_OF[commandType];
    if (family === 'conversation' && routingOutcome && outcome === 'applied') this.routing.inc({ outcome: routingOutcome });
  }

  timerPass(result: TimerPassResult): void {
    this.timers.inc({ outcome: 'fired' }, result.fired);
    this.timers.inc({ outcome: 'already_fired' }, result.alreadyFired);
    this.timers.inc({ outcome: 'outdated' }, result.outdated);
    this.timers.inc({ outcome: 'failed' }, result.failed);
  }

  routingPass(result: RoutingPassResult): void {
    this.routing.inc({ outcome: 'offered' }, result.offered);
    this.routing.inc({ outcome: 'refused' }, result.refused);
  }

  attempted(result: WebhookOutcome['kind'], durationMs: number): void {
    this.webhookAttempts.observe({ result }, durationMs / 1000);
  }

  delivered(lagMs: number): void {
    this.webhookLag.observe(Math.max(0, lagMs) / 1000);
  }

  reconcilerPass(result: ReconcilePassResult): void {
    this.reconciler.inc({ outcome: 'checked' }, result.claims);
    this.reconciler.inc({ outcome: 'repaired' }, result.settled);
    this.reconciler.inc({ outcome: 'failed' }, result.failed);
  }
}
