/**
 * The server-sent event stream GET /api/events end to end: a catch-up read (follow=false) sends
 * every event of the log in position order as `id` / `event` / `data` and ends; the types and
 * streams filters; resuming with Last-Event-ID; the default start (only new events); a live
 * stream over a real socket receiving events as they are written, closed on the server side
 * when the client leaves; who may read it; and a shutdown with a stream open.
 *
 * Catch-up reads go through Fastify inject (each answer checked against the OpenAPI document);
 * live streams through a listening socket and Node's fetch. Every wait is bounded by a deadline.
 */
import { randomUUID } from 'node:crypto';
import { connect, type AddressInfo } from 'node:net';
import type { RecordedEvent } from '@lib/event-store';
import type { Role } from '@lib/platform';
import { EventStreams } from '../apps/api/src/event-feed/event-streams';
import { startApp, type Answer, type TestApp } from './support/start-app';

const WAIT_MS = 10_000;

/** One block of an event stream (the text up to a blank line). */
interface SseBlock {
  id?: string;
  event?: string;
  data?: string;
  retry?: string;
  /** Lines starting with `:`, without it. */
  comments: string[];
}

/** The complete blocks of `text` (each ended by a blank line) and what follows the last one. */
const parseSse = (text: string): { blocks: SseBlock[]; rest: string } => {
  const parts = text.replace(/\r\n?/g, '\n').split('\n\n');
  const rest = parts.pop() ?? '';
  const blocks = parts.map((part) => {
    const block: SseBlock = { comments: [] };
    for (const line of part.split('\n')) {
      if (line === '') continue;
      if (line.startsWith(':')) {
        block.comments.push(line.slice(1).trim());
        continue;
      }
      const colon = line.indexOf(':');
      const name = colon === -1 ? line : line.slice(0, colon);
      const raw = colon === -1 ? '' : line.slice(colon + 1);
      const value = raw.startsWith(' ') ? raw.slice(1) : raw;
      if (name === 'data') block.data = block.data === undefined ? value : `${block.data}\n${value}`;
      else if (name === 'id' || name === 'event' || name === 'retry') block[name] = value;
    }
    return block;
  });
  return { blocks, rest };
};

/** Blocks a client dispatches as messages: those with data. */
const messagesOf = (blocks: SseBlock[]): SseBlock[] => blocks.filter((block) => block.data !== undefined);

interface FeedData {
  id: string;
  type: string;
  at: string;
  stream: string;
  category: string;
  revision: number;
  position: number;
  actor?: unknown;
  reason?: string;
  data: Record<string, unknown>;
  [other: string]: unknown;
}

const dataOf = (message: SseBlock): FeedData => JSON.parse(message.data as string) as FeedData;

const FEED_FIELDS = [
  'id',
  'type',
  'at',
  'stream',
  'category',
  'revision',
  'position',
  'actor',
  'reason',
  'principal',
  'commandId',
  'correlationId',
  'causationId',
  'data',
];

/** The message is this event: id = position, event = type, data = the event as the webhook body shows it. */
const expectMessageOf = (message: SseBlock, event: RecordedEvent): void => {
  expect({ id: message.id, event: message.event }).toEqual({ id: String(event.position), event: event.type });
  const data = dataOf(message);
  const { at, by, reason, ...details } = event.data as Record<string, unknown>;
  expect(data).toMatchObject({
    id: event.id,
    type: event.type,
    at,
    stream: event.streamName,
    category: event.streamName.slice(0, event.streamName.indexOf('-')),
    revision: event.revision,
    position: event.position,
  });
  expect(data.actor).toEqual(by);
  expect(data.reason).toEqual(reason);
  expect(data.data).toEqual(details);
  expect(Object.keys(data).filter((key) => !FEED_FIELDS.includes(key))).toEqual([]);
};

/** The messages are exactly these events, in this order. */
const expectMessagesOf = (messages: SseBlock[], events: RecordedEvent[]): void => {
  expect(messages.map((m) => `${m.id} ${m.event}`)).toEqual(events.map((e) => `${e.position} ${e.type}`));
  messages.forEach((message, index) => expectMessageOf(message, events[index]));
};

const expectStatus = (answer: Answer, statusCode: number, what: string): Answer => {
  expect({ what, statusCode: answer.statusCode, body: answer.statusCode === statusCode ? undefined : answer.body }).toEqual({
    what,
    statusCode,
    body: undefined,
  });
  return answer;
};

