import autocannon from 'autocannon';
import { fork, spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { issueToken, readSigningKey } from '@lib/platform';

/**
 * Webhook delivery, measured end to end: the service (its own process, SQLite store) delivers
 * one subscription (every conversation event) to a receiver in a third process on 127.0.0.1.
 *
 * 1. Throughput: BENCH_WEBHOOK_BACKLOG (5,000) events written while the subscription is
 *    paused, then resumed: deliveries per second until the receiver has them all.
 * 2. Lag at a steady rate: BENCH_WEBHOOK_RATE (500) events per second for BENCH_SECONDS (20),
 *    each a conversation opened over HTTP (ten connections at RATE/10 each); lag is from the event's time (taken by the service
 *    when it handled the command) to its arrival at the receiver. Same machine, same clock.
 */
const BACKLOG = Number(process.env.BENCH_WEBHOOK_BACKLOG ?? 5_000);
const RATE = Number(process.env.BENCH_WEBHOOK_RATE ?? 500);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 20);
const PORT = 3311;
const BASE = `http://127.0.0.1:${PORT}`;

const startService = (dataDir: string): Promise<ChildProcess> =>
  new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['-r', 'tsconfig-paths/register', 'dist/apps/api/src/main.js'], {
      env: {
        ...process.env,
        TS_NODE_BASEURL: './dist',
        PORT: String(PORT),
        HOST: '127.0.0.1',
        DATA_DIR: dataDir,
        LOG_LEVEL: 'log',
        SHUTDOWN_DRAIN: '0',
        RATE_LIMIT_PER_MINUTE: '1000000',
        WEBHOOK_ALLOW_PRIVATE_NETWORKS: 'on',
      },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const timer = setTimeout(() => reject(new Error('the service did not start in 30 s')), 30_000);
    child.stdout!.on('data', (chunk: Buffer) => {
      if (chunk.toString().includes('Listening')) {
        clearTimeout(timer);
        resolve(child);
      }
    });
    child.on('exit', (code) => reject(new Error(`the service exited with ${code}`)));
  });

type ReceiverMessage = { port?: number; count?: number; arrivals?: Array<[string, string, number]> };

