/**
 * Webhook subscriptions end to end: the administration API, and delivery to local receivers
 * that answer 200, 500 then 200, 429 with Retry-After, 410, hang past the timeout, close the
 * connection and redirect. Every event arrives, in log order, signed; signatures are verified
 * with the Standard Webhooks reference library (test/support/webhook-receiver.ts).
 */
import type { RecordedEvent } from '@lib/event-store';
import { startApp, type TestApp } from './support/start-app';
import { startWebhookReceiver, verifiedWith, type ReceivedRequest, type WebhookReceiver } from './support/webhook-receiver';

/** Fast retries and a short timeout, so every scenario runs in a second or two. */
const DELIVERY_ENV = {
  WEBHOOK_ALLOW_PRIVATE_NETWORKS: 'on',
  WEBHOOK_TIMEOUT: '400ms',
  WEBHOOK_LEASE: '3s',
  WEBHOOK_RETRY_FIRST_DELAY: '50ms',
  WEBHOOK_RETRY_MAX_DELAY: '200ms',
};

interface FeedBody {
  id: string;
  type: string;
  stream: string;
  category: string;
  position: number;
  revision: number;
  at: string;
  data: Record<string, unknown>;
}

const receivers: WebhookReceiver[] = [];
const receiver = async (...args: Parameters<typeof startWebhookReceiver>) => {
  const started = await startWebhookReceiver(...args);
  receivers.push(started);
  return started;
};

let seq = 0;
/** Opens a conversation and has an agent pick it: a few conversation events, and agent events beside them. */
const conversation = async (t: TestApp): Promise<string> => {
  const id = `wh-${++seq}`;
  expect((await t.post('/api/conversations', { id, channel: 'live_chat', queueId: 'hooks', customerId: `cust-${id}` })).statusCode).toBe(
    201,
  );
  expect((await t.post(`/api/conversations/${id}/pick`, { agentId: 'ann' })).statusCode).toBe(200);
  return id;
};

const conversationEventsAfter = async (t: TestApp, checkpoint: number): Promise<RecordedEvent[]> =>
  (await t.store.readAll({ after: checkpoint })).filter((event) => event.streamName.startsWith('conversation-'));

/** Positions of the events as first delivered (2xx), duplicates after the first dropped. */
const firstDeliveries = (delivered: FeedBody[]): number[] => {
  const seen = new Set<string>();
  return delivered.filter((body) => (seen.has(body.id) ? false : (seen.add(body.id), true))).map((body) => body.position);
};

const createHook = async (t: TestApp, url: string, extra: Record<string, unknown> = {}) => {
  const answer = await t.post('/api/webhooks', { url, streams: ['conversation'], ...extra });
  expect(answer.statusCode).toBe(201);
  return answer.body as { id: string; secret: string; checkpoint: number; status: string };
};

const deliveredAll = (r: WebhookReceiver, events: RecordedEvent[]) => (requests: ReceivedRequest[]) => {
  const ids = new Set(requests.filter((x) => typeof x.answer === 'number' && x.answer < 300).map((x) => String(x.headers['webhook-id'])));
  return events.every((event) => ids.has(event.id));
};

afterEach(async () => {
  await Promise.all(receivers.splice(0).map((r) => r.close()));
});

