/**
 * Shared by the webhook suites that run real service processes (webhooks-crash,
 * webhooks-instances):
 *
 * - a steady load of conversations, each walked through open, a customer message, pick, agent
 *   messages, end and close-session by one agent's worker, every request sent to one of the
 *   processes up at that moment, signed as the principal its body names, with an
 *   Idempotency-Key, and sent again with the same key while no process answers;
 * - the log read directly (SqliteEventStore on DATA_DIR/events.sqlite, page by page);
 * - the audit of what one receiver got against the events of the log a subscription wants:
 *   every event delivered at least once, first deliveries in log order, nothing asked for before
 *   everything before it in the log was accepted, bodies as the service builds them, every
 *   request signed with the subscription's secret, and no two requests in flight at once.
 */
import { isDeepStrictEqual } from 'node:util';
import { join } from 'node:path';
import { feedEventOf } from '@lib/event-feed';
import { SqliteEventStore, type RecordedEvent } from '@lib/event-store';
import { between, derivedRandom, pickOne, type Random } from './crash/random';
import type { JsonBody } from './start-app';
import { claimedAuthorization } from './test-principal';
import { verifiedWith, type ReceivedRequest } from './webhook-receiver';

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** How long one load request may take before its outcome counts as unknown (and it is sent again). */
const REQUEST_TIMEOUT_MS = 3_000;
/** A request nobody answers is sent again for this long at most (a restart takes 5-10 s on 2 cores). */
const RETRY_BUDGET_MS = 30_000;

export interface SignedAnswer {
  statusCode: number;
  body: JsonBody;
  text: string;
}

