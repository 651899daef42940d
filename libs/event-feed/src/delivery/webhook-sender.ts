/**
 * The WebhookSender over node:http/https. Not fetch: fetch (undici) takes no per-request `lookup`,
 * and the SSRF guard must run inside the socket's own resolution (see ssrf-guard.ts).
 */
import type * as dns from 'node:dns';
import * as http from 'node:http';
import * as https from 'node:https';
import { performance } from 'node:perf_hooks';
import { StringDecoder } from 'node:string_decoder';
import { BlockedAddressError, checkUrlTarget, guardedLookup } from './ssrf-guard';
import type { WebhookOutcome, WebhookRequest, WebhookSender } from './webhook-sender.types';

export interface HttpWebhookSenderOptions {
  /** WEBHOOK_ALLOW_PRIVATE_NETWORKS: lets receivers on loopback, private and link-local addresses be called. */
  allowPrivateNetworks: boolean;
  /** How much of the answer is kept (for the delivery log); the rest is not downloaded. */
  maxResponseBytes?: number;
  /** Sent when the request's own headers carry no user-agent. */
  userAgent?: string;
  /** For tests: resolves names instead of dns.lookup (still guarded). */
  lookup?: typeof dns.lookup;
}

const DEFAULT_MAX_RESPONSE_BYTES = 4096;

export class HttpWebhookSender implements WebhookSender {
  private readonly httpAgent: http.Agent;
  private readonly httpsAgent: https.Agent;
  private readonly maxResponseBytes: number;

  constructor(private readonly options: HttpWebhookSenderOptions) {
    this.maxResponseBytes = options.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES;
    // The lookup sits on the agents, whose options override a request's: no socket they open escapes the guard.
    // One socket per receiver is enough, deliveries to it are sequential; keep-alive saves a handshake per event.
    const lookup = guardedLookup(options.allowPrivateNetworks, options.lookup);
    this.httpAgent = new http.Agent({ keepAlive: true, maxSockets: 1, lookup });
    this.httpsAgent = new https.Agent({ keepAlive: true, maxSockets: 1, lookup });
  }

  send(request: WebhookRequest, signal?: AbortSignal): Promise<WebhookOutcome> {
    const started = performance.now();
    const elapsed = () => Math.round(performance.now() - started);
    let url: URL;
    try {
      url = this.target(request.url);
    } catch (err) {
      return Promise.resolve({ kind: 'blocked', durationMs: elapsed(), error: errorText(err) });
    }
    if (signal?.aborted) return Promise.resolve({ kind: 'network', durationMs: elapsed(), error: 'aborted' });
    return new Promise((resolve) => this.exchange(url, request, elapsed, resolve, signal));
  }

  close(): void {
    this.httpAgent.destroy();
    this.httpsAgent.destroy();
  }

  /** The URL to call, or a throw (becoming `blocked`) when it must not be called at all. */
  private target(raw: string): URL {
    let url: URL;
    try {
      url = new URL(raw);
    } catch {
      throw new Error(`Webhook URL is not a valid URL: ${raw}`);
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      throw new Error(`Webhook URL must be http: or https:, not ${url.protocol}`);
    }
    checkUrlTarget(url, this.options.allowPrivateNetworks);
    return url;
  }

  private exchange(
    url: URL,
    request: WebhookRequest,
    elapsed: () => number,
    resolve: (outcome: WebhookOutcome) => void,
    signal: AbortSignal | undefined,
  ): void {
    let req: http.ClientRequest | undefined;
    let settled = false;
    // `abandon` tears the connection down: for a timeout, an abort or a body we stop reading, not after a whole answer
    // (that socket goes back to the agent for the next delivery).
    const settle = (outcome: WebhookOutcome, abandon: boolean) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      if (abandon) req?.destroy();
      resolve(outcome);
    };
    const onAbort = () => settle({ kind: 'network', durationMs: elapsed(), error: 'aborted' }, true);
    // One timer for connect, headers and body: socket timeouts only measure idleness, so a trickling receiver escapes them.
    const timer = setTimeout(
      () => settle({ kind: 'timeout', durationMs: elapsed(), error: `No whole answer within ${request.timeoutMs} ms` }, true),
      request.timeoutMs,
    );
    signal?.addEventListener('abort', onAbort, { once: true });

