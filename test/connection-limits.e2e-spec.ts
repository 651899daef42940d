import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { connect } from 'node:net';
import { Readable } from 'node:stream';
import { InMemoryEventStore } from '@lib/event-store';
import { ManualClock } from '@lib/conversation-lifecycle';
import { createApp } from '../apps/api/src/app.factory';
import { loadConfig } from '@lib/platform';

/**
 * Slow and abusive clients, against a real listening socket (inject bypasses the server's
 * timeouts): nothing holds a connection longer than the configured bounds, and an oversized
 * body gets its 413 instead of a reset connection.
 */
const LIMITS = { REQUEST_TIMEOUT: '1500ms', HEADERS_TIMEOUT: '700ms', KEEP_ALIVE_TIMEOUT: '500ms', BODY_LIMIT_BYTES: '65536' };

interface RawOutcome {
  firstLine?: string;
  closedAfterMs: number;
}

/** Opens a socket, writes `start`, then `drip` every `everyMs` until the server answers or closes (bounded by `giveUpMs`). */
const rawClient = (port: number, start: string, drip: string | undefined, everyMs: number, giveUpMs: number): Promise<RawOutcome> =>
  new Promise((resolve) => {
    const began = Date.now();
    const socket = connect(port, '127.0.0.1');
    let firstLine: string | undefined;
    socket.write(start);
    const dripping = drip === undefined ? undefined : setInterval(() => socket.writable && socket.write(drip), everyMs);
    const giveUp = setTimeout(() => socket.destroy(), giveUpMs);
    socket.on('data', (chunk) => (firstLine ??= String(chunk).split('\r\n')[0]));
    socket.on('error', () => undefined);
    socket.on('close', () => {
      if (dripping) clearInterval(dripping);
      clearTimeout(giveUp);
      resolve({ firstLine, closedAfterMs: Date.now() - began });
    });
  });

describe('connection limits', () => {
  let app: NestFastifyApplication;
  let port: number;

  beforeAll(async () => {
    const config = loadConfig({ EVENT_STORE: 'memory', LOG_LEVEL: 'error', TIMERS: 'off', ROUTING: 'off', ...LIMITS });
    app = await createApp(config, { clock: new ManualClock('2026-03-02T09:00:00.000Z'), eventStore: new InMemoryEventStore() });
    await app.listen({ port: 0, host: '127.0.0.1' });
    const address = app.getHttpServer().address();
    port = typeof address === 'object' && address ? address.port : 0;
  });
  afterAll(async () => {
    await app.close();
  });

  it('a body trickled a byte at a time is answered 408 and closed once REQUEST_TIMEOUT runs out (50 such clients at once)', async () => {
    const head = 'POST /api/queues HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n';
    const outcomes = await Promise.all(Array.from({ length: 50 }, () => rawClient(port, head, 'a', 200, 10_000)));
    for (const outcome of outcomes) {
      expect(outcome.firstLine).toBe('HTTP/1.1 408 Request Timeout');
      // The limit, plus Node's checking interval and a margin for a loaded machine.
      expect(outcome.closedAfterMs).toBeLessThan(6_000);
    }
  });

  it('headers that never end are answered 408 after HEADERS_TIMEOUT', async () => {
    const outcome = await rawClient(port, 'GET /health HTTP/1.1\r\nHost: x\r\n', 'X-Slow: yes\r\n', 100, 10_000);
    expect(outcome.firstLine).toBe('HTTP/1.1 408 Request Timeout');
    expect(outcome.closedAfterMs).toBeLessThan(6_000);
  });

  it('an idle keep-alive connection is closed after KEEP_ALIVE_TIMEOUT', async () => {
    const outcome = await rawClient(port, 'GET /health HTTP/1.1\r\nHost: x\r\n\r\n', undefined, 0, 10_000);
    expect(outcome.firstLine).toBe('HTTP/1.1 200 OK');
    expect(outcome.closedAfterMs).toBeGreaterThanOrEqual(400);
    expect(outcome.closedAfterMs).toBeLessThan(6_000);
  });

  const oversized = JSON.stringify({ id: 'q'.repeat(2 * 1024 * 1024) });

  it('an oversized body with Content-Length: an ordinary client (fetch) reads the 413', async () => {
    const response = await fetch(`http://127.0.0.1:${port}/api/queues`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: oversized,
    });
    expect(response.status).toBe(413);
    expect(await response.json()).toMatchObject({ code: 'REQUEST.BODY_TOO_LARGE' });
  });

  it('an oversized body streamed without Content-Length (chunked): the client reads the 413, and the server keeps answering', async () => {
    const body = Buffer.from(oversized);
    const response = await fetch(`http://127.0.0.1:${port}/api/queues`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: Readable.toWeb(Readable.from([body.subarray(0, 100_000), body.subarray(100_000)])) as never,
      duplex: 'half',
    } as RequestInit);
    expect(response.status).toBe(413);
    expect((await fetch(`http://127.0.0.1:${port}/health`)).status).toBe(200);
  });
});
