import type { EventStore } from '@lib/event-store';
import { validateFeedFilter, FeedFilterError, type FeedFilter } from '../feed/feed-filter';
import { BlockedAddressError, checkUrlTarget } from '../delivery/ssrf-guard';
import { signedHeaders, newSigningSecret } from '../delivery/webhook-signature';
import type { WebhookSender } from '../delivery/webhook-sender.types';
import { checkpointBefore } from '../replay/log-position-at';
import { signingSecretsOf, WebhookError, type WebhookSubscription } from './webhook-subscription';
import type { DeliveryAttempt, WebhookChanges, WebhookSubscriptions } from './webhook-subscriptions.repository';

export interface WebhookAdministrationContext {
  subscriptions: WebhookSubscriptions;
  store: EventStore;
  sender: WebhookSender;
  now: () => number;
  newId: () => string;
  allowPrivateNetworks: boolean;
  timeoutMs: number;
  /** How long the secret before a rotation keeps signing, unless the rotation says otherwise. */
  defaultSecretOverlapMs: number;
  userAgent: string;
  /** Told of every change, so this instance's deliverer re-reads the subscription at once. */
  changed(subscriptionId: string): void;
}

export interface WebhookDefinition {
  url: string;
  description?: string;
  eventTypes?: string[];
  streams?: string[];
  /** Created paused: nothing is sent until resumed (events since creation wait). */
  paused?: boolean;
}

/** What a caller may see of a subscription: everything but its secrets. */
export interface WebhookView {
  id: string;
  url: string;
  description: string;
  /** Event-type patterns (`*` a wildcard); empty: every type. */
  eventTypes: string[];
  /** Stream patterns or categories; empty: every stream. */
  streams: string[];
  status: WebhookSubscription['status'];
  statusReason?: string;
  /** Position of the last event delivered or passed over: delivery resumes after it. */
  checkpoint: number;
  /** Failed attempts at the next event, since when, and when the next attempt is due. */
  failures: number;
  failingSince?: string;
  nextAttemptAt?: string;
  /** Until when the secret before the last rotation still signs messages. */
  previousSecretValidUntil?: string;
  /** Read routes only: log positions after the checkpoint (events, on the embedded store). */
  backlogEvents?: number;
  /** Read routes only: the instance delivering it now (`host:pid:nonce`), while its lease runs. */
  deliveredBy?: string;
  createdAt: string;
  createdBy: string;
  updatedAt: string;
}

export interface PingResult {
  messageId: string;
  result: string;
  statusCode?: number;
  error?: string;
  durationMs: number;
}

export type ReplayFrom = { position: number; time?: undefined } | { time: string; position?: undefined };

const MAX_URL_LENGTH = 2_048;

/**
 * What an administrator does with webhook subscriptions: create (the secret is shown once),
 * read, change, pause, resume, rotate the secret, send a test message, replay, read the
 * delivery log, delete. Delivery itself is the dispatcher's.
 */
export class WebhookAdministration {
  constructor(private readonly context: WebhookAdministrationContext) {}

  async create(definition: WebhookDefinition, createdBy: string): Promise<{ webhook: WebhookView; secret: string }> {
    const { subscriptions, store, now, newId } = this.context;
    const url = this.checkedUrl(definition.url);
    const filter = checkedFilter(definition);
    const secret = newSigningSecret();
    const created = await subscriptions.create(
      {
        id: newId(),
        url,
        description: definition.description ?? '',
        filter,
        secret,
        status: definition.paused ? 'paused' : 'active',
        // Only what happens from now on; a replay sends the past.
        checkpoint: await store.headPosition(),
        createdBy,
      },
      now(),
    );
    this.context.changed(created.id);
    return { webhook: this.view(created), secret };
  }

  async list(): Promise<WebhookView[]> {
    const [subscriptions, head] = await Promise.all([this.context.subscriptions.list(), this.context.store.headPosition()]);
    return subscriptions.map((subscription) => this.withProgress(subscription, head));
  }

  async get(id: string): Promise<WebhookView> {
    const [subscription, head] = await Promise.all([this.context.subscriptions.get(id), this.context.store.headPosition()]);
    return this.withProgress(subscription, head);
  }