    const onResponse = (res: http.IncomingMessage) => {
      const statusCode = res.statusCode ?? 0;
      const retryAfter = res.headers['retry-after'];
      const answer = (body: string) => classify(statusCode, elapsed(), body, retryAfter);
      // StringDecoder holds back a character cut in half by the limit instead of emitting a replacement character.
      const decoder = new StringDecoder('utf8');
      let body = '';
      let room = this.maxResponseBytes;
      res.on('data', (chunk: Buffer) => {
        if (chunk.length <= room) {
          body += decoder.write(chunk);
          room -= chunk.length;
          return;
        }
        body += decoder.write(chunk.subarray(0, room));
        res.destroy();
        settle(answer(body), true);
      });
      res.on('end', () => settle(answer(body + decoder.end()), false));
      // Cut off mid-body: the status line was the receiver's decision, so it still counts.
      res.on('close', () => settle(answer(body), true));
      res.on('error', () => undefined);
    };

    try {
      const options: http.RequestOptions = { method: 'POST', headers: this.headers(request) };
      req =
        url.protocol === 'https:'
          ? https.request(url, { ...options, agent: this.httpsAgent }, onResponse)
          : http.request(url, { ...options, agent: this.httpAgent }, onResponse);
    } catch (err) {
      // An invalid header name or value throws synchronously.
      settle({ kind: 'network', durationMs: elapsed(), error: errorText(err) }, false);
      return;
    }
    req.on('error', (err) => {
      if (err instanceof BlockedAddressError) settle({ kind: 'blocked', durationMs: elapsed(), error: err.message }, true);
      else settle({ kind: 'network', durationMs: elapsed(), error: errorText(err) }, true);
    });
    req.end(request.body);
  }

  private headers(request: WebhookRequest): Record<string, string> {
    const headers = { ...request.headers };
    const has = (name: string) => Object.keys(headers).some((key) => key.toLowerCase() === name);
    if (!has('user-agent') && this.options.userAgent) headers['user-agent'] = this.options.userAgent;
    // Explicit so the body is never sent chunked: some receivers verify the signature over a length-delimited body.
    if (!has('content-length')) headers['content-length'] = String(Buffer.byteLength(request.body));
    return headers;
  }
}

function classify(statusCode: number, durationMs: number, responseBody: string, retryAfter: string | undefined): WebhookOutcome {
  if (statusCode >= 200 && statusCode < 300) return { kind: 'delivered', statusCode, durationMs, responseBody };
  if (statusCode === 410) return { kind: 'gone', statusCode, durationMs, responseBody };
  const retryAfterMs = statusCode === 429 || statusCode === 503 ? parseRetryAfter(retryAfter, Date.now()) : undefined;
  return retryAfterMs === undefined
    ? { kind: 'rejected', statusCode, durationMs, responseBody }
    : { kind: 'rejected', statusCode, durationMs, responseBody, retryAfterMs };
}

/** Retry-After (RFC 9110 §10.2.3): delay-seconds or an HTTP-date; anything else, or a date already past, is ignored. */
export function parseRetryAfter(value: string | undefined, now: number): number | undefined {
  const text = value?.trim();
  if (!text) return undefined;
  if (/^\d+$/.test(text)) {
    const ms = Number(text) * 1000;
    return Number.isSafeInteger(ms) ? ms : undefined;
  }
  // A bare number such as "-1" or "1.5" would be read by Date.parse as a year or a month: an HTTP-date names its day.
  if (!/[a-z]/i.test(text)) return undefined;
  const at = Date.parse(text);
  if (!Number.isFinite(at) || at < now) return undefined;
  return at - now;
}

function errorText(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const code = (err as NodeJS.ErrnoException).code;
  return code && !err.message.includes(code) ? `${err.message} (${code})` : err.message;
}