describe('webhook delivery to local receivers', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startApp({ env: DELIVERY_ENV });
  });
  afterAll(async () => {
    await t.close();
  });

  it('given a receiver answering 200, when events are written, then each arrives once, in log order, signed, as the audit trail shows it', async () => {
    const r = await receiver();
    const hook = await createHook(t, r.url);
    await conversation(t);
    await conversation(t);
    const events = await conversationEventsAfter(t, hook.checkpoint);
    await r.waitFor(deliveredAll(r, events), 10_000, 'every conversation event');

    const bodies = r.delivered<FeedBody>();
    expect(firstDeliveries(bodies)).toEqual(events.map((event) => event.position));
    expect(bodies.every((body) => body.category === 'conversation')).toBe(true);
    for (const request of r.requests) {
      expect(verifiedWith(request, [hook.secret])).toEqual([hook.secret]);
      expect(request.headers['content-type']).toBe('application/json');
      const body = JSON.parse(request.body) as FeedBody;
      expect(request.headers['webhook-id']).toBe(body.id);
    }
    const [first] = events;
    const data = first.data as Record<string, unknown>;
    expect(bodies[0]).toEqual(
      expect.objectContaining({
        id: first.id,
        type: first.type,
        stream: first.streamName,
        revision: first.revision,
        position: first.position,
        at: data.at,
        actor: data.by,
        reason: data.reason,
      }),
    );
    expect(bodies[0].data).toMatchObject({ conversationId: data.conversationId, channel: 'live_chat' });
    expect(bodies[0].data).not.toHaveProperty('at');

    const deliveries = (await t.get(`/api/webhooks/${hook.id}/deliveries?limit=500`)).body.items as Array<Record<string, unknown>>;
    expect(deliveries.map((d) => d.eventId).reverse()).toEqual(events.map((event) => event.id));
    expect(deliveries.every((d) => d.result === 'delivered' && d.statusCode === 200 && d.attempt === 1)).toBe(true);
    const current = (await t.get(`/api/webhooks/${hook.id}`)).body;
    expect(current).toMatchObject({ status: 'active', failures: 0, deliveredBy: expect.stringMatching(/^.+:\d+:[0-9a-f]{8}$/) });
    expect(current.checkpoint).toBeGreaterThanOrEqual(events[events.length - 1].position);
    expect(current.backlogEvents).toBe((await t.store.headPosition()) - current.checkpoint);
    await t.request({ method: 'DELETE', url: `/api/webhooks/${hook.id}` });
  });

  it.each([
    ['500 then 200', [{ status: 500 }, { status: 500 }], 'rejected', 500],
    ['a hang past the timeout, then 200', [{ hang: true as const }], 'timeout', undefined],
    ['a closed connection, then 200', [{ close: true as const }], 'network', undefined],
    ['a redirect (not followed), then 200', [{ status: 302, headers: { location: '/elsewhere' } }], 'rejected', 302],
  ])(
    'given a receiver answering %s, when events are written, then the failed event is retried and everything arrives in order',
    async (_name, failures, result, statusCode) => {
      const r = await receiver((request) => failures[request.seq - 1] ?? { status: 200 });
      const hook = await createHook(t, r.url);
      await conversation(t);
      const events = await conversationEventsAfter(t, hook.checkpoint);
      await r.waitFor(deliveredAll(r, events), 10_000, 'every conversation event');

      expect(firstDeliveries(r.delivered<FeedBody>())).toEqual(events.map((event) => event.position));
      // The failed attempts were at the first event, each retried (same webhook-id), none at a later one.
      const attempts = r.requests.slice(0, failures.length + 1).map((x) => x.headers['webhook-id']);
      expect(new Set(attempts)).toEqual(new Set([events[0].id]));
      expect(r.requests.every((x) => x.path === '/hooks')).toBe(true);
      for (const request of r.requests) verifiedWith(request, [hook.secret]);

      const oldestFirst = ((await t.get(`/api/webhooks/${hook.id}/deliveries`)).body.items as Array<Record<string, unknown>>).reverse();
      const failed = oldestFirst.slice(0, failures.length);
      for (const [index, attempt] of failed.entries()) {
        expect(attempt).toMatchObject({ eventId: events[0].id, attempt: index + 1, result, ...(statusCode ? { statusCode } : {}) });
        expect(typeof attempt.nextRetryAt).toBe('string');
        if (result !== 'rejected') expect(attempt.error).toEqual(expect.any(String));
      }
      expect(oldestFirst[failures.length]).toMatchObject({ eventId: events[0].id, attempt: failures.length + 1, result: 'delivered' });
      expect((await t.get(`/api/webhooks/${hook.id}`)).body).toMatchObject({ status: 'active', failures: 0 });
      await t.request({ method: 'DELETE', url: `/api/webhooks/${hook.id}` });
    },
  );

  it('given two subscriptions to one slow receiver, when events are written, then neither waits behind the other (no timeout)', async () => {
    // Each answer takes 300 ms of the 400 ms timeout: queued behind the other subscription's request, one would time out.
    const r = await receiver(() => ({ status: 200, delayMs: 300 }));
    const first = await createHook(t, r.url);
    const second = await createHook(t, r.url);
    await conversation(t);
    const events = await conversationEventsAfter(t, second.checkpoint);
    const count = (id: string) => r.requests.filter((x) => x.headers['webhook-id'] === id && x.answer === 200).length;
    await r.waitFor(() => events.every((event) => count(event.id) >= 2), 15_000, 'every event, once per subscription');
    for (const hook of [first, second]) {
      const attempts = (await t.get(`/api/webhooks/${hook.id}/deliveries`)).body.items as Array<Record<string, unknown>>;
      expect(attempts.filter((a) => a.result !== 'delivered')).toEqual([]);
      await t.request({ method: 'DELETE', url: `/api/webhooks/${hook.id}` });
    }
  });

  it("given a 429 with Retry-After: 1, when retried, then not before the receiver's second has passed", async () => {
    const r = await receiver((request) => (request.seq === 1 ? { status: 429, headers: { 'retry-after': '1' } } : { status: 200 }));
    const hook = await createHook(t, r.url);
    await conversation(t);
    const events = await conversationEventsAfter(t, hook.checkpoint);
    await r.waitFor(deliveredAll(r, events), 10_000, 'every conversation event');
    const [refused, retried] = r.requests;
    expect(retried.headers['webhook-id']).toBe(refused.headers['webhook-id']);
    // The backoff alone would retry within 50 ms; the receiver asked for a second.
    expect(retried.receivedAt - (refused.answeredAt as number)).toBeGreaterThanOrEqual(950);
    expect(firstDeliveries(r.delivered<FeedBody>())).toEqual(events.map((event) => event.position));
    await t.request({ method: 'DELETE', url: `/api/webhooks/${hook.id}` });
  });

  it('given a receiver answering 410 Gone, then the subscription is disabled, sends nothing more, and resumes from that event', async () => {
    const r = await receiver((request) => (request.seq === 1 ? { status: 410 } : { status: 200 }));
    const hook = await createHook(t, r.url);
    await conversation(t);
    await r.waitFor((requests) => requests.length >= 1, 10_000, 'the first attempt');
    const events = await conversationEventsAfter(t, hook.checkpoint);
    let current = (await t.get(`/api/webhooks/${hook.id}`)).body;
    for (let i = 0; i < 100 && current.status !== 'disabled'; i += 1) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      current = (await t.get(`/api/webhooks/${hook.id}`)).body;
    }
    expect(current).toMatchObject({ status: 'disabled', statusReason: expect.stringContaining('410'), checkpoint: hook.checkpoint });
    await conversation(t);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(r.requests).toHaveLength(1);

    expect((await t.post(`/api/webhooks/${hook.id}/resume`, {})).body).toMatchObject({ status: 'active' });
    const all = await conversationEventsAfter(t, hook.checkpoint);
    await r.waitFor(deliveredAll(r, all), 10_000, 'every event after resuming');
    expect(r.requests[1].headers['webhook-id']).toBe(events[0].id);
    expect(firstDeliveries(r.delivered<FeedBody>())).toEqual(all.map((event) => event.position));
    await t.request({ method: 'DELETE', url: `/api/webhooks/${hook.id}` });
  });

  it('given a paused subscription, when events are written, then they wait and arrive in order once resumed', async () => {
    const r = await receiver();
    const hook = await createHook(t, r.url);
    expect((await t.post(`/api/webhooks/${hook.id}/pause`, {})).body).toMatchObject({ status: 'paused', statusReason: expect.any(String) });
    await conversation(t);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(r.requests).toHaveLength(0);
    await t.post(`/api/webhooks/${hook.id}/resume`, {});
    const events = await conversationEventsAfter(t, hook.checkpoint);
    await r.waitFor(deliveredAll(r, events), 10_000, 'the events written while paused');
    expect(firstDeliveries(r.delivered<FeedBody>())).toEqual(events.map((event) => event.position));
    await t.request({ method: 'DELETE', url: `/api/webhooks/${hook.id}` });
  });

  it('given delivered events, when replayed from a position or a time, then they are sent again from there, in order, same ids', async () => {
    const r = await receiver();
    const hook = await createHook(t, r.url);
    await conversation(t);
    t.clock.advance(60_000);
    const second = await conversation(t);
    const events = await conversationEventsAfter(t, hook.checkpoint);
    await r.waitFor(deliveredAll(r, events), 10_000, 'every event');
    const firstRound = r.requests.length;

    const fromPosition = events[2];
    expect((await t.post(`/api/webhooks/${hook.id}/replay`, { position: fromPosition.position })).body.checkpoint).toBe(
      fromPosition.position - 1,
    );
    const again = events.slice(2);
    await r.waitFor((requests) => requests.length >= firstRound + again.length, 10_000, 'the replayed events');
    expect(r.requests.slice(firstRound).map((x) => x.headers['webhook-id'])).toEqual(again.map((event) => event.id));

    const secondOpened = events.find((event) => event.streamName === `conversation-${second}`) as RecordedEvent;
    const time = (secondOpened.data as { at: string }).at;
    await t.post(`/api/webhooks/${hook.id}/replay`, { time });
    const fromTime = events.filter((event) => event.position >= secondOpened.position);
    const before = r.requests.length;
    await r.waitFor((requests) => requests.length >= before + fromTime.length, 10_000, 'the events replayed from a time');
    expect(r.requests.slice(before).map((x) => x.headers['webhook-id'])).toEqual(fromTime.map((event) => event.id));
    await t.request({ method: 'DELETE', url: `/api/webhooks/${hook.id}` });
  });

  it('given a rotated secret, then messages verify with the old and the new secret until the overlap ends, then with the new one only', async () => {
    const r = await receiver();
    const hook = await createHook(t, r.url);
    const rotated = await t.post(`/api/webhooks/${hook.id}/rotate-secret`, { overlap: '1h' });
    expect(rotated.statusCode).toBe(200);
    expect(rotated.body.secret).toMatch(/^whsec_/);
    expect(rotated.body.secret).not.toBe(hook.secret);
    expect(rotated.body.previousSecretValidUntil).toEqual(expect.any(String));
    await conversation(t);
    await r.waitFor((requests) => requests.length >= 1, 10_000, 'a message signed during the overlap');
    expect(verifiedWith(r.requests[0], [hook.secret, rotated.body.secret])).toEqual([hook.secret, rotated.body.secret]);

    const immediate = await t.post(`/api/webhooks/${hook.id}/rotate-secret`, { overlap: '0s' });
    const count = r.requests.length;
    await conversation(t);
    await r.waitFor((requests) => requests.length > count, 10_000, 'a message after the second rotation');
    expect(verifiedWith(r.requests[r.requests.length - 1], [hook.secret, rotated.body.secret, immediate.body.secret])).toEqual([
      immediate.body.secret,
    ]);
    await t.request({ method: 'DELETE', url: `/api/webhooks/${hook.id}` });
  });

  it('given a subscription, when tested, then a signed webhook.ping is sent now and logged', async () => {
    const r = await receiver();
    const hook = await createHook(t, r.url, { paused: true });
    const ping = await t.post(`/api/webhooks/${hook.id}/test`, {});
    expect(ping.body).toMatchObject({ result: 'delivered', statusCode: 200, messageId: expect.any(String) });
    expect(r.requests).toHaveLength(1);
    verifiedWith(r.requests[0], [hook.secret]);
    expect(JSON.parse(r.requests[0].body)).toMatchObject({ type: 'webhook.ping', data: { webhookId: hook.id } });
    expect((await t.get(`/api/webhooks/${hook.id}/deliveries`)).body.items[0]).toMatchObject({
      kind: 'ping',
      eventType: 'webhook.ping',
      eventId: ping.body.messageId,
      result: 'delivered',
    });
    await t.request({ method: 'DELETE', url: `/api/webhooks/${hook.id}` });
  });

  it('given a new URL, when changed, then delivery goes on from the same event at the new receiver', async () => {
    const old = await receiver();
    const next = await receiver();
    const hook = await createHook(t, old.url);
    await t.post(`/api/webhooks/${hook.id}/pause`, {});
    await conversation(t);
    const changed = await t.request({
      method: 'PATCH',
      url: `/api/webhooks/${hook.id}`,
      payload: { url: next.url, eventTypes: ['ConversationPicked'] },
    });
    expect(changed.body).toMatchObject({ url: next.url, eventTypes: ['ConversationPicked'], streams: ['conversation'] });
    await t.post(`/api/webhooks/${hook.id}/resume`, {});
    const picked = (await conversationEventsAfter(t, hook.checkpoint)).filter((event) => event.type === 'ConversationPicked');
    await next.waitFor(deliveredAll(next, picked), 10_000, 'the picked events');
    expect(old.requests).toHaveLength(0);
    expect(next.delivered<FeedBody>().map((body) => body.type)).toEqual(picked.map(() => 'ConversationPicked'));
    expect((await t.request({ method: 'DELETE', url: `/api/webhooks/${hook.id}` })).statusCode).toBe(204);
    expect((await t.get(`/api/webhooks/${hook.id}`)).body).toMatchObject({ code: 'WEBHOOK.NOT_FOUND' });
  });
});