/** One request to a service process on DATA_DIR, signed as the principal its body names. */
export const signedRequest = async (
  base: string,
  dataDir: string,
  method: 'GET' | 'POST',
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<SignedAnswer> => {
  const auth = await claimedAuthorization(dataDir, path, body);
  const response = await fetch(`${base}${path}`, {
    method,
    headers: { ...auth, ...headers, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
  });
  const text = await response.text();
  let parsed: unknown = text;
  try {
    parsed = text === '' ? undefined : JSON.parse(text);
  } catch {
    // not JSON: keep the text
  }
  return { statusCode: response.status, body: parsed, text };
};

/** POST that must answer 2xx (setup steps). */
export const mustPost = async (base: string, dataDir: string, path: string, body: unknown): Promise<JsonBody> => {
  const answer = await signedRequest(base, dataDir, 'POST', path, body);
  if (answer.statusCode >= 300) throw new Error(`POST ${path} ${JSON.stringify(body)} answered ${answer.statusCode}: ${answer.text}`);
  return answer.body;
};

export interface ConversationLoadSettings {
  seed: number;
  /** Conversation ids and idempotency keys start with this. */
  prefix: string;
  dataDir: string;
  queueId: string;
  /** One worker per agent (registered in the queue beforehand, with room for every conversation it leaves open). */
  agentIds: readonly string[];
  channels: readonly string[];
  /** Upper bound of the pause after each request of a worker, ms. */
  maxPauseMs: number;
  /** The base URLs requests may go to now (read before every request; empty: wait). */
  targets: () => string[];
  /** Every worker stops after this many conversations, whatever happens. */
  maxConversationsPerWorker?: number;
}

/**
 * Workers walking conversations through their life, one after another. A step that is refused
 * (an answer other than 2xx) ends that conversation: the next one starts.
 */
export class ConversationLoad {
  private stopped = false;
  private running?: Promise<void>;
  private keys = 0;
  /** `<step> <status>` (or `<step> unknown`) -> how many. */
  readonly tally = new Map<string, number>();
  acknowledged = 0;
  /** Acknowledged commands by the base URL that answered them. */
  readonly acknowledgedBy = new Map<string, number>();
  /** Requests sent again (same key) after no answer came. */
  resent = 0;
  conversations = 0;

  constructor(private readonly settings: ConversationLoadSettings) {}

  start(): void {
    if (this.running) throw new Error('the load is already running');
    this.running = Promise.all(this.settings.agentIds.map((agentId, i) => this.worker(i, agentId))).then(() => undefined);
  }

  /** Stops the workers and waits for their last request (bounded by the request timeout). */
  async stop(): Promise<void> {
    this.stopped = true;
    await this.running;
  }

  /** Outcomes other than 2xx (refusals by step and status, `unknown` when no answer came). */
  notAcknowledged(): string[] {
    return [...this.tally].filter(([label]) => !/ 2\d\d$/.test(label)).map(([label, n]) => `${label}=${n}`);
  }

  private async worker(index: number, agentId: string): Promise<void> {
    const random = derivedRandom(this.settings.seed, `${this.settings.prefix}:${agentId}`);
    const limit = this.settings.maxConversationsPerWorker ?? 10_000;
    for (let n = 1; n <= limit && !this.stopped; n++) {
      const id = `${this.settings.prefix}-${index}-${n}`;
      const at = `/api/conversations/${id}`;
      const channel = pickOne(random, this.settings.channels);
      const steps: Array<[string, string, unknown]> = [
        ['open', '/api/conversations', { id, channel, queueId: this.settings.queueId, customerId: `cust-${id}` }],
        ['customer-message', `${at}/messages`, { from: 'customer' }],
        ['pick', `${at}/pick`, { agentId }],
        ...Array.from({ length: Math.floor(random() * 3) }, (): [string, string, unknown] => [
          'agent-message',
          `${at}/messages`,
          { from: 'agent', agentId },
        ]),
        ['end', `${at}/end`, { by: 'agent', agentId }],
        ['close-session', `${at}/close-session`, { agentId }],
      ];
      this.conversations += 1;
      for (const [step, path, body] of steps) {
        if (this.stopped) return;
        const statusCode = await this.send(random, step, path, body);
        await sleep(between(random, 0, this.settings.maxPauseMs));
        if (statusCode === undefined || statusCode >= 300) break;
      }
    }
  }

  /** The status answered, or undefined when no answer came within the retry budget (or the load stopped). */
  private async send(random: Random, step: string, path: string, body: unknown): Promise<number | undefined> {
    const key = `${this.settings.prefix}-k-${(this.keys += 1)}`;
    const deadline = Date.now() + RETRY_BUDGET_MS;
    for (let attempt = 0; ; attempt++) {
      const targets = this.settings.targets();
      if (targets.length > 0) {
        const base = pickOne(random, targets);
        if (attempt > 0) this.resent += 1;
        try {
          const answer = await signedRequest(base, this.settings.dataDir, 'POST', path, body, { 'idempotency-key': key });
          const label = `${step} ${answer.statusCode}${answer.statusCode >= 300 ? ` ${answer.body?.code ?? ''}` : ''}`;
          this.tally.set(label, (this.tally.get(label) ?? 0) + 1);
          if (answer.statusCode < 300) {
            this.acknowledged += 1;
            this.acknowledgedBy.set(base, (this.acknowledgedBy.get(base) ?? 0) + 1);
          }
          return answer.statusCode;
        } catch {
          this.tally.set(`${step} unknown`, (this.tally.get(`${step} unknown`) ?? 0) + 1);
        }
      }
      if (this.stopped || Date.now() > deadline) return undefined;
      await sleep(between(random, 100, 300));
    }
  }
}

/** The log, read directly from DATA_DIR/events.sqlite, followed page by page as it grows. */
export class LogReader {
  private readonly store: SqliteEventStore;
  private readonly events: RecordedEvent[] = [];
  private after = 0;

  constructor(dataDir: string) {
    this.store = new SqliteEventStore({ filename: join(dataDir, 'events.sqlite'), checkpointIntervalMs: 0 });
  }

  /** Every event of the log so far, in log order. */
  async all(): Promise<readonly RecordedEvent[]> {
    for (let page = 0; page < 10_000; page++) {
      const batch = await this.store.readAll({ after: this.after, maxCount: 500 });
      if (batch.length === 0) break;
      for (const event of batch) {
        if (event.position <= this.after) throw new Error(`readAll went backwards: ${event.position} after ${this.after}`);
        this.after = event.position;
        this.events.push(event);
      }
    }
    return this.events;
  }

  /** The events after `checkpoint` that `wants` keeps, in log order. */
  async wanted(checkpoint: number, wants: (event: RecordedEvent) => boolean): Promise<RecordedEvent[]> {
    return (await this.all()).filter((event) => event.position > checkpoint && wants(event));
  }

  close(): Promise<void> {
    return this.store.close();
  }
}

const isAccepted = (request: ReceivedRequest) => typeof request.answer === 'number' && request.answer >= 200 && request.answer < 300;
const idOf = (request: ReceivedRequest) => String(request.headers['webhook-id']);

/** Every event of `events` has had a 2xx answer. */
export const hasAll = (requests: readonly ReceivedRequest[], events: readonly RecordedEvent[]): boolean => {
  const accepted = new Set(requests.filter(isAccepted).map(idOf));
  return events.every((event) => accepted.has(event.id));
};

/** Waits (bounded) until the receiver accepted every event the log has for the subscription, the log standing still meanwhile. */
export const waitForEveryEvent = async (
  log: LogReader,
  requests: readonly ReceivedRequest[],
  checkpoint: number,
  wants: (event: RecordedEvent) => boolean,
  timeoutMs: number,
  what: string,
): Promise<RecordedEvent[]> => {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const events = await log.wanted(checkpoint, wants);
    if (hasAll(requests, events)) return events;
    if (Date.now() > deadline) {
      const accepted = new Set(requests.filter(isAccepted).map(idOf));
      const missing = events.filter((event) => !accepted.has(event.id));
      throw new Error(
        `${what}: ${missing.length} of ${events.length} events not accepted within ${timeoutMs} ms, the first at positions ` +
          `${missing
            .slice(0, 10)
            .map((event) => event.position)
            .join(', ')}; ${requests.length} requests received, the last ${requests
            .slice(-5)
            .map((r) => `#${r.seq} ${r.answer} ${idOf(r)}`)
            .join(', ')}`,
      );
    }
    await sleep(200);
  }
};

export interface DeliveryAudit {
  /** Events the subscription wants (after its starting checkpoint). */
  expected: number;
  requests: number;
  /** Requests answered other than 2xx. */
  failedAnswers: number;
  /** 2xx answers to events already accepted before: at-least-once, allowed. */
  duplicates: number;
  /** Events that were accepted more than once. */
  duplicatedEvents: number;
  /** Events never accepted (position and id). */
  missing: string[];
  /** Requests for events the subscription does not want (another stream, before its checkpoint). */
  unwanted: string[];
  /** Requests whose body is not what the service builds of the event (or whose webhook-id is not the body's id). */
  bodyMismatches: string[];
  /** Requests that do not verify with the subscription's secret. */
  unverified: string[];
  /** Requests for an event sent before every event before it in the log had been accepted. */
  outOfOrder: string[];
  /** Positions of the first 2xx answer of each event, in arrival order. */
  firstDeliveries: number[];
  /** Pairs of requests whose [receivedAt, answeredAt] overlap (two in flight at once). */
  overlaps: string[];
}

/**
 * What one receiver got, against the events of the log the subscription wants (in log order),
 * request by request in arrival order.
 */
export const auditDeliveries = (requests: readonly ReceivedRequest[], events: readonly RecordedEvent[], secret: string): DeliveryAudit => {
  const indexOf = new Map(events.map((event, index) => [event.id, index]));
  const accepted = new Set<string>();
  const acceptedTimes = new Map<string, number>();
  /** Events [0, prefix) have all been accepted. */
  let prefix = 0;
  const audit: DeliveryAudit = {
    expected: events.length,
    requests: requests.length,
    failedAnswers: 0,
    duplicates: 0,
    duplicatedEvents: 0,
    missing: [],
    unwanted: [],
    bodyMismatches: [],
    unverified: [],
    outOfOrder: [],
    firstDeliveries: [],
    overlaps: [],
  };
  const ordered = [...requests].sort((a, b) => a.seq - b.seq);
  for (const request of ordered) {
    const id = idOf(request);
    const where = `#${request.seq} (${id}, answered ${request.answer})`;
    try {
      verifiedWith(request, [secret]);
    } catch (error) {
      audit.unverified.push(`${where}: ${error instanceof Error ? error.message : String(error)}`);
    }
    if (!isAccepted(request)) audit.failedAnswers += 1;
    const index = indexOf.get(id);
    if (index === undefined) {
      audit.unwanted.push(where);
      continue;
    }
    const event = events[index];
    let body: unknown;
    try {
      body = JSON.parse(request.body);
    } catch {
      body = request.body;
    }
    const built = JSON.parse(JSON.stringify(feedEventOf(event))) as unknown;
    if (!isDeepStrictEqual(body, built)) {
      audit.bodyMismatches.push(`${where}: got ${request.body.slice(0, 300)}, the service builds ${JSON.stringify(built).slice(0, 300)}`);
    }
    if (index > prefix) {
      audit.outOfOrder.push(
        `${where}: event at position ${event.position} sent while the one at position ${events[prefix].position} was not yet accepted`,
      );
    }
    if (!isAccepted(request)) continue;
    acceptedTimes.set(id, (acceptedTimes.get(id) ?? 0) + 1);
    if (accepted.has(id)) {
      audit.duplicates += 1;
      continue;
    }
    accepted.add(id);
    audit.firstDeliveries.push(event.position);
    while (prefix < events.length && accepted.has(events[prefix].id)) prefix += 1;
  }
  audit.duplicatedEvents = [...acceptedTimes.values()].filter((n) => n > 1).length;
  audit.missing = events.filter((event) => !accepted.has(event.id)).map((event) => `${event.position} ${event.id} ${event.type}`);
  const byArrival = [...requests].sort((a, b) => a.receivedAt - b.receivedAt || a.seq - b.seq);
  for (let i = 1; i < byArrival.length; i++) {
    const before = byArrival[i - 1];
    const next = byArrival[i];
    if (before.answeredAt === undefined || next.receivedAt < before.answeredAt) {
      audit.overlaps.push(
        `#${before.seq} [${before.receivedAt}, ${before.answeredAt ?? 'never answered'}] and #${next.seq} [${next.receivedAt}, ${next.answeredAt}]`,
      );
    }
  }
  return audit;
};

/** One line of figures for the test output. */
export const describeAudit = (name: string, audit: DeliveryAudit): string =>
  `${name}: ${audit.expected} events wanted, ${audit.requests} requests, ${audit.failedAnswers} answered non-2xx, ` +
  `${audit.duplicates} duplicate deliveries (of ${audit.duplicatedEvents} events), missing ${audit.missing.length}, ` +
  `out of order ${audit.outOfOrder.length}, overlapping ${audit.overlaps.length}`;

/**
 * A service process delivering webhooks to receivers on 127.0.0.1, quickly: a 3 s lease (at least
 * 2 × (WEBHOOK_TIMEOUT + 1 s), so a 500 ms timeout), short retries, no timers or routing.
 */
export const webhookServiceEnv = (leaseMs = 3_000): Record<string, string> => ({
  EVENT_STORE: 'sqlite',
  TIMERS: 'off',
  ROUTING: 'off',
  WEBHOOKS: 'on',
  WEBHOOK_ALLOW_PRIVATE_NETWORKS: 'on',
  WEBHOOK_TIMEOUT: '500ms',
  WEBHOOK_LEASE: `${leaseMs}ms`,
  WEBHOOK_RETRY_FIRST_DELAY: '100ms',
  WEBHOOK_RETRY_MAX_DELAY: '400ms',
});
