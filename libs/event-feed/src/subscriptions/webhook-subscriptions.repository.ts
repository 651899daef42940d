import type { Kysely, Selectable } from 'kysely';
import { runInWriteTransaction, type ReadModelDatabase, type ReadModelSchema } from '@lib/read-models';
import type { FeedFilter } from '../feed/feed-filter';
import type { EventFeedTables, WebhookDeliveriesTable, WebhookSubscriptionsTable } from './event-feed-tables';
import { PLAIN_SECRETS, type SecretBox } from './secret-box';
import { webhookNotFound, type WebhookStatus, type WebhookSubscription } from './webhook-subscription';

export interface NewWebhookSubscription {
  id: string;
  url: string;
  description: string;
  filter: FeedFilter;
  secret: string;
  status: 'active' | 'paused';
  /** Delivery starts after this position (the log's head when created: only new events). */
  checkpoint: number;
  createdBy: string;
}

export type WebhookChanges = Partial<Pick<WebhookSubscription, 'url' | 'description' | 'filter'>>;

/** One attempt, as GET /api/webhooks/:id/deliveries lists it. */
export interface DeliveryAttempt {
  id: number;
  kind: 'event' | 'ping';
  eventId: string;
  eventType: string;
  position?: number;
  attempt: number;
  attemptedAt: string;
  result: string;
  statusCode?: number;
  error?: string;
  durationMs: number;
  nextRetryAt?: string;
}

export type NewDeliveryAttempt = Omit<DeliveryAttempt, 'id'>;

/** What a deliverer writes after an attempt at the event after its checkpoint. */
export interface DeliveryProgress {
  checkpoint: number;
  failures: number;
  failingSince?: number;
  nextAttemptAt?: number;
  status?: Exclude<WebhookStatus, 'paused'>;
  statusReason?: string;
}

/** The deliverer's claim: it holds the lease and has seen this version of the subscription. */
export interface DelivererClaim {
  owner: string;
  version: number;
}

/**
 * Subscriptions, their delivery progress and leases, and the attempt log, in the read-model
 * database (SQLite or PostgreSQL). Every deliverer write is fenced: it names the lease owner
 * and the version it read, and changes nothing once another instance took the lease or an
 * administrator changed the subscription (the deliverer then reads it again).
 */
export class WebhookSubscriptions {
  /** `secrets`: how signing secrets are kept (encrypted with WEBHOOK_SECRETS_KEY, or as they are). */
  constructor(
    private readonly database: ReadModelDatabase,
    private readonly secrets: SecretBox = PLAIN_SECRETS,
  ) {}

  /**
   * At start: every stored secret must open with the configured key (else the service stops,
   * naming WEBHOOK_SECRETS_KEY), and secrets kept before a key was set are sealed with it.
   * Returns how many were sealed.
   */
  async sealStoredSecrets(): Promise<number> {
    const rows = await this.db.selectFrom('webhook_subscriptions').select(['id', 'secret', 'previous_secret']).execute();
    let sealed = 0;
    for (const row of rows) {
      const secret = this.secrets.open(row.secret);
      const previous = row.previous_secret === null ? null : this.secrets.open(row.previous_secret);
      if (this.secrets.isSealed(row.secret) && (row.previous_secret === null || this.secrets.isSealed(row.previous_secret))) continue;
      await this.db
        .updateTable('webhook_subscriptions')
        .set({ secret: this.secrets.seal(secret), previous_secret: previous === null ? null : this.secrets.seal(previous) })
        .where('id', '=', row.id)
        .where('secret', '=', row.secret)
        .execute();
      sealed += 1;
    }
    return sealed;
  }

  private get db(): Kysely<EventFeedTables> {
    return feedTables(this.database.db);
  }

