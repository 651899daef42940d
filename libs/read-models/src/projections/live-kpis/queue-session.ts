import type { ConversationEvent, ConversationState, ExistingConversationState } from '@lib/domain';

/**
 * What the live KPIs keep of one conversation beside its folded state: the queue session the
 * customer is waiting in, and the handle time so far. Plain JSON numbers (epoch milliseconds).
 */
export interface QueueSessionTrack {
  /** When the customer started waiting for an answer in the current queue; null when nobody is waiting. */
  waitingSinceMs: number | null;
  /** Time accepted-active or in wrap-up so far (the report's handle time). */
  handleMs: number;
  /** When the current handling segment began; null when not being handled. */
  handlingSinceMs: number | null;
  /** Whether any agent ever accepted it (a closed one that was never accepted has no handle time). */
  accepted: boolean;
}

export const QUEUE_FACT_KINDS = ['answered', 'abandoned', 'transferred', 'handled'] as const;
export type QueueFactKind = (typeof QUEUE_FACT_KINDS)[number];

/**
 * One thing that happened in a queue at a moment, which the window figures count:
 * - `answered`: a waiting customer's conversation was accepted by an agent (picked, force-assigned,
 *   or a push accepted); `durationMs` is the wait (speed to answer);
 * - `abandoned`: it closed while the customer was still waiting for an answer; `durationMs` is the wait;
 * - `transferred`: an agent or supervisor transferred it away (to another queue or agent);
 * - `handled`: it closed after an agent had accepted it; `durationMs` is its handle time,
 *   `agentId` the last agent who held it.
 */
export interface QueueFact {
  kind: QueueFactKind;
  queueId: string;
  atMs: number;
  agentId: string | null;
  channel: string;
  durationMs: number | null;
}

export const newQueueSessionTrack = (): QueueSessionTrack => ({
  waitingSinceMs: null,
  handleMs: 0,
  handlingSinceMs: null,
  accepted: false,
});

/** The customer waits for an answer: in the queue, or pushed to an agent who has not accepted yet. */
export const awaitsAnswer = (state: ConversationState): boolean =>
  state.status === 'open' || (state.status === 'active' && state.assignment === 'awaiting_acceptance');

/** An agent works it: accepted and active, or in wrap-up (what the report counts as handle time). */
const isHandled = (state: ConversationState): boolean =>
  (state.status === 'active' && state.assignment === 'accepted') || state.status === 'wrap_up';

const TRANSFERS: ReadonlySet<ConversationEvent['type']> = new Set(['ConversationTransferredToQueue', 'ConversationTransferredToAgent']);

/**
 * Advances one conversation's track over one event (the state before and after it, folded by
 * the domain's evolve) and says what the event did to its queues. Pure: time is the event's
 * `at`. A time earlier than a running segment's start counts as no time (skewed writers'
 * clocks never make a duration negative).
 */
export function advanceQueueSession(
  track: QueueSessionTrack,
  event: ConversationEvent,
  before: ConversationState,
  after: ExistingConversationState,
): { track: QueueSessionTrack; facts: QueueFact[] } {
  const atMs = Date.parse(event.data.at);
  const since = (startMs: number) => Math.max(0, atMs - startMs);
  const facts: QueueFact[] = [];
  const fact = (kind: QueueFactKind, queueId: string, agentId: string | null, durationMs: number | null) =>
    facts.push({ kind, queueId, atMs, agentId, channel: after.channel, durationMs });
  const next: QueueSessionTrack = { ...track };

  if (isHandled(before) && track.handlingSinceMs !== null) next.handleMs += since(track.handlingSinceMs);
  // Every event closes the running segment and opens the next, so a transfer between agents adds up.
  next.handlingSinceMs = isHandled(after) ? atMs : null;

  if (TRANSFERS.has(event.type) && before.status === 'active') fact('transferred', before.queueId, before.agentId, null);

  const waitingBefore = awaitsAnswer(before) && track.waitingSinceMs !== null;
  if (awaitsAnswer(after)) {
    // A rejected or expired push leaves the customer waiting in the same queue: the wait goes on.
    const sameSession = waitingBefore && before.status !== 'none' && before.queueId === after.queueId;
    next.waitingSinceMs = sameSession ? track.waitingSinceMs : atMs;
  } else {
    if (waitingBefore && before.status !== 'none') {
      const waitMs = since(track.waitingSinceMs as number);
      if (after.status === 'active' && after.assignment === 'accepted') fact('answered', after.queueId, after.agentId, waitMs);
      else if (after.status === 'closed') fact('abandoned', before.queueId, null, waitMs);
    }
    next.waitingSinceMs = null;
  }

  if (after.status === 'active' && after.assignment === 'accepted') next.accepted = true;
  if (after.status === 'closed' && before.status !== 'closed' && next.accepted) {
    fact('handled', after.queueId, after.lastAgentId ?? null, next.handleMs);
  }
  return { track: next, facts };
}
