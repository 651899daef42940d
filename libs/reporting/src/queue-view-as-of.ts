import {
  conversationIdOfStream,
  evolve,
  initialConversationState,
  toConversationEvent,
  type Channel,
  type ExistingConversationState,
} from '@lib/domain';
import type { EventStore, RecordedEvent } from '@lib/event-store';
import { secondsOf } from './aggregates';
import { isoOf, parseTime } from './event-times';
import { readLog, type ReadLogOptions } from './replay-report';

/** One open item of a queue as of a past time. */
export interface QueueItemAsOf {
  conversationId: string;
  queueId: string;
  channel: Channel;
  customerId: string;
  priority: number;
  openedAt: string;
  /** When it (last) entered the queue: opened, released, transferred, rejected, revived by the customer... */
  queuedSince: string;
  /** asOf - queuedSince, in seconds (millisecond precision). */
  waitSeconds: number;
  unreadCustomerMessages: number;
}

export interface QueueAsOf {
  queueId: string;
  /** Routing order: priority descending, then longest waiting (queuedSince ascending), then id. */
  items: QueueItemAsOf[];
}

export interface QueueViewAsOf {
  asOf: string;
  /** Ordered by queueId. Without a queueId filter only queues with open items are listed. */
  queues: QueueAsOf[];
}

/**
 * Pure fold of the log into every queue's open items as of `asOf` (inclusive: an event at asOf
 * has happened). Events after asOf are ignored, and once a conversation has one, so are its
 * later ones. Closed conversations are dropped as they close, so memory is bounded by the
 * conversations not closed as of asOf.
 */
export class QueueViewBuilder {
  private readonly asOfMs: number;
  private position = 0;
  private readonly conversations = new Map<string, { state: ExistingConversationState; frozen: boolean }>();

  constructor(readonly asOf: string) {
    this.asOfMs = parseTime(asOf, 'asOf');
  }

  get lastPosition(): number {
    return this.position;
  }

  apply(recorded: RecordedEvent): void {
    if (recorded.position <= this.position) return;
    this.position = recorded.position;
    const conversationId = conversationIdOfStream(recorded.streamName);
    if (conversationId === undefined) return;
    const event = toConversationEvent(recorded);
    const atMs = parseTime(event.data.at, `${recorded.type} at ${recorded.streamName}@${recorded.revision}: at`);
    const tracked = this.conversations.get(conversationId);
    if (tracked === undefined) {
      if (event.type !== 'ConversationOpened' || atMs > this.asOfMs) return;
      this.conversations.set(conversationId, {
        state: evolve(initialConversationState(), event) as ExistingConversationState,
        frozen: false,
      });
      return;
    }
    if (tracked.frozen) return;
    if (atMs > this.asOfMs) {
      tracked.frozen = true;
      return;
    }
    const after = evolve(tracked.state, event);
    if (after.status === 'none') throw new Error(`${recorded.type} left ${recorded.streamName} without a conversation`);
    if (after.status === 'closed') this.conversations.delete(conversationId);
    else tracked.state = after;
  }

  /** The open items per queue, in routing order; with queueId, that queue only (listed even when empty). */
  view(queueId?: string): QueueViewAsOf {
    const queues = new Map<string, QueueItemAsOf[]>();
    if (queueId !== undefined) queues.set(queueId, []);
    for (const [conversationId, { state }] of this.conversations) {
      if (state.status !== 'open' || (queueId !== undefined && state.queueId !== queueId)) continue;
      const sinceMs = Date.parse(state.statusSince);
      const item: QueueItemAsOf = {
        conversationId,
        queueId: state.queueId,
        channel: state.channel,
        customerId: state.customerId,
        priority: state.priority,
        openedAt: isoOf(Date.parse(state.openedAt)),
        queuedSince: isoOf(sinceMs),
        waitSeconds: secondsOf(Math.max(0, this.asOfMs - sinceMs)),
        unreadCustomerMessages: state.unreadCustomerMessages,
      };
      const items = queues.get(state.queueId);
      if (items) items.push(item);
      else queues.set(state.queueId, [item]);
    }
    return {
      asOf: isoOf(this.asOfMs),
      queues: [...queues]
        .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
        .map(([id, items]) => ({ queueId: id, items: items.sort(routingOrder) })),
    };
  }
}

const routingOrder = (a: QueueItemAsOf, b: QueueItemAsOf): number =>
  b.priority - a.priority ||
  (a.queuedSince < b.queuedSince ? -1 : a.queuedSince > b.queuedSince ? 1 : 0) ||
  (a.conversationId < b.conversationId ? -1 : a.conversationId > b.conversationId ? 1 : 0);

/**
 * Replays the log (paged) up to `asOf` by event time and returns the open items per queue in
 * routing order with their wait as of asOf. `queueId` narrows it to one queue.
 */
export async function queueViewAsOf(
  store: EventStore,
  asOf: string,
  queueId?: string,
  options: ReadLogOptions = {},
): Promise<QueueViewAsOf> {
  if (queueId !== undefined && (typeof queueId !== 'string' || queueId.length === 0)) {
    throw new RangeError('queueId must be a non-empty string');
  }
  const builder = new QueueViewBuilder(asOf);
  await readLog(store, 0, (event) => builder.apply(event), options);
  return builder.view(queueId);
}
