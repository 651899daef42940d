import type * as dns from 'node:dns';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { HttpWebhookSender, parseRetryAfter } from './webhook-sender';
import type { WebhookRequest } from './webhook-sender.types';

interface Received {
  path: string;
  headers: http.IncomingHttpHeaders;
  body: string;
}

const HUGE_BODY_BYTES = 10 * 1024 * 1024;

/** One local receiver whose path picks its behaviour; it records every request that reaches it. */
function receiverHandler(received: Received[]): http.RequestListener {
  return (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const path = req.url ?? '';
      received.push({ path, headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
      switch (path) {
        case '/ok':
          return res.writeHead(200, { 'content-type': 'text/plain' }).end('thanks');
        case '/error':
          return res.writeHead(500).end('boom');
        case '/busy-seconds':
          return res.writeHead(429, { 'retry-after': '3' }).end();
        case '/busy-date':
          return res.writeHead(429, { 'retry-after': new Date(Date.now() + 120_000).toUTCString() }).end();
        case '/unavailable':
          return res.writeHead(503, { 'retry-after': '7' }).end();
        case '/error-with-retry-after':
          return res.writeHead(500, { 'retry-after': '7' }).end();
        case '/gone':
          return res.writeHead(410).end('unsubscribed');
        case '/redirect':
          return res.writeHead(302, { location: '/redirect-target' }).end();
        case '/hang':
          return; // never answers
        case '/destroy':
          return req.socket.destroy();
        case '/huge':
          return res.writeHead(200).end(Buffer.alloc(HUGE_BODY_BYTES, 'x'));
        default:
          return res.writeHead(200).end();
      }
    });
  };
}

function listen(server: http.Server): Promise<number> {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)));
}

function stop(server: http.Server): Promise<void> {
  server.closeAllConnections();
  return new Promise((resolve) => server.close(() => resolve()));
}

/** A port that was free a moment ago: nothing listens on it. */
async function closedPort(): Promise<number> {
  const server = http.createServer();
  const port = await listen(server);
  await stop(server);
  return port;
}

function webhook(url: string, overrides: Partial<WebhookRequest> = {}): WebhookRequest {
  return {
    url,
    body: JSON.stringify({ type: 'conversation.closed', data: { id: 'c-1', note: 'déjà vu' } }),
    headers: {
      'content-type': 'application/json',
      'webhook-id': 'msg_1',
      'webhook-timestamp': '1700000000',
      'webhook-signature': 'v1,c2lnbmF0dXJl',
    },
    timeoutMs: 2000,
    ...overrides,
  };
}

