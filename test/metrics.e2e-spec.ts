import { createServer } from 'node:net';
import type { ProjectorHost } from '@lib/read-models';
import { PROJECTOR } from '../apps/api/src/infrastructure/read-models.module';
import { startApp, type TestApp } from './support/start-app';

/** One sample of the Prometheus text format: name, labels, value. */
interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** Parses the text exposition format (comments skipped; label values unescaped). */
const parseExposition = (text: string): Sample[] => {
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)$/.exec(line);
    if (!match) throw new Error(`Not a sample line: ${line}`);
    const labels: Record<string, string> = {};
    for (const [, key, value] of (match[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) {
      labels[key] = value.replace(/\\(.)/g, (_all, c: string) => (c === 'n' ? '\n' : c));
    }
    samples.push({ name: match[1], labels, value: Number(match[3]) });
  }
  return samples;
};

describe('metrics', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startApp();
  });
  afterAll(() => t.close());

  const scrape = async () => {
    const answer = await t.request({ method: 'GET', url: '/metrics', headers: { authorization: '' } });
    expect(answer.statusCode).toBe(200);
    expect(answer.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
    return parseExposition(answer.body as unknown as string);
  };
  const value = (samples: Sample[], name: string, labels: Record<string, string> = {}) =>
    samples
      .filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))
      .reduce((sum, s) => sum + s.value, 0);

  it('is public, in the text format, with process metrics', async () => {
    const samples = await scrape();
    expect(value(samples, 'process_cpu_user_seconds_total')).toBeGreaterThan(0);
    expect(samples.some((s) => s.name === 'nodejs_eventloop_lag_seconds')).toBe(true);
  });

  it('counts exactly the commands sent, by type and outcome, and the HTTP answers by route pattern', async () => {
    const before = await scrape();
    const opened = value(before, 'commands_total', { family: 'conversation', type: 'OpenConversation', outcome: 'applied' });
    const picked = value(before, 'commands_total', { family: 'conversation', type: 'PickConversation', outcome: 'applied' });
    const refused = value(before, 'commands_total', {
      family: 'conversation',
      type: 'PickConversation',
      outcome: 'CONVERSATION.TRANSITION_NOT_ALLOWED',
    });
    const repeated = value(before, 'commands_total', { family: 'conversation', type: 'OpenConversation', outcome: 'repeated' });
    const routeCount = (samples: Sample[]) =>
      value(samples, 'http_request_duration_seconds_count', { method: 'POST', route: '/api/conversations/:id/pick' });
    const picksAnswered = routeCount(before);

    for (const id of ['m-1', 'm-2', 'm-3']) {
      const open = await t.post(
        '/api/conversations',
        { id, channel: 'live_chat', queueId: 'metrics-q', customerId: `cust-${id}` },
        { 'idempotency-key': `open-${id}` },
      );
      expect(open.statusCode).toBe(201);
    }
    const again = await t.post(
      '/api/conversations',
      { id: 'm-1', channel: 'live_chat', queueId: 'metrics-q', customerId: 'cust-m-1' },
      { 'idempotency-key': 'open-m-1' },
    );
    expect(again.statusCode).toBe(201);
    expect((await t.post('/api/conversations/m-1/pick', { agentId: 'metrics-agent-1' })).statusCode).toBe(200);
    expect((await t.post('/api/conversations/m-2/pick', { agentId: 'metrics-agent-2' })).statusCode).toBe(200);
    expect((await t.post('/api/conversations/m-1/pick', { agentId: 'metrics-agent-2' })).statusCode).toBe(409);

    const after = await scrape();
    expect(value(after, 'commands_total', { family: 'conversation', type: 'OpenConversation', outcome: 'applied' }) - opened).toBe(3);
    expect(value(after, 'commands_total', { family: 'conversation', type: 'OpenConversation', outcome: 'repeated' }) - repeated).toBe(1);
    expect(value(after, 'commands_total', { family: 'conversation', type: 'PickConversation', outcome: 'applied' }) - picked).toBe(2);
    expect(
      value(after, 'commands_total', { family: 'conversation', type: 'PickConversation', outcome: 'CONVERSATION.TRANSITION_NOT_ALLOWED' }) -
        refused,
    ).toBe(1);
    expect(routeCount(after) - picksAnswered).toBe(3);
    expect(
      value(after, 'http_request_duration_seconds_count', { route: '/api/conversations/:id/pick', status: '409' }),
    ).toBeGreaterThanOrEqual(1);
    // Each pick reserved capacity on an agent's stream: appends were timed.
    expect(value(after, 'event_store_append_duration_seconds_count', { outcome: 'ok' })).toBeGreaterThan(
      value(before, 'event_store_append_duration_seconds_count', { outcome: 'ok' }),
    );
    expect(value(after, 'commands_total', { family: 'agent', type: 'ReserveCapacity', outcome: 'applied' })).toBeGreaterThanOrEqual(2);
  });

  it('names no conversation, customer or agent in any label', async () => {
    const samples = await scrape();
    const labelValues = samples.flatMap((s) => Object.values(s.labels));
    for (const id of ['m-1', 'm-2', 'cust-m-1', 'metrics-agent-1', 'metrics-q']) expect(labelValues).not.toContain(id);
  });

  it('shows a paused view falling behind the log, and back at 0 once it catches up', async () => {
    const projector = t.app.get<ProjectorHost>(PROJECTOR);
    await projector.stop();
    try {
      for (const id of ['lag-1', 'lag-2']) {
        expect(
          (await t.post('/api/conversations', { id, channel: 'sms', queueId: 'metrics-q', customerId: `cust-${id}` })).statusCode,
        ).toBe(201);
      }
      t.clock.advance(90_000);
      const behind = await scrape();
      const head = value(behind, 'event_log_head_position');
      for (const view of ['conversation_views', 'audit_index', 'conversation_timers', 'agents_and_queues', 'live_kpis']) {
        expect(value(behind, 'view_lag_events', { view })).toBeGreaterThanOrEqual(2);
        expect(value(behind, 'view_lag_events', { view })).toBe(head - value(behind, 'view_position', { view }));
        expect(value(behind, 'view_lag_seconds', { view })).toBeGreaterThanOrEqual(90);
      }
    } finally {
      await projector.start();
    }
    const head = value(await scrape(), 'event_log_head_position');
    expect(await projector.waitForPosition(head, 10_000)).toBe(true);
    const caughtUp = await scrape();
    for (const view of ['conversation_views', 'audit_index', 'conversation_timers', 'agents_and_queues', 'live_kpis']) {
      expect(value(caughtUp, 'view_lag_events', { view })).toBe(0);
      expect(value(caughtUp, 'view_lag_seconds', { view })).toBe(0);
    }
  });
});

describe('metrics on a port of their own (METRICS_PORT)', () => {
  const freePort = () =>
    new Promise<number>((resolve, reject) => {
      const server = createServer();
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => {
        const address = server.address();
        server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
      });
    });

  it('serves /metrics there, and the main port answers 404 for it', async () => {
    const port = await freePort();
    const t = await startApp({ env: { METRICS_PORT: String(port), HOST: '127.0.0.1' } });
    try {
      const answer = await fetch(`http://127.0.0.1:${port}/metrics`);
      expect(answer.status).toBe(200);
      expect(answer.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
      expect(
        parseExposition(await answer.text()).some((s) => s.name === 'commands_total' || s.name === 'process_cpu_user_seconds_total'),
      ).toBe(true);
      expect((await fetch(`http://127.0.0.1:${port}/other`)).status).toBe(404);
      expect((await t.request({ method: 'GET', url: '/metrics', headers: { authorization: '' } })).statusCode).toBe(404);
    } finally {
      await t.close();
    }
    // Closed with the app.
    await expect(fetch(`http://127.0.0.1:${port}/metrics`)).rejects.toThrow();
  });
});