/** A few conversations in two queues, one picked, ended and closed by an agent: queue, agent and conversation events. */
const seed = async (t: TestApp): Promise<void> => {
  expectStatus(
    await t.post('/api/conversations', { id: 'c1', channel: 'live_chat', queueId: 'support', customerId: 'cust-1' }),
    201,
    'open c1',
  );
  expectStatus(await t.post('/api/conversations', { id: 'c2', channel: 'sms', queueId: 'support', customerId: 'cust-2' }), 201, 'open c2');
  expectStatus(await t.post('/api/conversations/c1/pick', { agentId: 'ann' }), 200, 'pick c1');
  expectStatus(
    await t.post('/api/conversations', { id: 'c3', channel: 'social', queueId: 'billing', customerId: 'cust-3' }),
    201,
    'open c3',
  );
  expectStatus(await t.post('/api/conversations/c1/end', { by: 'agent', agentId: 'ann' }), 200, 'end c1');
  expectStatus(await t.post('/api/conversations/c1/close-session', { agentId: 'ann' }), 200, 'close c1');
};

/** A catch-up read through inject: 200, an event stream, ended (nothing after the last blank line). */
const readStream = async (
  t: TestApp,
  query: string,
  headers: Record<string, string> = {},
): Promise<{ answer: Answer; blocks: SseBlock[] }> => {
  const answer = expectStatus(await t.request({ method: 'GET', url: `/api/events${query}`, headers }), 200, `GET /api/events${query}`);
  expect(String(answer.headers['content-type'])).toMatch(/^text\/event-stream\b/);
  const { blocks, rest } = parseSse(answer.text);
  expect(rest).toBe('');
  return { answer, blocks };
};

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls `condition` every 20 ms until it holds or `timeoutMs` runs out; returns whether it held. */
const eventually = async (condition: () => boolean | Promise<boolean>, timeoutMs = WAIT_MS): Promise<boolean> => {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() >= deadline) return false;
    await sleep(20);
  }
  return true;
};

type ReadOutcome =
  { ok: true; result: Awaited<ReturnType<ReadableStreamDefaultReader<Uint8Array>['read']>> } | { ok: false; error: unknown };
const TIMED_OUT = Symbol('timed out');

