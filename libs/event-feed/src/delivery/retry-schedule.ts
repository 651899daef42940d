import type { WebhookOutcome } from './webhook-sender.types';

/** How failed deliveries are retried (WEBHOOK_* settings). */
export interface RetryPolicy {
  /** The first retry waits about this long; each further one twice as long as the one before. */
  firstDelayMs: number;
  /** No wait between two attempts is longer than this (a receiver's Retry-After excepted). */
  maxDelayMs: number;
  /** An event still failing this long after its first failure pauses the subscription as failing. */
  retryWindowMs: number;
}

export type FailedOutcome = Exclude<WebhookOutcome, { kind: 'delivered' }>;

/**
 * What to do after a failed attempt:
 * - `retry` at `atMs` (epoch ms);
 * - `give_up`: the retry window is over; the subscription pauses as failing, its backlog kept;
 * - `disable`: the receiver answered 410 Gone.
 */
export type AfterFailure = { kind: 'retry'; atMs: number } | { kind: 'give_up' } | { kind: 'disable' };

/**
 * `failures`: how many attempts at this event have failed, this one included (from 1).
 * `failingSinceMs`: when the first of them failed. Jitter spreads retries of many subscriptions
 * failing together over the second half of each wait (`random` in [0, 1)).
 */
export function afterFailure(
  policy: RetryPolicy,
  outcome: FailedOutcome,
  failures: number,
  failingSinceMs: number,
  nowMs: number,
  random: () => number,
): AfterFailure {
  if (outcome.kind === 'gone') return { kind: 'disable' };
  const windowEnd = failingSinceMs + policy.retryWindowMs;
  if (nowMs >= windowEnd) return { kind: 'give_up' };
  const exponential = Math.min(policy.maxDelayMs, policy.firstDelayMs * 2 ** Math.min(failures - 1, 40));
  const jittered = exponential / 2 + (exponential / 2) * random();
  const retryAfter = outcome.kind === 'rejected' ? (outcome.retryAfterMs ?? 0) : 0;
  const wait = Math.max(jittered, retryAfter);
  // The last attempt is made when the window ends, not skipped because the next wait overshoots it.
  return { kind: 'retry', atMs: Math.round(Math.min(nowMs + wait, windowEnd)) };
}