  async create(subscription: NewWebhookSubscription, nowMs: number): Promise<WebhookSubscription> {
    const now = new Date(nowMs).toISOString();
    await this.db
      .insertInto('webhook_subscriptions')
      .values({
        id: subscription.id,
        url: subscription.url,
        description: subscription.description,
        event_types: JSON.stringify(subscription.filter.eventTypes),
        streams: JSON.stringify(subscription.filter.streams),
        status: subscription.status,
        status_reason: subscription.status === 'paused' ? `created paused by ${subscription.createdBy}` : null,
        secret: this.secrets.seal(subscription.secret),
        previous_secret: null,
        previous_secret_until: null,
        checkpoint: subscription.checkpoint,
        version: 1,
        failures: 0,
        failing_since: null,
        next_attempt_at: null,
        lease_owner: null,
        lease_until: null,
        created_at: now,
        created_by: subscription.createdBy,
        updated_at: now,
      })
      .execute();
    return this.get(subscription.id);
  }

  async list(): Promise<WebhookSubscription[]> {
    const rows = await this.db.selectFrom('webhook_subscriptions').selectAll().orderBy('created_at').orderBy('id').execute();
    return rows.map((row) => this.toSubscription(row));
  }

  async find(id: string): Promise<WebhookSubscription | undefined> {
    const row = await this.db.selectFrom('webhook_subscriptions').selectAll().where('id', '=', id).executeTakeFirst();
    return row === undefined ? undefined : this.toSubscription(row);
  }

  async get(id: string): Promise<WebhookSubscription> {
    const found = await this.find(id);
    if (found === undefined) throw webhookNotFound(id);
    return found;
  }

  /** An administrator's change: bumps the version, so a deliverer in the middle of an attempt re-reads before writing. */
  private async change(id: string, values: Partial<WebhookSubscriptionsTable>, nowMs: number): Promise<WebhookSubscription> {
    const result = await this.db
      .updateTable('webhook_subscriptions')
      .set((eb) => ({ ...values, version: eb('version', '+', 1), updated_at: new Date(nowMs).toISOString() }))
      .where('id', '=', id)
      .executeTakeFirst();
    if (Number(result.numUpdatedRows) === 0) throw webhookNotFound(id);
    return this.get(id);
  }

  update(id: string, changes: WebhookChanges, nowMs: number): Promise<WebhookSubscription> {
    return this.change(
      id,
      {
        ...(changes.url !== undefined ? { url: changes.url } : {}),
        ...(changes.description !== undefined ? { description: changes.description } : {}),
        ...(changes.filter !== undefined
          ? { event_types: JSON.stringify(changes.filter.eventTypes), streams: JSON.stringify(changes.filter.streams) }
          : {}),
      },
      nowMs,
    );
  }

  pause(id: string, reason: string, nowMs: number): Promise<WebhookSubscription> {
    return this.change(id, { status: 'paused', status_reason: reason }, nowMs);
  }

  /** Active again, from the event it stopped at, with a fresh retry window. */
  resume(id: string, nowMs: number): Promise<WebhookSubscription> {
    return this.change(id, { status: 'active', status_reason: null, failures: 0, failing_since: null, next_attempt_at: null }, nowMs);
  }

  rotateSecret(id: string, secret: string, previous: string, previousUntil: number, nowMs: number): Promise<WebhookSubscription> {
    return this.change(
      id,
      { secret: this.secrets.seal(secret), previous_secret: this.secrets.seal(previous), previous_secret_until: previousUntil },
      nowMs,
    );
  }

  /** Delivery starts again after `checkpoint`, with a fresh retry window; the status is unchanged. */
  replayFrom(id: string, checkpoint: number, nowMs: number): Promise<WebhookSubscription> {
    return this.change(id, { checkpoint, failures: 0, failing_since: null, next_attempt_at: null }, nowMs);
  }

  async delete(id: string): Promise<void> {
    await runInWriteTransaction(this.database, async (trx) => {
      const db = feedTables(trx);
      const result = await db.deleteFrom('webhook_subscriptions').where('id', '=', id).executeTakeFirst();
      if (Number(result.numDeletedRows) === 0) throw webhookNotFound(id);
      await db.deleteFrom('webhook_deliveries').where('subscription_id', '=', id).execute();
    });
  }

