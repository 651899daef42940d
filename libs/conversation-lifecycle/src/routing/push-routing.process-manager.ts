import { AGENT_STREAM_PREFIX, CONVERSATION_STREAM_PREFIX, QUEUE_STREAM_PREFIX, type StoredEventType } from '@lib/domain';
import type { EventStore, RecordedEvent, Subscription } from '@lib/event-store';
import type { PushRouter, RoutingPassResult } from './push-router';

/**
 * Whether an event may make an item routable or let an agent take one (an item opens or comes
 * back to its queue, an agent becomes available, joins a queue or frees capacity). Every event
 * type of the log has an entry, so a new one does not compile until it has decided.
 */
const TRIGGERS_ROUTING: Record<StoredEventType, boolean> = {
  ConversationOpened: true,
  ConversationPicked: false,
  ConversationPushedToAgent: false,
  ConversationForceAssigned: false,
  ConversationPushAccepted: false,
  ConversationPushRejected: true,
  ConversationPushReservationExpired: true,
  ConversationReleasedToQueue: true,
  ConversationTransferredToQueue: true,
  ConversationRequeuedOnSessionClose: true,
  ConversationRequeuedAfterAgentDisconnect: true,
  ConversationTransferredToAgent: false,
  ConversationEndedByAgent: false,
  ConversationEndedByCustomer: false,
  ConversationAutoMovedToWrapUp: false,
  ConversationParked: false,
  ConversationRevivedByAgent: false,
  ConversationRevivedByCustomer: true,
  ConversationAbandonedByCustomer: false,
  ConversationResolved: false,
  ConversationWrapUpCompleted: false,
  ConversationClosedForInactivity: false,
  ConversationForceClosed: false,
  ConversationAutoClosed: false,
  AgentDisconnected: false,
  AgentReconnected: false,
  CustomerDisconnected: false,
  CustomerReconnected: false,
  CustomerMessageReceived: false,
  AgentMessageSent: false,
  ConsultStarted: false,
  ConsultEnded: false,
  MonitoringStarted: false,
  AgentRegistered: true,
  AgentCapacityChanged: true,
  AgentJoinedQueue: true,
  AgentLeftQueue: false,
  AgentPresenceChanged: true,
  AgentCapacityReserved: false,
  AgentCapacityBlockedForWrapUp: false,
  AgentCapacityReleased: true,
  QueueCreated: true,
  QueueSettingsChanged: true,
};

const triggersRouting = (type: string): boolean => Object.hasOwn(TRIGGERS_ROUTING, type) && TRIGGERS_ROUTING[type as StoredEventType];

export interface RoutingSchedule {
  /** A pass also runs this often (real time): wrap-up blocks that ran out, missed triggers. */
  intervalMs: number;
  /** How long a triggered pass waits for the views to show the trigger before it runs anyway. */
  viewsWaitMs: number;
}

const TRIGGER_READ_WINDOW_MS = 20;

export const DEFAULT_ROUTING_SCHEDULE: RoutingSchedule = { intervalMs: 5_000, viewsWaitMs: 2_000 };

export interface RoutingStatus {
  status: 'ok' | 'off' | 'failing';
  lastPass?: RoutingPassResult & { finishedAt: string };
  lastError?: string;
}

/** Resolves once the views have applied `position` (true), or after `timeoutMs` (false). */
export type ViewsWait = (position: number, timeoutMs: number) => Promise<boolean>;

/**
 * The push-routing process manager: watches the log for events that may make an item
 * routable (an item opens or comes back to its queue, an agent becomes available, joins a
 * queue or frees capacity) and runs a routing pass once the views show them; also every
 * `intervalMs`. Passes never overlap; triggers during a pass cause one more pass after it.
 */
export class PushRoutingProcessManager {
  private subscription?: Subscription;
  private interval?: NodeJS.Timeout;
  private running?: Promise<void>;
  private wanted = false;
  private wantedPosition = 0;
  private stopped = true;
  private current: RoutingStatus = { status: 'off' };

  constructor(
    private readonly store: EventStore,
    private readonly router: PushRouter,
    private readonly waitForViews: ViewsWait,
    private readonly schedule: RoutingSchedule = DEFAULT_ROUTING_SCHEDULE,
    private readonly now: () => Date = () => new Date(),
  ) {}

  async start(): Promise<void> {
    if (!this.stopped) return;
    this.stopped = false;
    this.current = { status: 'ok' };
    const head = await this.store.headPosition();
    this.subscription = this.store.subscribeToAll({
      after: head,
      filter: { streamPrefixes: [CONVERSATION_STREAM_PREFIX, AGENT_STREAM_PREFIX, QUEUE_STREAM_PREFIX] },
      // A pass waits for the views anyway: reading the log once per window, not once per commit,
      // keeps this watcher cheap on the request thread under load.
      liveBatchWindowMs: TRIGGER_READ_WINDOW_MS,
      onEvents: (events) => this.onEvents(events),
      onError: (error) => this.fail(error),
    });
    this.interval = setInterval(() => this.request(0), this.schedule.intervalMs);
    this.interval.unref();
    this.request(head);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.interval) clearInterval(this.interval);
    await this.subscription?.stop();
    await this.running;
    this.current = { status: 'off' };
  }

  status(): RoutingStatus {
    return this.current;
  }

  /** Resolves when no pass is running or wanted (for tests and shutdown). */
  async idle(): Promise<void> {
    while (this.running) await this.running;
  }

  private onEvents(events: readonly RecordedEvent[]): void {
    const triggers = events.filter((event) => triggersRouting(event.type));
    if (triggers.length > 0) this.request(triggers[triggers.length - 1].position);
  }

  private request(position: number): void {
    if (this.stopped) return;
    this.wanted = true;
    this.wantedPosition = Math.max(this.wantedPosition, position);
    this.running ??= this.loop().finally(() => {
      this.running = undefined;
    });
  }

  private async loop(): Promise<void> {
    while (this.wanted && !this.stopped) {
      this.wanted = false;
      const position = this.wantedPosition;
      try {
        if (position > 0) await this.waitForViews(position, this.schedule.viewsWaitMs);
        const result = await this.router.runOnce();
        this.current = { status: 'ok', lastPass: { ...result, finishedAt: this.now().toISOString() } };
      } catch (error) {
        this.fail(error);
      }
    }
  }

  private fail(error: unknown): void {
    this.current = { ...this.current, status: 'failing', lastError: error instanceof Error ? error.message : String(error) };
  }
}