/** A promise, or TIMED_OUT after `ms` (the timer cleared either way). */
const within = async <T>(promise: Promise<T>, ms: number): Promise<T | typeof TIMED_OUT> => {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<typeof TIMED_OUT>((resolve) => {
    timer = setTimeout(() => resolve(TIMED_OUT), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
};

/** An event stream read incrementally from a fetch body. */
class SseClient {
  readonly blocks: SseBlock[] = [];
  /** Set when the body ended: 'done' (cleanly) or the read error. */
  end?: { done: true } | { error: unknown };
  private buffer = '';
  private pending?: Promise<ReadOutcome>;
  private readonly decoder = new TextDecoder();

  constructor(
    private readonly reader: ReadableStreamDefaultReader<Uint8Array>,
    readonly abort: AbortController,
  ) {}

  get messages(): SseBlock[] {
    return messagesOf(this.blocks);
  }

  /** Reads until `condition` holds, the body ends or `timeoutMs` runs out; returns whether it held. */
  async readUntil(condition: () => boolean, timeoutMs = WAIT_MS): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (!condition()) {
      const left = deadline - Date.now();
      if (this.end !== undefined || left <= 0) return false;
      this.pending ??= this.reader.read().then(
        (result): ReadOutcome => ({ ok: true, result }),
        (error: unknown): ReadOutcome => ({ ok: false, error }),
      );
      const outcome = await within(this.pending, left);
      if (outcome === TIMED_OUT) return false;
      this.pending = undefined;
      if (!outcome.ok) this.end = { error: outcome.error };
      else if (outcome.result.done) this.end = { done: true };
      else {
        const { blocks, rest } = parseSse(this.buffer + this.decoder.decode(outcome.result.value, { stream: true }));
        this.blocks.push(...blocks);
        this.buffer = rest;
      }
    }
    return true;
  }

  /** Reads until the body ends, at most `timeoutMs`; returns whether it ended. */
  async readToEnd(timeoutMs = WAIT_MS): Promise<boolean> {
    await this.readUntil(() => this.end !== undefined, timeoutMs);
    return this.end !== undefined;
  }
}

/** Listens on an ephemeral port of the loopback interface; the base URL. */
const listen = async (t: TestApp): Promise<string> => {
  await t.app.listen(0, '127.0.0.1');
  const address = t.app.getHttpServer().address() as AddressInfo;
  return `http://127.0.0.1:${address.port}`;
};

/** Opens a stream over the socket and reads until its preamble arrived (so its start position is fixed). */
const openStream = async (base: string, query: string, token: string): Promise<SseClient> => {
  const abort = new AbortController();
  const response = await fetch(`${base}/api/events${query}`, { headers: { authorization: `Bearer ${token}` }, signal: abort.signal });
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toMatch(/^text\/event-stream\b/);
  if (response.body === null) throw new Error('The event stream answered without a body');
  const client = new SseClient(response.body.getReader(), abort);
  expect(await client.readUntil(() => client.blocks.length > 0)).toBe(true);
  expect(client.blocks[0]).toMatchObject({ retry: expect.stringMatching(/^\d+$/) });
  expect(client.blocks[0].data).toBeUndefined();
  return client;
};

let t: TestApp;
const clients: SseClient[] = [];

beforeEach(async () => {
  t = await startApp();
});
afterEach(async () => {
  for (const client of clients.splice(0)) client.abort.abort();
  // After an aborted fetch, Node 20's fetch (undici) opens a spare connection that sends no request;
  // the server's close waits for the client to drop it (undici's 4 s keep-alive), well within the hook's timeout.
  await t?.close();
});

describe('GET /api/events?follow=false (a catch-up read)', () => {
  it('given a log of events, when read from after=0 with follow=false, then the answer is an event stream that ends by itself with every event in position order', async () => {
    await seed(t);
    const events = await t.store.readAll();
    expect(events.length).toBeGreaterThan(5);

    const { answer, blocks } = await readStream(t, '?after=0&follow=false');

    expect(answer.headers['cache-control']).toBe('no-cache, no-transform');
    expect(answer.headers['x-request-id']).toEqual(expect.any(String));
    // The preamble: a retry delay and a comment, no message.
    expect(blocks[0]).toMatchObject({ retry: expect.stringMatching(/^\d+$/) });
    expect(blocks[0].data).toBeUndefined();
    const messages = messagesOf(blocks);
    expectMessagesOf(messages, events);
    const positions = messages.map((m) => Number(m.id));
    expect(positions).toEqual([...positions].sort((a, b) => a - b));
    expect(new Set(positions).size).toBe(positions.length);
    // Nothing but the preamble and the messages.
    expect(blocks.slice(1).every((block) => block.data !== undefined)).toBe(true);
    // The stream ended on the server's side too.
    expect(t.app.get(EventStreams).openCount).toBe(0);
  });

  it('given an empty log, when read from after=0 with follow=false, then only the preamble is sent and the answer ends', async () => {
    const { blocks } = await readStream(t, '?after=0&follow=false');
    expect(messagesOf(blocks)).toEqual([]);
    expect(blocks.length).toBeGreaterThanOrEqual(1);
  });
});

describe('GET /api/events filters', () => {
  beforeEach(async () => {
    await seed(t);
  });

  const expectFiltered = async (query: string, wanted: (event: RecordedEvent) => boolean): Promise<SseBlock[]> => {
    const all = await t.store.readAll();
    const expected = all.filter(wanted);
    // The filter is a real one: it keeps some events and drops others.
    expect(expected.length).toBeGreaterThan(0);
    expect(expected.length).toBeLessThan(all.length);
    const messages = messagesOf((await readStream(t, `?after=0&follow=false&${query}`)).blocks);
    expectMessagesOf(messages, expected);
    return messages;
  };

  it('given types=Conversation*, when read, then only conversation event types are sent', async () => {
    const messages = await expectFiltered('types=Conversation*', (event) => event.type.startsWith('Conversation'));
    expect(messages.every((m) => m.event?.startsWith('Conversation'))).toBe(true);
  });

  it('given streams=queue (a category), when read, then only events of queue streams are sent', async () => {
    const messages = await expectFiltered('streams=queue', (event) => event.streamName.startsWith('queue-'));
    expect(new Set(messages.map((m) => dataOf(m).stream))).toEqual(new Set(['queue-support', 'queue-billing']));
    expect(messages.every((m) => dataOf(m).category === 'queue')).toBe(true);
  });

  it('given streams=conversation-c2, when read, then only that conversation is sent', async () => {
    const messages = await expectFiltered('streams=conversation-c2', (event) => event.streamName === 'conversation-c2');
    expect(messages.map((m) => dataOf(m).data.conversationId)).toEqual(messages.map(() => 'c2'));
  });

  it('given both types and streams, when read, then only events matching both are sent', async () => {
    const messages = await expectFiltered(
      'types=*Opened,QueueCreated&streams=conversation-c2,queue',
      (event) =>
        (event.type.endsWith('Opened') || event.type === 'QueueCreated') &&
        (event.streamName === 'conversation-c2' || event.streamName.startsWith('queue-')),
    );
    expect(messages.map((m) => `${m.event} ${dataOf(m).stream}`).sort()).toEqual([
      'ConversationOpened conversation-c2',
      'QueueCreated queue-billing',
      'QueueCreated queue-support',
    ]);
  });

  it.each([
    ['types with a space', 'types=a%20b', 'types'],
    ['types with a character outside the pattern language', 'types=Conversation%3F', 'types'],
    ['a stream pattern longer than 200 characters', `streams=${'x'.repeat(201)}`, 'streams'],
    ['a stream pattern with a slash', 'streams=conversation%2Fc1', 'streams'],
  ])('given %s, when read, then 400 FEED.INVALID_FILTER names the field and the log is untouched', async (_name, query, field) => {
    const before = await t.store.readAll();
    const answer = await t.request({ method: 'GET', url: `/api/events?after=0&follow=false&${query}` });
    expect(answer.statusCode).toBe(400);
    expect(answer.body).toMatchObject({ statusCode: 400, code: 'FEED.INVALID_FILTER', field, message: expect.stringContaining(field) });
    expect(await t.store.readAll()).toEqual(before);
    expect(t.app.get(EventStreams).openCount).toBe(0);
  });
});

describe('GET /api/events resume with Last-Event-ID', () => {
  beforeEach(async () => {
    await seed(t);
  });

  it('given the id of the 3rd event received, when read again with Last-Event-ID, then it starts exactly at the 4th event', async () => {
    const first = messagesOf((await readStream(t, '?after=0&follow=false')).blocks);
    expect(first.length).toBeGreaterThan(4);
    const lastReceived = first[2].id as string;

    const resumed = messagesOf((await readStream(t, '?follow=false', { 'last-event-id': lastReceived })).blocks);

    expect(resumed[0].id).toBe(first[3].id);
    expect(resumed).toEqual(first.slice(3));
  });

  it('given Last-Event-ID and after=0 in the query, when read, then Last-Event-ID wins', async () => {
    const first = messagesOf((await readStream(t, '?after=0&follow=false')).blocks);
    const lastReceived = first[2].id as string;

    const resumed = messagesOf((await readStream(t, '?after=0&follow=false', { 'Last-Event-ID': lastReceived })).blocks);

    expect(resumed[0].id).toBe(first[3].id);
    expect(resumed).toEqual(first.slice(3));
  });

  it('given the id of the last event, when read again with Last-Event-ID, then nothing is sent', async () => {
    const first = messagesOf((await readStream(t, '?after=0&follow=false')).blocks);
    const resumed = messagesOf((await readStream(t, '?follow=false', { 'last-event-id': first[first.length - 1].id as string })).blocks);
    expect(resumed).toEqual([]);
  });

  it.each(['abc', '-1', '1.5', '12345678901234567'])(
    'given a malformed Last-Event-ID (%s), when read, then 400 REQUEST.INVALID_FIELD naming it',
    async (lastEventId) => {
      const answer = await t.request({ method: 'GET', url: '/api/events?follow=false', headers: { 'last-event-id': lastEventId } });
      expect(answer.statusCode).toBe(400);
      expect(answer.body).toMatchObject({ statusCode: 400, code: 'REQUEST.INVALID_FIELD', field: 'Last-Event-ID' });
      expect(t.app.get(EventStreams).openCount).toBe(0);
    },
  );

  it.each([
    ['after=-1', 'after'],
    ['after=abc', 'after'],
    ['follow=maybe', 'follow'],
  ])('given a malformed query (%s), when read, then 400 REQUEST.INVALID_FIELD naming it', async (query, field) => {
    const answer = await t.request({ method: 'GET', url: `/api/events?${query}` });
    expect(answer.statusCode).toBe(400);
    expect(answer.body).toMatchObject({ statusCode: 400, code: 'REQUEST.INVALID_FIELD', field });
  });
});

describe('GET /api/events default start', () => {
  it('given a log of events, when read with neither after nor Last-Event-ID and follow=false, then nothing but the preamble is sent (only new events)', async () => {
    await seed(t);
    expect(await t.store.headPosition()).toBeGreaterThan(0);

    const { blocks } = await readStream(t, '?follow=false');

    expect(messagesOf(blocks)).toEqual([]);
    expect(blocks).toHaveLength(1);
    expect(blocks[0]).toMatchObject({ retry: expect.stringMatching(/^\d+$/) });
    expect(blocks[0].id).toBeUndefined();
    expect(blocks[0].event).toBeUndefined();
  });
});

describe('GET /api/events live over a socket', () => {
  /** Reads until a message of this type about this stream arrived; that message. */
  const messageAbout = async (client: SseClient, type: string, stream: string): Promise<SseBlock> => {
    const find = () => client.messages.find((m) => m.event === type && dataOf(m).stream === stream);
    const arrived = await client.readUntil(() => find() !== undefined);
    expect({ type, stream, arrived, end: client.end }).toEqual({ type, stream, arrived: true, end: undefined });
    return find() as SseBlock;
  };

  /** The messages received are exactly the log's events after `start` (filtered), up to the last one received. */
  const expectLogAfter = async (client: SseClient, start: number, wanted: (event: RecordedEvent) => boolean = () => true) => {
    const messages = client.messages;
    const last = Number(messages[messages.length - 1].id);
    const expected = (await t.store.readAll({ after: start })).filter((event) => event.position <= last && wanted(event));
    expectMessagesOf(messages, expected);
  };

  it('given a stream open with follow (the default), when events are written, then each arrives in order; when the client leaves, the server closes the stream', async () => {
    await seed(t);
    const base = await listen(t);
    const streams = t.app.get(EventStreams);
    const start = await t.store.headPosition();
    const client = await openStream(base, '', await t.token('feed-reader', ['integration']));
    clients.push(client);
    expect(client.messages).toEqual([]);
    expect(streams.openCount).toBe(1);

    expectStatus(
      await t.post('/api/conversations', { id: 'live-1', channel: 'live_chat', queueId: 'support', customerId: 'cust-l1' }),
      201,
      'open',
    );
    const opened = await messageAbout(client, 'ConversationOpened', 'conversation-live-1');
    expect(Number(opened.id)).toBeGreaterThan(start);
    await expectLogAfter(client, start);

    expectStatus(await t.post('/api/conversations/live-1/pick', { agentId: 'bob' }), 200, 'pick');
    const picked = await messageAbout(client, 'ConversationPicked', 'conversation-live-1');
    expect(Number(picked.id)).toBeGreaterThan(Number(opened.id));
    await expectLogAfter(client, start);

    expectStatus(await t.post('/api/conversations/live-1/end', { by: 'customer' }), 200, 'end');
    const head = await t.store.headPosition();
    expect(await client.readUntil(() => client.messages.some((m) => Number(m.id) >= head))).toBe(true);
    await expectLogAfter(client, start);
    // Every event written since the stream opened, none before.
    expect(client.messages.map((m) => Number(m.id))).toEqual((await t.store.readAll({ after: start })).map((e) => e.position));

    client.abort.abort();
    expect(await eventually(() => streams.openCount === 0)).toBe(true);
  });

  it('given a live stream with streams=conversation-live-2, when other conversations and agents change, then only that conversation arrives', async () => {
    const base = await listen(t);
    const start = await t.store.headPosition();
    const client = await openStream(base, '?streams=conversation-live-2', await t.token('sup-1', ['supervisor']));
    clients.push(client);

    expectStatus(
      await t.post('/api/conversations', { id: 'live-3', channel: 'sms', queueId: 'support', customerId: 'cust-l3' }),
      201,
      'open 3',
    );
    expectStatus(
      await t.post('/api/conversations', { id: 'live-2', channel: 'sms', queueId: 'support', customerId: 'cust-l2' }),
      201,
      'open 2',
    );
    expectStatus(await t.post('/api/conversations/live-3/pick', { agentId: 'cat' }), 200, 'pick 3');
    expectStatus(await t.post('/api/conversations/live-2/pick', { agentId: 'cat' }), 200, 'pick 2');

    await messageAbout(client, 'ConversationPicked', 'conversation-live-2');
    await expectLogAfter(client, start, (event) => event.streamName === 'conversation-live-2');
    expect(client.messages.map((m) => m.event)).toEqual(['ConversationOpened', 'ConversationPicked']);
  });

  it('given a live stream resumed with Last-Event-ID over the socket, when events are written, then it catches up from there and goes on live', async () => {
    await seed(t);
    const base = await listen(t);
    const all = await t.store.readAll();
    const resumeAfter = all[1].position;
    const abort = new AbortController();
    const response = await fetch(`${base}/api/events`, {
      headers: { authorization: `Bearer ${await t.token('feed-reader', ['admin'])}`, 'last-event-id': String(resumeAfter) },
      signal: abort.signal,
    });
    expect(response.status).toBe(200);
    if (response.body === null) throw new Error('no body');
    const client = new SseClient(response.body.getReader(), abort);
    clients.push(client);
    expect(await client.readUntil(() => client.messages.length >= all.length - 2)).toBe(true);

    expectStatus(
      await t.post('/api/conversations', { id: 'live-4', channel: 'voice', queueId: 'support', customerId: 'cust-l4' }),
      201,
      'open',
    );
    await messageAbout(client, 'ConversationOpened', 'conversation-live-4');
    await expectLogAfter(client, resumeAfter);
  });
});

describe('GET /api/events roles', () => {
  it.each<Role>(['integration', 'supervisor', 'admin'])('given a token with the role %s, when read, then 200', async (role) => {
    await seed(t);
    const token = await t.token(`who-${role}`, [role]);
    const { blocks } = await readStream(t, '?after=0&follow=false', { authorization: `Bearer ${token}` });
    expect(messagesOf(blocks)).toHaveLength((await t.store.readAll()).length);
  });

  it.each<Role>(['agent', 'channel'])('given a token with only the role %s, when read, then 403 AUTH.FORBIDDEN', async (role) => {
    const token = await t.token(`who-${role}`, [role]);
    const answer = await t.request({
      method: 'GET',
      url: '/api/events?after=0&follow=false',
      headers: { authorization: `Bearer ${token}` },
    });
    expect(answer.statusCode).toBe(403);
    expect(answer.body).toMatchObject({ statusCode: 403, code: 'AUTH.FORBIDDEN' });
    expect(t.app.get(EventStreams).openCount).toBe(0);
  });

  it('given no token, when read, then 401', async () => {
    const answer = await t.request({ method: 'GET', url: '/api/events?after=0&follow=false', headers: { authorization: '' } });
    expect(answer.statusCode).toBe(401);
    expect(answer.body).toMatchObject({ statusCode: 401, code: expect.stringMatching(/^AUTH\./) });
    expect(t.app.get(EventStreams).openCount).toBe(0);
  });
});

describe('GET /api/events at shutdown', () => {
  it('given a live stream open over a socket, when the app closes, then the close completes and the client read ends', async () => {
    await seed(t);
    const base = await listen(t);
    const streams = t.app.get(EventStreams);
    const client = await openStream(base, '?after=0', await t.token('feed-reader', ['integration']));
    clients.push(client);
    const head = await t.store.headPosition();
    expect(await client.readUntil(() => client.messages.some((m) => Number(m.id) === head))).toBe(true);
    expect(streams.openCount).toBe(1);

    await t.close();

    expect(await client.readToEnd()).toBe(true);
    expect(client.end).toEqual({ done: true });
    expect(streams.openCount).toBe(0);
  });

  it('given a client that stopped reading with its buffer full, when the app closes, then the close does not wait for it', async () => {
    // About 10 MB of events: more than the socket buffers hold, so the server waits for room to write.
    const big = 'x'.repeat(100_000);
    for (let i = 0; i < 100; i += 1) {
      await t.store.appendToStream(
        `queue-big-${i}`,
        [{ id: randomUUID(), type: 'QueueNoted', data: { at: new Date().toISOString(), big } }],
        {
          expectedRevision: 'any',
        },
      );
    }
    const base = new URL(await listen(t));
    const streams = t.app.get(EventStreams);
    const token = await t.token('slow-reader', ['integration']);
    const socket = connect(Number(base.port), '127.0.0.1');
    await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
    socket.write(`GET /api/events?after=0 HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${token}\r\n\r\n`);
    socket.pause();
    expect(await eventually(() => streams.openCount === 1)).toBe(true);
    await sleep(200);

    const closed = await within(t.close(), 15_000);
    socket.destroy();
    expect(closed).not.toBe(TIMED_OUT);
    expect(streams.openCount).toBe(0);
  });
});
