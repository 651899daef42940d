import type { Generated } from 'kysely';

/**
 * The event feed's own tables, beside the read models in the same database but not views: they
 * cannot be rebuilt from the log (a rebuild never touches them). Times used for leases and
 * retries are epoch milliseconds (bigint); times shown to people are ISO-8601 text.
 */
export interface WebhookSubscriptionsTable {
  id: string;
  url: string;
  description: string;
  /** JSON list of event-type patterns. */
  event_types: string;
  /** JSON list of stream patterns. */
  streams: string;
  status: string;
  status_reason: string | null;
  secret: string;
  previous_secret: string | null;
  previous_secret_until: number | null;
  /** Position of the last event delivered or passed over: delivery resumes after it. */
  checkpoint: number;
  /** Bumped by every change an administrator makes: a deliverer holding an older one writes nothing. */
  version: number;
  /** Failed attempts at the event after the checkpoint, when it first failed, when the next attempt is due. */
  failures: number;
  failing_since: number | null;
  next_attempt_at: number | null;
  lease_owner: string | null;
  lease_until: number | null;
  created_at: string;
  created_by: string;
  updated_at: string;
}

export interface WebhookDeliveriesTable {
  id: Generated<number>;
  subscription_id: string;
  /** `event` (from the log) or `ping` (a test message). */
  kind: string;
  event_id: string;
  event_type: string;
  position: number | null;
  attempt: number;
  attempted_at: string;
  /** The sender's outcome: delivered, gone, rejected, timeout, network, blocked. */
  result: string;
  status_code: number | null;
  error: string | null;
  duration_ms: number;
  next_retry_at: string | null;
}

export type EventFeedTables = {
  webhook_subscriptions: WebhookSubscriptionsTable;
  webhook_deliveries: WebhookDeliveriesTable;
};
