/**
 * What the deliverer needs of an HTTP client: one POST, its outcome classified, never a throw.
 * The implementation (webhook-sender.ts) guards the address it connects to (ssrf-guard.ts),
 * follows no redirect, stops waiting after the timeout and reads at most a few KiB of the answer.
 */

export interface WebhookRequest {
  /** http: or https: URL of the receiver. */
  url: string;
  /** Exact bytes to send (the signature covers them). */
  body: string;
  /** webhook-id, webhook-timestamp, webhook-signature, content-type, user-agent. */
  headers: Record<string, string>;
  /** Give up waiting for the answer (connect + headers + body) after this long. */
  timeoutMs: number;
}

/**
 * - `delivered`: a 2xx;
 * - `gone`: 410, the receiver asks never to be called again;
 * - `rejected`: any other HTTP answer (3xx are not followed, 4xx, 5xx); `retryAfterMs` from a
 *   429's or 503's Retry-After (seconds or an HTTP date), when present and valid;
 * - `timeout`: no whole answer within timeoutMs;
 * - `network`: connection refused, reset, closed before an answer, DNS failure, TLS failure;
 * - `blocked`: the address is not allowed (loopback, private, link-local, metadata...) and
 *   private networks are not allowed; nothing was sent.
 */
export type WebhookOutcome =
  | { kind: 'delivered'; statusCode: number; durationMs: number; responseBody: string }
  | { kind: 'gone'; statusCode: 410; durationMs: number; responseBody: string }
  | { kind: 'rejected'; statusCode: number; durationMs: number; responseBody: string; retryAfterMs?: number }
  | { kind: 'timeout'; durationMs: number; error: string }
  | { kind: 'network'; durationMs: number; error: string }
  | { kind: 'blocked'; durationMs: number; error: string };

export interface WebhookSender {
  send(request: WebhookRequest, signal?: AbortSignal): Promise<WebhookOutcome>;
  /** Closes kept-alive connections. */
  close(): void;
}
