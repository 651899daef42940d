import { ConfigError } from './config-error';
import { settingsReader, type Env } from './env-settings';

/** Webhook delivery and the event stream (the outbound event feed). */
export interface EventFeedConfig {
  /** Whether this instance delivers webhooks (`off`: it still serves the webhook API and the event stream). */
  webhooks: 'on' | 'off';
  /** Whole-answer timeout of one delivery attempt. */
  webhookTimeoutMs: number;
  /** How long a failing event is retried before its subscription pauses as failing. */
  webhookRetryWindowMs: number;
  /** The first retry's wait; each further one doubles, up to WEBHOOK_RETRY_MAX_DELAY. */
  webhookRetryFirstDelayMs: number;
  webhookRetryMaxDelayMs: number;
  /** After a crash, another instance takes a subscription over this long after its last renewal. */
  webhookLeaseMs: number;
  /** Whether receivers on loopback, private, link-local and metadata addresses may be called. */
  webhookAllowPrivateNetworks: boolean;
  /** How long a rotated-out secret keeps signing beside the new one, unless the rotation says. */
  webhookSecretOverlapMs: number;
  /** Attempts kept in each subscription's delivery log. */
  webhookDeliveryLogLimit: number;
  /** An event-stream connection idle this long gets a comment line, so proxies keep it open. */
  eventStreamHeartbeatMs: number;
  /** Event streams one instance keeps open at once; more answer 503 until one closes. */
  eventStreamMaxConnections: number;
  /** 32 bytes in base64: webhook signing secrets are stored encrypted with it (absent: as they are). */
  webhookSecretsKey?: string;
}

export const EVENT_FEED_CONFIG_DEFAULTS = {
  WEBHOOKS: 'on',
  WEBHOOK_TIMEOUT: '10s',
  WEBHOOK_RETRY_WINDOW: '24h',
  WEBHOOK_RETRY_FIRST_DELAY: '5s',
  WEBHOOK_RETRY_MAX_DELAY: '1h',
  WEBHOOK_LEASE: '30s',
  WEBHOOK_ALLOW_PRIVATE_NETWORKS: 'off',
  WEBHOOK_SECRET_OVERLAP: '24h',
  WEBHOOK_DELIVERY_LOG_LIMIT: '1000',
  EVENT_STREAM_HEARTBEAT: '15s',
  EVENT_STREAM_MAX_CONNECTIONS: '200',
  WEBHOOK_SECRETS_KEY: '',
} as const;

const { read, wholeNumber, duration } = settingsReader(EVENT_FEED_CONFIG_DEFAULTS);

const onOff = (env: Env, key: 'WEBHOOKS' | 'WEBHOOK_ALLOW_PRIVATE_NETWORKS'): 'on' | 'off' => {
  const text = read(env, key);
  if (text !== 'on' && text !== 'off') throw new ConfigError(key, `"${text}" is not on or off`);
  return text;
};

const positive = (env: Env, key: keyof typeof EVENT_FEED_CONFIG_DEFAULTS, max?: number): number => {
  const value = duration(env, key, max);
  if (value <= 0) throw new ConfigError(key, 'must be longer than 0');
  return value;
};

const secretsKey = (env: Env): string | undefined => {
  const text = read(env, 'WEBHOOK_SECRETS_KEY').trim();
  if (text === '') return undefined;
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(text) || Buffer.from(text, 'base64').length !== 32) {
    // The value itself is never echoed: it is a key.
    throw new ConfigError('WEBHOOK_SECRETS_KEY', 'must be 32 random bytes in base64 (for example the output of `openssl rand -base64 32`)');
  }
  return text;
};

export const readEventFeedConfig = (env: Env): EventFeedConfig => {
  const config: EventFeedConfig = {
    webhooks: onOff(env, 'WEBHOOKS'),
    webhookTimeoutMs: positive(env, 'WEBHOOK_TIMEOUT', 300_000),
    webhookRetryWindowMs: positive(env, 'WEBHOOK_RETRY_WINDOW', 30 * 24 * 3_600_000),
    webhookRetryFirstDelayMs: positive(env, 'WEBHOOK_RETRY_FIRST_DELAY', 24 * 3_600_000),
    webhookRetryMaxDelayMs: positive(env, 'WEBHOOK_RETRY_MAX_DELAY', 24 * 3_600_000),
    webhookLeaseMs: positive(env, 'WEBHOOK_LEASE', 3_600_000),
    webhookAllowPrivateNetworks: onOff(env, 'WEBHOOK_ALLOW_PRIVATE_NETWORKS') === 'on',
    webhookSecretOverlapMs: duration(env, 'WEBHOOK_SECRET_OVERLAP', 30 * 24 * 3_600_000),
    webhookDeliveryLogLimit: wholeNumber(env, 'WEBHOOK_DELIVERY_LOG_LIMIT', 10, 1_000_000),
    eventStreamHeartbeatMs: positive(env, 'EVENT_STREAM_HEARTBEAT', 3_600_000),
    eventStreamMaxConnections: wholeNumber(env, 'EVENT_STREAM_MAX_CONNECTIONS', 1, 100_000),
    webhookSecretsKey: secretsKey(env),
  };
  // An attempt must end before anyone else may take the lease (docs/architecture.md, "Outbound feed").
  if (config.webhookLeaseMs < 2 * (config.webhookTimeoutMs + 1_000)) {
    throw new ConfigError(
      'WEBHOOK_LEASE',
      `${config.webhookLeaseMs} ms is too short for WEBHOOK_TIMEOUT ${config.webhookTimeoutMs} ms: it must be at least twice the timeout plus 2 s`,
    );
  }
  if (config.webhookRetryFirstDelayMs > config.webhookRetryMaxDelayMs) {
    throw new ConfigError('WEBHOOK_RETRY_FIRST_DELAY', `is longer than WEBHOOK_RETRY_MAX_DELAY (${config.webhookRetryMaxDelayMs} ms)`);
  }
  return config;
};