describe('signing secrets stored encrypted (WEBHOOK_SECRETS_KEY)', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startApp({ env: { ...DELIVERY_ENV, WEBHOOK_SECRETS_KEY: Buffer.alloc(32, 9).toString('base64') } });
  });
  afterAll(async () => {
    await t.close();
  });

  it('signs with the secret shown at creation and at rotation, as without a key', async () => {
    const r = await receiver();
    const hook = await createHook(t, r.url);
    await conversation(t);
    await r.waitFor((requests) => requests.length >= 1, 10_000, 'a first delivery');
    expect(verifiedWith(r.requests[0], [hook.secret])).toEqual([hook.secret]);
    const rotated = (await t.post(`/api/webhooks/${hook.id}/rotate-secret`, { overlap: '1h' })).body as { secret: string };
    const count = r.requests.length;
    await conversation(t);
    await r.waitFor((requests) => requests.length > count, 10_000, 'a delivery after the rotation');
    expect(verifiedWith(r.requests[r.requests.length - 1], [hook.secret, rotated.secret])).toEqual([hook.secret, rotated.secret]);
  });
});

describe('a subscription whose receiver keeps failing for the whole retry window', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startApp({ env: { ...DELIVERY_ENV, WEBHOOK_RETRY_WINDOW: '600ms' } });
  });
  afterAll(async () => {
    await t.close();
  });

  it('is paused as failing with its backlog kept, and once resumed delivers from where it stopped', async () => {
    let healthy = false;
    const r = await receiver(() => (healthy ? { status: 200 } : { status: 503 }));
    const hook = await createHook(t, r.url);
    await conversation(t);
    let current = (await t.get(`/api/webhooks/${hook.id}`)).body;
    for (let i = 0; i < 250 && current.status !== 'failing'; i += 1) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      current = (await t.get(`/api/webhooks/${hook.id}`)).body;
    }
    expect(current).toMatchObject({ status: 'failing', statusReason: expect.stringContaining('HTTP 503') });
    expect(current).not.toHaveProperty('deliveredBy');
    expect(current.backlogEvents).toBeGreaterThan(0);
    expect(current.failures).toBeGreaterThan(1);
    // Stopped before the first conversation event (the events it passed over before it are behind it).
    const [firstEvent] = await conversationEventsAfter(t, hook.checkpoint);
    expect(current.checkpoint).toBeLessThan(firstEvent.position);
    const attempts = r.requests.length;
    await conversation(t);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(r.requests).toHaveLength(attempts);

    // What an operator alerts on: a failing subscription, and its backlog.
    const metrics = (await t.request({ method: 'GET', url: '/metrics', checkAnswer: false })).text;
    expect(metrics).toMatch(/^webhook_subscriptions\{status="failing"\} 1$/m);
    expect(metrics).toMatch(/^webhook_subscriptions\{status="active"\} 0$/m);
    const backlog = (await t.store.headPosition()) - current.checkpoint;
    expect(metrics).toContain(`webhook_lag_events{subscription="${hook.id}"} ${backlog}`);
    expect(metrics).toMatch(/^webhook_attempt_duration_seconds_count\{result="rejected"\} [1-9]/m);

    healthy = true;
    expect((await t.post(`/api/webhooks/${hook.id}/resume`, {})).body).toMatchObject({ status: 'active', failures: 0 });
    const events = await conversationEventsAfter(t, hook.checkpoint);
    await r.waitFor(deliveredAll(r, events), 10_000, 'the backlog');
    expect(firstDeliveries(r.delivered<FeedBody>())).toEqual(events.map((event) => event.position));
  });
});

