/**
 * The outbound event feed: every event of the log, in order, to other systems, as signed
 * webhooks (Standard Webhooks) delivered at least once per subscription, or as a stream they
 * read at their own pace. Subscriptions, their progress and the attempt log live in the read
 * models' database, in tables a rebuild never touches.
 */
export * from './feed/feed-filter';
export * from './feed/feed-event';
export * from './subscriptions/webhook-subscription';
export * from './subscriptions/webhook-subscriptions.repository';
export * from './subscriptions/webhook-administration';
export { PLAIN_SECRETS, SecretUnreadableError, encryptedSecrets, type SecretBox } from './subscriptions/secret-box';
export { migrateEventFeed } from './subscriptions/event-feed-migrations';
export * from './delivery/webhook-sender.types';
export { HttpWebhookSender } from './delivery/webhook-sender';
export { isPublicAddress, BlockedAddressError } from './delivery/ssrf-guard';
export { signedHeaders, newSigningSecret } from './delivery/webhook-signature';
export * from './delivery/retry-schedule';
export * from './delivery/delivery-settings';
export { WakeSignal } from './delivery/wake-signal';
export { SubscriptionDeliverer, type DelivererContext, type DeliveryObserver, type FeedLogger } from './delivery/subscription-deliverer';
export { WebhookDispatcher } from './delivery/webhook-dispatcher';
export { checkpointBefore } from './replay/log-position-at';