describe('HttpWebhookSender', () => {
  const received: Received[] = [];
  const server = http.createServer(receiverHandler(received));
  let base: string;
  let port: number;
  let sender: HttpWebhookSender;

  beforeAll(async () => {
    port = await listen(server);
    base = `http://127.0.0.1:${port}`;
  });
  afterAll(() => stop(server));

  beforeEach(() => {
    received.length = 0;
  });
  afterEach(() => sender.close());

  describe('with private networks allowed', () => {
    beforeEach(() => {
      sender = new HttpWebhookSender({ allowPrivateNetworks: true, userAgent: 'event-feed-test/1' });
    });

    it('delivers on a 2xx, sending the exact body and headers', async () => {
      const request = webhook(`${base}/ok`);
      const outcome = await sender.send(request);
      expect(outcome).toMatchObject({ kind: 'delivered', statusCode: 200, responseBody: 'thanks' });
      expect(outcome.durationMs).toBeGreaterThanOrEqual(0);
      expect(received).toHaveLength(1);
      expect(received[0].body).toBe(request.body);
      expect(received[0].headers).toMatchObject({
        ...request.headers,
        'user-agent': 'event-feed-test/1',
        'content-length': String(Buffer.byteLength(request.body)),
      });
      expect(received[0].headers['transfer-encoding']).toBeUndefined();
    });

    it('keeps a user-agent the request brings', async () => {
      await sender.send(webhook(`${base}/ok`, { headers: { 'User-Agent': 'tenant-agent' } }));
      expect(received[0].headers['user-agent']).toBe('tenant-agent');
    });

    it('reuses the kept-alive connection for the next delivery', async () => {
      let connections = 0;
      const count = () => connections++;
      server.on('connection', count);
      try {
        expect((await sender.send(webhook(`${base}/ok`))).kind).toBe('delivered');
        expect((await sender.send(webhook(`${base}/ok`))).kind).toBe('delivered');
      } finally {
        server.off('connection', count);
      }
      expect(connections).toBe(1);
    });

    it('rejects a 500', async () => {
      expect(await sender.send(webhook(`${base}/error`))).toMatchObject({ kind: 'rejected', statusCode: 500, responseBody: 'boom' });
    });

    it('reads Retry-After seconds on a 429', async () => {
      expect(await sender.send(webhook(`${base}/busy-seconds`))).toMatchObject({ kind: 'rejected', statusCode: 429, retryAfterMs: 3000 });
    });

    it('reads a Retry-After HTTP date on a 429', async () => {
      const outcome = await sender.send(webhook(`${base}/busy-date`));
      expect(outcome).toMatchObject({ kind: 'rejected', statusCode: 429 });
      // Two minutes ahead at one-second precision, however long the exchange took.
      const retryAfterMs = outcome.kind === 'rejected' ? outcome.retryAfterMs : undefined;
      expect(retryAfterMs).toBeGreaterThan(60_000);
      expect(retryAfterMs).toBeLessThanOrEqual(120_000);
    });

    it('reads Retry-After on a 503 but not on a 500', async () => {
      expect(await sender.send(webhook(`${base}/unavailable`))).toMatchObject({ kind: 'rejected', statusCode: 503, retryAfterMs: 7000 });
      const outcome = await sender.send(webhook(`${base}/error-with-retry-after`));
      expect(outcome).toMatchObject({ kind: 'rejected', statusCode: 500 });
      expect(outcome).not.toHaveProperty('retryAfterMs');
    });

    it('reports a 410 as gone', async () => {
      expect(await sender.send(webhook(`${base}/gone`))).toMatchObject({ kind: 'gone', statusCode: 410 });
    });

    it('does not follow a redirect', async () => {
      expect(await sender.send(webhook(`${base}/redirect`))).toMatchObject({ kind: 'rejected', statusCode: 302 });
      expect(received.map((r) => r.path)).toEqual(['/redirect']);
    });

    it('times out on a receiver that never answers', async () => {
      const outcome = await sender.send(webhook(`${base}/hang`, { timeoutMs: 300 }));
      expect(outcome.kind).toBe('timeout');
    });

    it('ends the request when the caller aborts', async () => {
      const controller = new AbortController();
      const pending = sender.send(webhook(`${base}/hang`, { timeoutMs: 5000 }), controller.signal);
      setTimeout(() => controller.abort(), 50);
      expect(await pending).toMatchObject({ kind: 'network', error: 'aborted' });
    });

    it('sends nothing when the signal is already aborted', async () => {
      expect(await sender.send(webhook(`${base}/ok`), AbortSignal.abort())).toMatchObject({ kind: 'network', error: 'aborted' });
      expect(received).toHaveLength(0);
    });

    it('reports a connection closed before an answer as network', async () => {
      expect((await sender.send(webhook(`${base}/destroy`))).kind).toBe('network');
    });

    it('reports a refused connection as network', async () => {
      const outcome = await sender.send(webhook(`http://127.0.0.1:${await closedPort()}/`));
      expect(outcome).toMatchObject({ kind: 'network', error: expect.stringContaining('ECONNREFUSED') });
    });

    it('reports a TLS failure as network', async () => {
      // A plain-HTTP receiver cannot complete a TLS handshake.
      expect((await sender.send(webhook(`https://127.0.0.1:${port}/ok`))).kind).toBe('network');
    });

    it('reads no more than maxResponseBytes of a huge answer', async () => {
      const small = new HttpWebhookSender({ allowPrivateNetworks: true, maxResponseBytes: 1000 });
      try {
        const outcome = await small.send(webhook(`${base}/huge`));
        expect(outcome).toMatchObject({ kind: 'delivered', statusCode: 200 });
        const body = outcome.kind === 'delivered' ? outcome.responseBody : '';
        expect(body.length).toBeGreaterThan(0);
        expect(body.length).toBeLessThanOrEqual(1000);
      } finally {
        small.close();
      }
    });

    it('reads no more than the default 4096 bytes of a huge answer', async () => {
      const outcome = await sender.send(webhook(`${base}/huge`));
      expect(outcome.kind === 'delivered' && outcome.responseBody.length).toBeLessThanOrEqual(4096);
    });

    it('resolves a host name through the injected lookup, as net asks for it', async () => {
      const asked: dns.LookupOptions[] = [];
      const lookup = ((_hostname: string, options: dns.LookupAllOptions, callback: (err: null, addresses: dns.LookupAddress[]) => void) => {
        asked.push(options);
        callback(null, [{ address: '127.0.0.1', family: 4 }]);
      }) as unknown as typeof dns.lookup;
      const named = new HttpWebhookSender({ allowPrivateNetworks: true, lookup });
      try {
        expect(await named.send(webhook(`http://receiver.test:${port}/ok`))).toMatchObject({ kind: 'delivered' });
        expect(asked).toHaveLength(1);
        expect(received[0].headers.host).toBe(`receiver.test:${port}`);
      } finally {
        named.close();
      }
    });
  });

  describe('with private networks refused', () => {
    beforeEach(() => {
      sender = new HttpWebhookSender({ allowPrivateNetworks: false });
    });

    it('blocks an IP-literal loopback receiver without sending anything', async () => {
      const outcome = await sender.send(webhook(`${base}/ok`));
      expect(outcome).toMatchObject({ kind: 'blocked', error: expect.stringContaining('WEBHOOK_ALLOW_PRIVATE_NETWORKS=on') });
      expect(received).toHaveLength(0);
    });

    it('blocks localhost, resolved by the socket, without sending anything', async () => {
      const outcome = await sender.send(webhook(`http://localhost:${port}/ok`));
      expect(outcome).toMatchObject({ kind: 'blocked', error: expect.stringContaining('localhost') });
      expect(received).toHaveLength(0);
    });

    it('blocks a name that resolves to a public and a private address', async () => {
      const lookup = ((_hostname: string, _options: dns.LookupAllOptions, callback: (err: null, addresses: dns.LookupAddress[]) => void) =>
        callback(null, [
          { address: '8.8.8.8', family: 4 },
          { address: '127.0.0.1', family: 4 },
        ])) as unknown as typeof dns.lookup;
      const named = new HttpWebhookSender({ allowPrivateNetworks: false, lookup });
      try {
        expect(await named.send(webhook(`http://rebind.test:${port}/ok`))).toMatchObject({ kind: 'blocked' });
        expect(received).toHaveLength(0);
      } finally {
        named.close();
      }
    });

    it.each(['ftp://example.com/hook', 'file:///etc/passwd', 'not a url'])('blocks %s', async (url) => {
      expect((await sender.send(webhook(url))).kind).toBe('blocked');
    });
  });
});

describe('parseRetryAfter', () => {
  const now = Date.parse('2025-01-01T00:00:00Z');

  it.each([
    ['3', 3000],
    ['0', 0],
    [' 120 ', 120_000],
    ['Wed, 01 Jan 2025 00:00:30 GMT', 30_000],
  ])('reads %j as %d ms', (value, expected) => {
    expect(parseRetryAfter(value, now)).toBe(expected);
  });

  it.each([undefined, '', '-1', '1.5', 'soon', 'Tue, 31 Dec 2024 23:59:00 GMT', '99999999999999999999'])('ignores %j', (value) => {
    expect(parseRetryAfter(value, now)).toBeUndefined();
  });
});