  /**
   * Takes or renews the lease of an active subscription until `nowMs + leaseMs`: it succeeds when
   * nobody holds it, this owner holds it, or the holder's lease ran out. Returns the subscription
   * as it is now when held, undefined otherwise. One statement, so two instances racing for a
   * lease cannot both win it.
   */
  async acquireLease(id: string, owner: string, nowMs: number, leaseMs: number): Promise<WebhookSubscription | undefined> {
    const result = await this.db
      .updateTable('webhook_subscriptions')
      .set({ lease_owner: owner, lease_until: nowMs + leaseMs })
      .where('id', '=', id)
      .where('status', '=', 'active')
      .where((eb) => eb.or([eb('lease_owner', 'is', null), eb('lease_owner', '=', owner), eb('lease_until', '<', nowMs)]))
      .executeTakeFirst();
    if (Number(result.numUpdatedRows) === 0) return undefined;
    const held = await this.find(id);
    return held?.leaseOwner === owner ? held : undefined;
  }

  async releaseLease(id: string, owner: string): Promise<void> {
    await this.db
      .updateTable('webhook_subscriptions')
      .set({ lease_owner: null, lease_until: null })
      .where('id', '=', id)
      .where('lease_owner', '=', owner)
      .execute();
  }

  /** Active subscriptions whose lease is free, expired or this owner's. */
  async claimable(owner: string, nowMs: number): Promise<string[]> {
    const rows = await this.db
      .selectFrom('webhook_subscriptions')
      .select('id')
      .where('status', '=', 'active')
      .where((eb) => eb.or([eb('lease_owner', 'is', null), eb('lease_owner', '=', owner), eb('lease_until', '<', nowMs)]))
      .orderBy('id')
      .execute();
    return rows.map((row) => row.id);
  }

  /**
   * Records attempts and the progress they made, in one transaction, if the claim still holds.
   * Returns false (and writes nothing) when it does not.
   */
  async recordProgress(
    id: string,
    claim: DelivererClaim,
    progress: DeliveryProgress,
    attempts: readonly NewDeliveryAttempt[] = [],
  ): Promise<boolean> {
    return runInWriteTransaction(this.database, async (trx) => {
      const db = feedTables(trx);
      const result = await db
        .updateTable('webhook_subscriptions')
        .set({
          checkpoint: progress.checkpoint,
          failures: progress.failures,
          failing_since: progress.failingSince ?? null,
          next_attempt_at: progress.nextAttemptAt ?? null,
          ...(progress.status !== undefined ? { status: progress.status, status_reason: progress.statusReason ?? null } : {}),
        })
        .where('id', '=', id)
        .where('lease_owner', '=', claim.owner)
        .where('version', '=', claim.version)
        .executeTakeFirst();
      if (Number(result.numUpdatedRows) === 0) return false;
      for (let start = 0; start < attempts.length; start += ATTEMPTS_PER_INSERT) {
        const rows = attempts.slice(start, start + ATTEMPTS_PER_INSERT).map((attempt) => toDeliveryRow(id, attempt));
        await db.insertInto('webhook_deliveries').values(rows).execute();
      }
      return true;
    });
  }

  /** A test message's attempt: logged, no progress. */
  async logAttempt(id: string, attempt: NewDeliveryAttempt): Promise<void> {
    await this.db.insertInto('webhook_deliveries').values(toDeliveryRow(id, attempt)).execute();
  }

  /** Newest first; `before`: only attempts older than that attempt id (the next page). */
  async deliveries(id: string, limit: number, before?: number): Promise<DeliveryAttempt[]> {
    const rows = await this.db
      .selectFrom('webhook_deliveries')
      .selectAll()
      .where('subscription_id', '=', id)
      .$if(before !== undefined, (query) => query.where('id', '<', before as number))
      .orderBy('id', 'desc')
      .limit(limit)
      .execute();
    return rows.map(toAttempt);
  }

  private toSubscription(row: Selectable<WebhookSubscriptionsTable>): WebhookSubscription {
    return toSubscription(row, this.secrets);
  }

