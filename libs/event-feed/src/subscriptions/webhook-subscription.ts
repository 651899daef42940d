import type { FeedFilter } from '../feed/feed-filter';

/**
 * - `active`: delivered by whichever instance holds its lease;
 * - `paused`: by an administrator; events wait, nothing is lost;
 * - `failing`: an event kept failing for the whole retry window; paused with its backlog kept;
 * - `disabled`: the receiver answered 410 Gone.
 * Every status but active resumes (POST …/resume) from the event it stopped at.
 */
export const WEBHOOK_STATUSES = ['active', 'paused', 'failing', 'disabled'] as const;
export type WebhookStatus = (typeof WEBHOOK_STATUSES)[number];

export interface WebhookSubscription {
  id: string;
  url: string;
  description: string;
  filter: FeedFilter;
  status: WebhookStatus;
  /** Why it is not active (who paused it, the last error before it failed, the 410). */
  statusReason?: string;
  secret: string;
  /** The secret before the last rotation, still signing until `previousSecretUntil` (epoch ms). */
  previousSecret?: string;
  previousSecretUntil?: number;
  /** Position of the last event delivered or passed over by the filter. */
  checkpoint: number;
  version: number;
  failures: number;
  failingSince?: number;
  nextAttemptAt?: number;
  leaseOwner?: string;
  leaseUntil?: number;
  createdAt: string;
  createdBy: string;
  updatedAt: string;
}

/** The secrets a message is signed with now: the current one, and the previous one during its overlap. */
export const signingSecretsOf = (subscription: WebhookSubscription, nowMs: number): string[] =>
  subscription.previousSecret !== undefined && (subscription.previousSecretUntil ?? 0) > nowMs
    ? [subscription.secret, subscription.previousSecret]
    : [subscription.secret];

export type WebhookErrorCode =
  'WEBHOOK.NOT_FOUND' | 'WEBHOOK.INVALID_URL' | 'WEBHOOK.ADDRESS_NOT_ALLOWED' | 'WEBHOOK.INVALID_REPLAY' | 'FEED.INVALID_FILTER';

const HTTP_STATUS: Record<WebhookErrorCode, number> = {
  'WEBHOOK.NOT_FOUND': 404,
  'WEBHOOK.INVALID_URL': 400,
  'WEBHOOK.ADDRESS_NOT_ALLOWED': 422,
  'WEBHOOK.INVALID_REPLAY': 400,
  'FEED.INVALID_FILTER': 400,
};

/** A refusal of the feed's API, with the field or subscription concerned: what the caller should change. */
export class WebhookError extends Error {
  readonly statusCode: number;
  constructor(
    readonly code: WebhookErrorCode,
    message: string,
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
    this.statusCode = HTTP_STATUS[code];
  }
}

export const webhookNotFound = (id: string) =>
  new WebhookError('WEBHOOK.NOT_FOUND', `Webhook subscription ${id} does not exist; GET /api/webhooks lists them`, {
    webhookId: id,
  });