describe('the administration API refuses what it cannot deliver', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startApp({ env: DELIVERY_ENV });
  });
  afterAll(async () => {
    await t.close();
  });

  it.each([
    [{ url: 'ftp://example.com/x' }, 400, 'WEBHOOK.INVALID_URL', 'url'],
    [{ url: 'not a url' }, 400, 'WEBHOOK.INVALID_URL', 'url'],
    [{ url: 'https://user:pw@example.com/x' }, 400, 'WEBHOOK.INVALID_URL', 'url'],
    [{ url: 'https://example.com/x', eventTypes: ['has space'] }, 400, 'FEED.INVALID_FILTER', 'eventTypes'],
    [{ url: 'https://example.com/x', streams: [''] }, 400, 'FEED.INVALID_FILTER', 'streams'],
    [{ url: 'https://example.com/x', streams: 'conversation' }, 400, 'REQUEST.INVALID_FIELD', 'streams'],
    [{}, 400, 'REQUEST.INVALID_FIELD', 'url'],
  ])('POST /api/webhooks %j: %i %s naming %s, and nothing is created', async (body, status, code, field) => {
    const answer = await t.post('/api/webhooks', body);
    expect(answer.statusCode).toBe(status);
    expect(answer.body).toMatchObject({ code, field });
    expect((await t.get('/api/webhooks')).body.items).toHaveLength(0);
  });

  it('answers 404 naming the subscription on every route, and refuses a replay without exactly one of position and time', async () => {
    const missing = '7a1c3e5a-0000-4000-8000-000000000000';
    for (const [method, path] of [
      ['GET', ''],
      ['PATCH', ''],
      ['DELETE', ''],
      ['POST', '/pause'],
      ['POST', '/resume'],
      ['POST', '/rotate-secret'],
      ['POST', '/test'],
      ['POST', '/replay'],
      ['GET', '/deliveries'],
    ] as const) {
      const payload = method === 'GET' || method === 'DELETE' ? undefined : path === '/replay' ? { position: 1 } : {};
      const answer = await t.request({ method, url: `/api/webhooks/${missing}${path}`, payload });
      expect({ method, path, status: answer.statusCode, code: answer.body.code }).toEqual({
        method,
        path,
        status: 404,
        code: 'WEBHOOK.NOT_FOUND',
      });
    }
    const hook = await createHook(t, 'https://example.com/hooks', { paused: true });
    for (const body of [{}, { position: 3, time: '2026-03-02T09:00:00Z' }]) {
      const answer = await t.post(`/api/webhooks/${hook.id}/replay`, body);
      expect(answer.body).toMatchObject({ statusCode: 400, code: 'WEBHOOK.INVALID_REPLAY' });
    }
    const head = await t.store.headPosition();
    expect((await t.post(`/api/webhooks/${hook.id}/replay`, { position: head + 2 })).body).toMatchObject({
      statusCode: 400,
      code: 'WEBHOOK.INVALID_REPLAY',
      field: 'position',
    });
    expect((await t.post(`/api/webhooks/${hook.id}/rotate-secret`, { overlap: '200000000d' })).body).toMatchObject({
      statusCode: 400,
      code: 'REQUEST.INVALID_FIELD',
      field: 'overlap',
    });
    expect((await t.get(`/api/webhooks/${hook.id}/deliveries?before=100000000000000000000`)).statusCode).toBe(400);
    // Refused, and nothing changed: no replay, no rotation.
    const created = hook as typeof hook & { updatedAt: string };
    expect((await t.get(`/api/webhooks/${hook.id}`)).body).toMatchObject({ checkpoint: created.checkpoint, updatedAt: created.updatedAt });
    expect((await t.get(`/api/webhooks/${hook.id}`)).body).not.toHaveProperty('previousSecretValidUntil');
    const listed = (await t.get('/api/webhooks')).body.items;
    expect(listed).toHaveLength(1);
    expect(listed[0]).not.toHaveProperty('secret');
    expect((await t.get(`/api/webhooks/${hook.id}`)).body).not.toHaveProperty('secret');
    await t.request({ method: 'DELETE', url: `/api/webhooks/${hook.id}` });
  });
});