  /** The view with where delivery stands: the backlog, and which instance delivers it now. */
  private withProgress(subscription: WebhookSubscription, head: number): WebhookView {
    // Only an active subscription is being delivered (a stopping deliverer may not have let go yet).
    const leaseHeld =
      subscription.status === 'active' && subscription.leaseOwner !== undefined && (subscription.leaseUntil ?? 0) > this.context.now();
    return {
      ...this.view(subscription),
      backlogEvents: Math.max(0, head - subscription.checkpoint),
      ...(leaseHeld ? { deliveredBy: subscription.leaseOwner } : {}),
    };
  }

  async update(
    id: string,
    changes: { url?: string; description?: string; eventTypes?: string[]; streams?: string[] },
  ): Promise<WebhookView> {
    const current = await this.context.subscriptions.get(id);
    const checked: WebhookChanges = {
      ...(changes.url !== undefined ? { url: this.checkedUrl(changes.url) } : {}),
      ...(changes.description !== undefined ? { description: changes.description } : {}),
      ...(changes.eventTypes !== undefined || changes.streams !== undefined
        ? {
            filter: checkedFilter({
              eventTypes: changes.eventTypes ?? current.filter.eventTypes,
              streams: changes.streams ?? current.filter.streams,
            }),
          }
        : {}),
    };
    return this.changed(await this.context.subscriptions.update(id, checked, this.context.now()));
  }

  async pause(id: string, by: string): Promise<WebhookView> {
    const current = await this.context.subscriptions.get(id);
    if (current.status === 'paused') return this.view(current);
    return this.changed(await this.context.subscriptions.pause(id, `paused by ${by}`, this.context.now()));
  }

  async resume(id: string): Promise<WebhookView> {
    const current = await this.context.subscriptions.get(id);
    if (current.status === 'active') return this.view(current);
    return this.changed(await this.context.subscriptions.resume(id, this.context.now()));
  }

  /** A new secret, shown once; the old one keeps signing (beside it) for `overlapMs`. */
  async rotateSecret(id: string, overlapMs = this.context.defaultSecretOverlapMs): Promise<{ webhook: WebhookView; secret: string }> {
    const current = await this.context.subscriptions.get(id);
    const secret = newSigningSecret();
    const now = this.context.now();
    const rotated = await this.context.subscriptions.rotateSecret(id, secret, current.secret, now + overlapMs, now);
    return { webhook: this.changed(rotated), secret };
  }

  async delete(id: string): Promise<void> {
    await this.context.subscriptions.delete(id);
    this.context.changed(id);
  }

  /** Sends the events from a position (inclusive) or a time again, then everything after them. */
  async replay(id: string, from: ReplayFrom): Promise<WebhookView> {
    await this.context.subscriptions.get(id);
    let checkpoint: number;
    if (from.position !== undefined) {
      const head = await this.context.store.headPosition();
      if (from.position > head + 1) {
        throw new WebhookError(
          'WEBHOOK.INVALID_REPLAY',
          `position ${from.position} is past the log's head (${head}); give a position from 1 to ${head + 1}`,
          { field: 'position', headPosition: head },
        );
      }
      checkpoint = Math.max(0, from.position - 1);
    } else {
      const time = Date.parse(from.time);
      if (!Number.isFinite(time)) {
        throw new WebhookError(
          'WEBHOOK.INVALID_REPLAY',
          `time ${JSON.stringify(from.time)} is not an ISO-8601 time such as 2026-12-04T09:00:00Z`,
          {
            field: 'time',
          },
        );
      }
      checkpoint = await checkpointBefore(this.context.store, time);
    }
    return this.changed(await this.context.subscriptions.replayFrom(id, checkpoint, this.context.now()));
  }

