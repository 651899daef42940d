/**
 * GET /api/changes, the desk's live updates, over a real socket: each principal receives one
 * `change` per event it may see, as it is written, and nothing else: an agent its own agent
 * stream and the conversations that concern it (held, held before, consulted, or open in a
 * queue it serves: judged before and after each event, also for a conversation opened before
 * the stream started), a supervisor everything. Notices carry no content. Resuming with
 * Last-Event-ID sends what followed. Every wait is bounded.
 */
import type { AddressInfo } from 'node:net';
import { createParser, type EventSourceMessage } from 'eventsource-parser';
import { startApp, type TestApp } from './support/start-app';
import { Floor } from './support/work-distribution';

const WAIT_MS = 10_000;

/** A live stream read over fetch, parsed by eventsource-parser. */
class ChangeStream {
  readonly messages: EventSourceMessage[] = [];
  private readonly abort = new AbortController();
  private reading?: Promise<void>;

  constructor(
    private readonly url: string,
    private readonly headers: Record<string, string>,
  ) {}

  async open(): Promise<number> {
    const response = await fetch(this.url, { headers: this.headers, signal: this.abort.signal });
    if (response.status !== 200 || response.body === null) return response.status;
    const parser = createParser({ onEvent: (message) => this.messages.push(message) });
    const reader = response.body.getReader();
    const decoder = new TextDecoder();
    this.reading = (async () => {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) return;
        parser.feed(decoder.decode(value, { stream: true }));
      }
    })().catch(() => undefined);
    return 200;
  }

  get notices(): Array<Record<string, unknown>> {
    return this.messages
      .filter((message) => message.event === 'change')
      .map((message) => JSON.parse(message.data) as Record<string, unknown>);
  }

  /** Waits until a notice at or after `position` arrived (or the deadline). */
  async until(position: number): Promise<void> {
    const deadline = Date.now() + WAIT_MS;
    while (!this.notices.some((notice) => Number(notice.position) >= position) && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  async close(): Promise<void> {
    this.abort.abort();
    await this.reading;
  }
}

let t: TestApp;
let f: Floor;
let base: string;
const streams: ChangeStream[] = [];

const open = async (sub: string, roles: Array<'agent' | 'supervisor'>, query = '', headers: Record<string, string> = {}) => {
  const stream = new ChangeStream(`${base}/api/changes${query}`, { authorization: `Bearer ${await t.token(sub, roles)}`, ...headers });
  streams.push(stream);
  expect(await stream.open()).toBe(200);
  return stream;
};

beforeAll(async () => {
  t = await startApp({ provision: 'none', env: { ROUTING: 'off' } });
  f = new Floor(t);
  await f.queue('support');
  await f.queue('billing');
  await f.agent('ann', 3, ['support']);
  await f.agent('bob', 3, ['billing']);
  await t.app.listen(0, '127.0.0.1');
  base = `http://127.0.0.1:${(t.app.getHttpServer().address() as AddressInfo).port}`;
});
afterAll(async () => {
  await Promise.all(streams.map((stream) => stream.close()));
  await t.close();
});

describe('GET /api/changes', () => {
  it('an agent is told of what concerns it, a supervisor of everything; notices carry no content', async () => {
    await f.open('old-1', 'support');
    const start = await f.head();
    const ann = await open('ann', ['agent'], `?after=${start}`);
    const bob = await open('bob', ['agent'], `?after=${start}`);
    const sup = await open('sup-1', ['supervisor'], `?after=${start}`);

    const c1 = await f.open('c1', 'support');
    const c2 = await f.open('c2', 'billing');
    const picked = await f.pick('old-1', 'ann');
    await f.pick('c2', 'bob');
    const closed = await f.forceClose('c1');
    // ann sends old-1 to billing: it stops concerning her only after this change, and starts concerning bob.
    const transferred = await f.command('old-1', 'transfer', { agentId: 'ann', toQueueId: 'billing' });
    const head = await f.head();
    await Promise.all([ann.until(transferred.position), bob.until(transferred.position), sup.until(head)]);

    const about = (stream: ChangeStream) =>
      stream.notices.map((notice) => `${String(notice.conversationId ?? `agent ${String(notice.agentId)}`)} ${String(notice.type)}`);
    expect(about(ann)).toEqual(
      expect.arrayContaining([
        'c1 ConversationOpened',
        'old-1 ConversationPicked',
        'c1 ConversationForceClosed',
        'old-1 ConversationTransferredToQueue',
      ]),
    );
    expect(about(ann).some((line) => line.startsWith('c2 '))).toBe(false);
    expect(
      ann.notices.every((notice) => notice.agentId === undefined || notice.agentId === 'ann' || notice.conversationId !== undefined),
    ).toBe(true);
    expect(ann.notices.some((notice) => notice.conversationId === undefined && notice.agentId === 'bob')).toBe(false);

    expect(about(bob)).toEqual(
      expect.arrayContaining(['c2 ConversationOpened', 'c2 ConversationPicked', 'old-1 ConversationTransferredToQueue']),
    );
    expect(about(bob).some((line) => line.startsWith('c1 ') || line === 'old-1 ConversationPicked')).toBe(false);

    // The supervisor: every event written since the start, in log order.
    const positions = sup.notices.map((notice) => Number(notice.position));
    expect(positions).toEqual([...positions].sort((a, b) => a - b));
    expect(positions).toEqual(expect.arrayContaining([c1.position, c2.position, picked.position, closed.position, transferred.position]));
    expect(positions.at(-1)).toBe(head);

    for (const notice of [...ann.notices, ...bob.notices, ...sup.notices]) {
      expect(Object.keys(notice).every((key) => ['position', 'type', 'at', 'conversationId', 'agentId', 'queueId'].includes(key))).toBe(
        true,
      );
    }
    // First, where the stream starts: the desk reads its lists up to there, so nothing falls in between.
    expect(ann.messages[0]).toMatchObject({ event: 'ready', id: String(start), data: JSON.stringify({ position: start }) });
    const message = ann.messages.find((m) => m.event === 'change');
    expect(message?.id).toBe(String(ann.notices[0].position));
  });

  it('resumes after Last-Event-ID with what followed, for the same principal', async () => {
    const start = await f.head();
    await f.open('r1', 'support');
    const second = await f.open('r2', 'support');
    const first = await open('ann', ['agent'], `?after=${start}`);
    await first.until(second.position);
    const firstId = first.messages.find((m) => m.event === 'change')?.id as string;
    const resumed = await open('ann', ['agent'], '', { 'last-event-id': firstId });
    await resumed.until(second.position);
    expect(resumed.notices.map((notice) => notice.conversationId)).toEqual(['r2']);
  });

  it('a channel or admin token is refused; a bad Last-Event-ID is a 400 naming it', async () => {
    const refused = await t.get('/api/changes', { authorization: `Bearer ${await t.token('web-chat', ['channel'])}` });
    expect(refused.statusCode).toBe(403);
    const bad = await t.get('/api/changes', { authorization: `Bearer ${await t.token('ann', ['agent'])}`, 'last-event-id': 'x' });
    expect(bad.statusCode).toBe(400);
    expect(JSON.stringify(bad.body)).toContain('Last-Event-ID');
  });
});