/** The receiver in its own process (bench/webhook-receiver-process.ts), asked over IPC what arrived. */
const startReceiver = async () => {
  const child = fork('dist/bench/webhook-receiver-process.js', [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const ask = (question: 'count' | 'report', key: keyof ReceiverMessage) =>
    new Promise<ReceiverMessage>((resolve) => {
      const listen = (message: ReceiverMessage) => {
        if (message[key] === undefined) return;
        child.off('message', listen);
        resolve(message);
      };
      child.on('message', listen);
      child.send(question);
    });
  const port = await new Promise<number>((resolve) => child.once('message', (message: ReceiverMessage) => resolve(message.port as number)));
  return {
    port,
    count: async () => (await ask('count', 'count')).count as number,
    arrivals: async () => (await ask('report', 'arrivals')).arrivals as Array<[string, string, number]>,
    close: () =>
      new Promise<void>((resolve) => {
        child.once('exit', () => resolve());
        child.send('stop');
      }),
  };
};

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];

const waitUntil = async (condition: () => Promise<boolean>, timeoutMs: number, what: string) => {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`Waited ${timeoutMs} ms for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
};

const main = async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'cw-webhook-bench-'));
  const receiver = await startReceiver();
  let service: ChildProcess | undefined;
  try {
    service = await startService(dataDir);
    const key = await readSigningKey(dataDir);
    if (!key) throw new Error(`No signing key in ${dataDir}`);
    const admin = await issueToken(key, { sub: 'bench-admin', roles: ['admin'], ttlMs: 3_600_000 });
    const channel = await issueToken(key, { sub: 'bench-channel', roles: ['channel'], ttlMs: 3_600_000 });
    const call = async (method: string, path: string, body: unknown) => {
      const response = await fetch(`${BASE}${path}`, {
        method,
        headers: { 'content-type': 'application/json', authorization: `Bearer ${admin}` },
        body: JSON.stringify(body),
      });
      if (!response.ok) throw new Error(`${method} ${path} answered ${response.status}: ${await response.text()}`);
      return (await response.json()) as { id: string };
    };
    await call('POST', '/api/queues', { id: 'bench' });
    const hook = await call('POST', '/api/webhooks', {
      url: `http://127.0.0.1:${receiver.port}/hooks`,
      streams: ['conversation'],
      paused: true,
    });

    const openConversations = (options: Partial<autocannon.Options>) =>
      new Promise<autocannon.Result>((resolve, reject) =>
        autocannon(
          {
            url: BASE,
            connections: 20,
            ...options,
            requests: [
              {
                method: 'POST',
                path: '/api/conversations',
                headers: { 'content-type': 'application/json', authorization: `Bearer ${channel}` },
                setupRequest: (request) => {
                  const id = randomUUID();
                  return { ...request, body: JSON.stringify({ id, channel: 'persistent_chat', queueId: 'bench', customerId: `c-${id}` }) };
                },
              },
            ],
          },
          (error, result) => (error ? reject(error) : resolve(result)),
        ),
      );

    // 1. Throughput on a backlog.
    const backlog = await openConversations({ amount: BACKLOG });
    if (backlog.non2xx > 0 || backlog.errors > 0)
      throw new Error(`Writing the backlog failed: ${backlog.non2xx} non-2xx, ${backlog.errors} errors`);
    const resumedAt = Date.now();
    await call('POST', `/api/webhooks/${hook.id}/resume`, {});
    await waitUntil(async () => (await receiver.count()) >= BACKLOG, 300_000, `${BACKLOG} deliveries`);
    const drainSeconds = (Date.now() - resumedAt) / 1000;

    // 2. Lag at a steady rate: ten connections, each sending RATE/10 commands a second.
    const before = new Set((await receiver.arrivals()).map(([id]) => id));
    const paced = await openConversations({ connections: 10, duration: SECONDS, overallRate: RATE });
    const steady = {
      ok: paced['2xx'],
      failed: paced.non2xx + paced.errors + paced.timeouts,
      p50: paced.latency.p50,
      p99: paced.latency.p99,
    };
    const written = steady.ok;
    await waitUntil(async () => (await receiver.count()) >= before.size + written, 60_000, `the ${written} events of the steady run`);
    const lags = (await receiver.arrivals())
      .filter(([id]) => !before.has(id))
      .map(([, at, receivedAt]) => receivedAt - Date.parse(at))
      .sort((a, b) => a - b);

    console.log(`\nWebhook delivery, one subscription, receiver on 127.0.0.1 (${new Date().toISOString()})`);
    console.log('| measure | value |');
    console.log('|---|---|');
    console.log(
      `| backlog of ${BACKLOG.toLocaleString('en-US')} events drained | ${drainSeconds.toFixed(1)} s (${Math.round(BACKLOG / drainSeconds).toLocaleString('en-US')} deliveries/s) |`,
    );
    console.log(
      `| steady load | ${Math.round(written / SECONDS)} events/s for ${SECONDS} s (${written.toLocaleString('en-US')} events, ${steady.failed} failed) |`,
    );
    console.log(`| command latency (POST /api/conversations) p50 / p99 | ${steady.p50} / ${steady.p99} ms |`);
    console.log(`| delivery lag p50 / p99 / max | ${percentile(lags, 50)} / ${percentile(lags, 99)} / ${lags[lags.length - 1]} ms |`);
    console.log(`| delivered at least once | ${lags.length.toLocaleString('en-US')} of ${written.toLocaleString('en-US')} |`);
  } finally {
    if (service && service.exitCode === null) {
      const exited = new Promise((resolve) => service?.once('exit', resolve));
      service.kill('SIGTERM');
      await exited;
    }
    await receiver.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
};

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