  /** A `webhook.ping` message, signed like the events, sent now (outside the event order); logged with the attempts. */
  async ping(id: string): Promise<PingResult> {
    const { subscriptions, sender, now, newId, timeoutMs, userAgent } = this.context;
    const subscription = await subscriptions.get(id);
    const messageId = newId();
    const sentAt = now();
    const body = JSON.stringify({ type: 'webhook.ping', at: new Date(sentAt).toISOString(), data: { webhookId: id } });
    const headers = {
      ...signedHeaders(messageId, new Date(sentAt), body, signingSecretsOf(subscription, sentAt)),
      'content-type': 'application/json',
      'user-agent': userAgent,
    };
    const outcome = await sender.send({ url: subscription.url, body, headers, timeoutMs });
    const result: PingResult = {
      messageId,
      result: outcome.kind,
      ...('statusCode' in outcome ? { statusCode: outcome.statusCode } : {}),
      ...('error' in outcome ? { error: outcome.error } : {}),
      durationMs: Math.round(outcome.durationMs),
    };
    await subscriptions.logAttempt(id, {
      kind: 'ping',
      eventId: messageId,
      eventType: 'webhook.ping',
      attempt: 1,
      attemptedAt: new Date(sentAt).toISOString(),
      result: outcome.kind,
      ...(result.statusCode !== undefined ? { statusCode: result.statusCode } : {}),
      ...(result.error !== undefined ? { error: result.error } : {}),
      durationMs: outcome.durationMs,
    });
    return result;
  }

  async deliveries(id: string, limit: number, before?: number): Promise<DeliveryAttempt[]> {
    await this.context.subscriptions.get(id);
    return this.context.subscriptions.deliveries(id, limit, before);
  }

  private changed(subscription: WebhookSubscription): WebhookView {
    this.context.changed(subscription.id);
    return this.view(subscription);
  }

  private checkedUrl(text: string): string {
    let url: URL;
    try {
      url = new URL(text);
    } catch {
      throw new WebhookError(
        'WEBHOOK.INVALID_URL',
        `url ${JSON.stringify(text)} is not a URL such as https://example.com/hooks/work-items`,
        { field: 'url' },
      );
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      throw new WebhookError('WEBHOOK.INVALID_URL', `url must be http:// or https://, not ${url.protocol}//`, { field: 'url' });
    }
    if (url.username !== '' || url.password !== '') {
      throw new WebhookError('WEBHOOK.INVALID_URL', 'url must not carry a user name or password; receivers verify the signature instead', {
        field: 'url',
      });
    }
    if (text.length > MAX_URL_LENGTH) {
      throw new WebhookError('WEBHOOK.INVALID_URL', `url is ${text.length} characters long; at most ${MAX_URL_LENGTH}`, { field: 'url' });
    }
    try {
      checkUrlTarget(url, this.context.allowPrivateNetworks);
    } catch (error) {
      if (error instanceof BlockedAddressError) throw new WebhookError('WEBHOOK.ADDRESS_NOT_ALLOWED', error.message, { field: 'url' });
      throw error;
    }
    return url.toString();
  }

  private view(subscription: WebhookSubscription): WebhookView {
    const iso = (ms: number | undefined) => (ms === undefined ? undefined : new Date(ms).toISOString());
    const failingSince = iso(subscription.failingSince);
    const nextAttemptAt = subscription.status === 'active' ? iso(subscription.nextAttemptAt) : undefined;
    const previousValid =
      subscription.previousSecretUntil !== undefined && subscription.previousSecretUntil > this.context.now()
        ? iso(subscription.previousSecretUntil)
        : undefined;
    return {
      id: subscription.id,
      url: subscription.url,
      description: subscription.description,
      eventTypes: subscription.filter.eventTypes,
      streams: subscription.filter.streams,
      status: subscription.status,
      ...(subscription.statusReason !== undefined ? { statusReason: subscription.statusReason } : {}),
      checkpoint: subscription.checkpoint,
      failures: subscription.failures,
      ...(failingSince !== undefined ? { failingSince } : {}),
      ...(nextAttemptAt !== undefined ? { nextAttemptAt } : {}),
      ...(previousValid !== undefined ? { previousSecretValidUntil: previousValid } : {}),
      createdAt: subscription.createdAt,
      createdBy: subscription.createdBy,
      updatedAt: subscription.updatedAt,
    };
  }
}

function checkedFilter(filter: Partial<FeedFilter>): FeedFilter {
  try {
    return validateFeedFilter({ eventTypes: filter.eventTypes ?? [], streams: filter.streams ?? [] });
  } catch (error) {
    if (error instanceof FeedFilterError) throw new WebhookError('FEED.INVALID_FILTER', error.message, { field: error.field });
    throw error;
  }
}