describe('SSRF guard on (the default): no delivery to loopback, private, link-local or metadata addresses', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startApp({
      env: { WEBHOOK_TIMEOUT: '400ms', WEBHOOK_LEASE: '3s', WEBHOOK_RETRY_FIRST_DELAY: '50ms', WEBHOOK_RETRY_MAX_DELAY: '200ms' },
    });
  });
  afterAll(async () => {
    await t.close();
  });

  it.each([
    'http://127.0.0.1:9/x',
    'http://10.1.2.3/x',
    'http://169.254.169.254/latest/meta-data/',
    'http://[::1]:9/x',
    'http://[::ffff:127.0.0.1]/x',
  ])('a URL naming %s is refused at creation with 422 WEBHOOK.ADDRESS_NOT_ALLOWED', async (url) => {
    const answer = await t.post('/api/webhooks', { url });
    expect(answer.statusCode).toBe(422);
    expect(answer.body).toMatchObject({ code: 'WEBHOOK.ADDRESS_NOT_ALLOWED', field: 'url' });
    expect(answer.body.message).toContain('WEBHOOK_ALLOW_PRIVATE_NETWORKS');
  });

  it('a name resolving to loopback is accepted as a URL but nothing is ever sent to it: attempts are blocked and retried', async () => {
    const r = await receiver();
    const hook = await createHook(t, `http://localhost:${r.port}/hooks`);
    expect((await t.post(`/api/webhooks/${hook.id}/test`, {})).body).toMatchObject({
      result: 'blocked',
      error: expect.stringContaining('localhost'),
    });
    await conversation(t);
    let attempts: Array<Record<string, unknown>> = [];
    for (let i = 0; i < 200 && attempts.filter((a) => a.kind === 'event').length < 2; i += 1) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      attempts = (await t.get(`/api/webhooks/${hook.id}/deliveries`)).body.items;
    }
    const events = attempts.filter((a) => a.kind === 'event');
    expect(events.length).toBeGreaterThanOrEqual(2);
    expect(events.every((a) => a.result === 'blocked')).toBe(true);
    expect(r.requests).toHaveLength(0);
    await t.request({ method: 'DELETE', url: `/api/webhooks/${hook.id}` });
  });
});