  /** Keeps the newest `keep` attempts of a subscription. */
  async pruneDeliveries(id: string, keep: number): Promise<void> {
    const oldestKept = await this.db
      .selectFrom('webhook_deliveries')
      .select('id')
      .where('subscription_id', '=', id)
      .orderBy('id', 'desc')
      .offset(keep - 1)
      .limit(1)
      .executeTakeFirst();
    if (oldestKept === undefined) return;
    await this.db.deleteFrom('webhook_deliveries').where('subscription_id', '=', id).where('id', '<', oldestKept.id).execute();
  }
}

/** Rows per INSERT: well under SQLite's limit of bound parameters (12 columns each). */
const ATTEMPTS_PER_INSERT = 50;

/** The read models' database handle, typed for the feed's tables (both live in one database). */
const feedTables = (db: Kysely<ReadModelSchema>): Kysely<EventFeedTables> =>
  db.withTables<EventFeedTables>() as unknown as Kysely<EventFeedTables>;

const optional = <T>(value: T | null): T | undefined => (value === null ? undefined : value);
const optionalNumber = (value: number | string | null): number | undefined => (value === null ? undefined : Number(value));

function toSubscription(row: Selectable<WebhookSubscriptionsTable>, secrets: SecretBox): WebhookSubscription {
  return {
    id: row.id,
    url: row.url,
    description: row.description,
    filter: { eventTypes: JSON.parse(row.event_types) as string[], streams: JSON.parse(row.streams) as string[] },
    status: row.status as WebhookStatus,
    ...(row.status_reason !== null ? { statusReason: row.status_reason } : {}),
    secret: secrets.open(row.secret),
    ...(row.previous_secret !== null ? { previousSecret: secrets.open(row.previous_secret) } : {}),
    ...(row.previous_secret_until !== null ? { previousSecretUntil: Number(row.previous_secret_until) } : {}),
    checkpoint: Number(row.checkpoint),
    version: Number(row.version),
    failures: Number(row.failures),
    ...(row.failing_since !== null ? { failingSince: Number(row.failing_since) } : {}),
    ...(row.next_attempt_at !== null ? { nextAttemptAt: Number(row.next_attempt_at) } : {}),
    ...(row.lease_owner !== null ? { leaseOwner: row.lease_owner } : {}),
    ...(row.lease_until !== null ? { leaseUntil: Number(row.lease_until) } : {}),
    createdAt: row.created_at,
    createdBy: row.created_by,
    updatedAt: row.updated_at,
  };
}

function toDeliveryRow(subscriptionId: string, attempt: NewDeliveryAttempt) {
  return {
    subscription_id: subscriptionId,
    kind: attempt.kind,
    event_id: attempt.eventId,
    event_type: attempt.eventType,
    position: attempt.position ?? null,
    attempt: attempt.attempt,
    attempted_at: attempt.attemptedAt,
    result: attempt.result,
    status_code: attempt.statusCode ?? null,
    error: attempt.error ?? null,
    duration_ms: Math.round(attempt.durationMs),
    next_retry_at: attempt.nextRetryAt ?? null,
  };
}

function toAttempt(row: Selectable<WebhookDeliveriesTable>): DeliveryAttempt {
  const position = optionalNumber(row.position);
  const statusCode = optionalNumber(row.status_code);
  const error = optional(row.error);
  const nextRetryAt = optional(row.next_retry_at);
  return {
    id: Number(row.id),
    kind: row.kind as DeliveryAttempt['kind'],
    eventId: row.event_id,
    eventType: row.event_type,
    ...(position !== undefined ? { position } : {}),
    attempt: Number(row.attempt),
    attemptedAt: row.attempted_at,
    result: row.result,
    ...(statusCode !== undefined ? { statusCode } : {}),
    ...(error !== undefined ? { error } : {}),
    durationMs: Number(row.duration_ms),
    ...(nextRetryAt !== undefined ? { nextRetryAt } : {}),
  };
}
