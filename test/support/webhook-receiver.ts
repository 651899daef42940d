/**
 * A webhook receiver on 127.0.0.1 for tests: records every request it gets (headers, body, when
 * it arrived and when it was answered) and answers as the test scripts it, request by request.
 * Signatures are checked with the Standard Webhooks reference library (`standardwebhooks`), not
 * with the service's own code.
 */
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { Webhook } from 'standardwebhooks';

export interface ReceivedRequest {
  /** 1, 2, 3… in arrival order. */
  seq: number;
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
  receivedAt: number;
  answeredAt?: number;
  /** What the script answered: a status, or `hang` / `close`. */
  answer: number | 'hang' | 'close';
}

/**
 * How to answer one request:
 * - a status (with optional headers and body);
 * - `hang`: never answer (the sender's timeout ends it);
 * - `close`: destroy the connection without an answer.
 */
export type ReceiverAnswer =
  { status: number; headers?: Record<string, string>; body?: string; delayMs?: number } | { hang: true } | { close: true };

/** Chooses the answer to the nth request (from 1). Default: 200. */
export type ReceiverScript = (request: Omit<ReceivedRequest, 'answer'>) => ReceiverAnswer;

export interface WebhookReceiver {
  readonly url: string;
  readonly port: number;
  readonly requests: ReceivedRequest[];
  /** Replaces how it answers from the next request on. */
  script(next: ReceiverScript): void;
  /** The parsed JSON bodies of the requests answered 2xx, in arrival order. */
  delivered<T = Record<string, unknown>>(): T[];
  /** Most requests in flight at once (answered or not yet), over the receiver's life. */
  maxInFlight(): number;
  /** Resolves once `predicate` holds of the requests, or rejects after `timeoutMs` with what arrived. */
  waitFor(predicate: (requests: ReceivedRequest[]) => boolean, timeoutMs?: number, what?: string): Promise<void>;
  close(): Promise<void>;
}

export const ALWAYS_OK: ReceiverScript = () => ({ status: 200 });

export async function startWebhookReceiver(script: ReceiverScript = ALWAYS_OK, path = '/hooks'): Promise<WebhookReceiver> {
  let current = script;
  const requests: ReceivedRequest[] = [];
  const sockets = new Set<Socket>();
  const hanging = new Set<ServerResponse>();
  let inFlight = 0;
  let maxInFlight = 0;

  const handle = (request: IncomingMessage, response: ServerResponse) => {
    const chunks: Buffer[] = [];
    inFlight += 1;
    maxInFlight = Math.max(maxInFlight, inFlight);
    let counted = true;
    const done = () => {
      if (counted) inFlight -= 1;
      counted = false;
    };
    response.once('close', done);
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const base = {
        seq: requests.length + 1,
        path: request.url ?? '',
        headers: request.headers,
        body: Buffer.concat(chunks).toString('utf8'),
        receivedAt: Date.now(),
      };
      const answer = current(base);
      const recorded: ReceivedRequest = { ...base, answer: 'hang' in answer ? 'hang' : 'close' in answer ? 'close' : answer.status };
      requests.push(recorded);
      if ('hang' in answer) {
        hanging.add(response);
        return;
      }
      if ('close' in answer) {
        recorded.answeredAt = Date.now();
        done();
        request.socket.destroy();
        return;
      }
      const reply = () => {
        recorded.answeredAt = Date.now();
        done();
        response.writeHead(answer.status, { 'content-type': 'text/plain', ...answer.headers });
        response.end(answer.body ?? '');
      };
      if (answer.delayMs) setTimeout(reply, answer.delayMs);
      else reply();
    });
  };

  const server: Server = createServer(handle);
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;

  return {
    url: `http://127.0.0.1:${port}${path}`,
    port,
    requests,
    script: (next) => {
      current = next;
    },
    delivered: <T>() =>
      requests.filter((r) => typeof r.answer === 'number' && r.answer >= 200 && r.answer < 300).map((r) => JSON.parse(r.body) as T),
    maxInFlight: () => maxInFlight,
    waitFor: async (predicate, timeoutMs = 15_000, what = 'the expected requests') => {
      const deadline = Date.now() + timeoutMs;
      while (!predicate(requests)) {
        if (Date.now() > deadline) {
          const seen = requests.map((r) => `#${r.seq} ${r.answer} ${r.headers['webhook-id']}`).join(', ');
          throw new Error(`Receiver waited ${timeoutMs} ms for ${what}; got ${requests.length} requests: ${seen}`);
        }
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    },
    close: async () => {
      for (const response of hanging) response.destroy();
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/**
 * Verifies a request with the Standard Webhooks reference library and every secret given; returns
 * the secrets it verifies with (throws if none). A request signed with two secrets (a rotation)
 * verifies with each.
 */
export function verifiedWith(request: Pick<ReceivedRequest, 'headers' | 'body'>, secrets: readonly string[]): string[] {
  const headers = {
    'webhook-id': String(request.headers['webhook-id']),
    'webhook-timestamp': String(request.headers['webhook-timestamp']),
    'webhook-signature': String(request.headers['webhook-signature']),
  };
  const passing = secrets.filter((secret) => {
    try {
      new Webhook(secret).verify(request.body, headers);
      return true;
    } catch {
      return false;
    }
  });
  if (passing.length === 0) throw new Error(`Request ${headers['webhook-id']} verifies with none of the ${secrets.length} secrets given`);
  return passing;
}
