import { randomBytes } from 'node:crypto';
import { Webhook } from 'standardwebhooks';

/** A new signing secret in the Standard Webhooks form: `whsec_` and 24 random bytes in base64. */
export const newSigningSecret = (): string => `whsec_${randomBytes(24).toString('base64')}`;

/**
 * The Standard Webhooks headers of one message: `webhook-id` (receivers deduplicate on it),
 * `webhook-timestamp` (seconds; receivers refuse stale ones) and `webhook-signature`, one
 * `v1,<signature>` per secret, space-separated, so during a rotation a receiver holding either
 * the old or the new secret verifies the message.
 */
export function signedHeaders(messageId: string, sentAt: Date, body: string, secrets: readonly string[]): Record<string, string> {
  if (secrets.length === 0) throw new Error('A webhook message needs at least one signing secret');
  const signatures = secrets.map((secret) => new Webhook(secret).sign(messageId, sentAt, body));
  return {
    'webhook-id': messageId,
    'webhook-timestamp': String(Math.floor(sentAt.getTime() / 1000)),
    'webhook-signature': signatures.join(' '),
  };
}
