/**
 * The whole service as it is started in production (its own process, configuration from the
 * environment, the wall clock, SQLite with the projector thread), with timer durations set to a
 * second or two: proves the wiring from configuration to the scheduler's loop to the audit trail.
 * Waits poll with a generous deadline; nothing asserts how fast anything happened, only that the
 * recorded times respect each duration.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const ROOT = join(__dirname, '..');
const LOADER = join(ROOT, 'apps/api/src/infrastructure/projector-worker/register-typescript.js');

interface HistoryLine {
  type: string;
  at: string;
  actor: { kind: string; id: string };
  reason: string;
}

const freePort = () =>
  new Promise<number>((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });

const eventually = async <T>(probe: () => Promise<T | undefined>, description: string, timeoutMs = 30_000): Promise<T> => {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = await probe().catch(() => undefined);
    if (found !== undefined) return found;
    if (Date.now() > deadline) throw new Error(`Timed out after ${timeoutMs} ms waiting for ${description}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
};

describe('timers on the real clock, in the service process', () => {
  let service: ChildProcess;
  let dataDir: string;
  let base: string;
  let output = '';

  const post = async (path: string, body: unknown) => {
    const response = await fetch(`${base}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    if (!response.ok) throw new Error(`POST ${path} answered ${response.status}: ${await response.text()}`);
    return response.json() as Promise<{ status: string }>;
  };
  const history = async (id: string): Promise<HistoryLine[]> => {
    const response = await fetch(`${base}/api/conversations/${id}/history`);
    return ((await response.json()) as { events: HistoryLine[] }).events;
  };
  const eventOf = (id: string, type: string) =>
    eventually(async () => (await history(id)).find((line) => line.type === type), `${type} on ${id}`);
  const millisBetween = (from: HistoryLine, to: HistoryLine) => Date.parse(to.at) - Date.parse(from.at);

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'timers-real-clock-'));
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    service = spawn(process.execPath, ['-r', LOADER, join(ROOT, 'apps/api/src/main.ts')], {
      cwd: ROOT,
      env: {
        ...process.env,
        PORT: String(port),
        HOST: '127.0.0.1',
        DATA_DIR: dataDir,
        EVENT_STORE: 'sqlite',
        LOG_LEVEL: 'warn',
        TIMERS: 'on',
        TIMER_POLL_INTERVAL: '100ms',
        AUTO_CLOSE_SWEEP_INTERVAL: '500ms',
        PUSH_RESERVATION_TIMEOUT: '1s',
        CUSTOMER_DISCONNECT_TIMEOUT: '1s',
        AUTO_CLOSE_LIVE_CHAT: 'open=2s',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    service.stdout?.on('data', (chunk) => (output += String(chunk)));
    service.stderr?.on('data', (chunk) => (output += String(chunk)));
    await eventually(async () => {
      if (service.exitCode !== null) throw new Error(`the service exited (${service.exitCode}): ${output}`);
      const response = await fetch(`${base}/health`);
      return response.ok ? true : undefined;
    }, 'the service to answer /health', 90_000).catch((error: Error) => {
      throw new Error(`${error.message}\n${output}`);
    });
    await post('/api/queues', { id: 'support' });
    for (const id of ['agent-1', 'agent-2']) await post('/api/agents', { id, capacity: 5, queueIds: ['support'], presence: 'available' });
  }, 120_000);

  afterAll(async () => {
    if (service && service.exitCode === null) {
      const exited = new Promise((resolve) => service.once('exit', resolve));
      service.kill('SIGTERM');
      await exited;
    }
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('an unaccepted push goes back to the queue once the reservation timeout has passed', async () => {
    await post('/api/conversations', { id: 'rc-push', channel: 'live_chat', queueId: 'support', customerId: 'cust-1' });
    await post('/api/conversations/rc-push/assign', { agentId: 'agent-1' });
    const expired = await eventOf('rc-push', 'ConversationPushReservationExpired');
    const pushed = (await history('rc-push')).find((line) => line.type === 'ConversationPushedToAgent') as HistoryLine;
    expect(expired.actor).toEqual({ kind: 'system', id: 'push-reservation-timer' });
    expect(millisBetween(pushed, expired)).toBeGreaterThanOrEqual(1000);
  }, 60_000);

  it('a live chat whose customer left goes to wrap-up once the disconnect timeout has passed', async () => {
    // Picked: a live chat never auto-closes while active, so only the disconnect timer can move it.
    await post('/api/conversations', { id: 'rc-gone', channel: 'live_chat', queueId: 'support', customerId: 'cust-2' });
    await post('/api/conversations/rc-gone/pick', { agentId: 'agent-2' });
    await post('/api/conversations/rc-gone/customer-disconnect', {});
    const ended = await eventOf('rc-gone', 'ConversationEndedByCustomer');
    const left = (await history('rc-gone')).find((line) => line.type === 'CustomerDisconnected') as HistoryLine;
    expect(ended.actor).toEqual({ kind: 'system', id: 'customer-disconnect-timer' });
    expect(millisBetween(left, ended)).toBeGreaterThanOrEqual(1000);
  }, 60_000);

  it('a live chat nobody takes is auto-closed by the sweep once open for the configured 2 seconds', async () => {
    await post('/api/conversations', { id: 'rc-idle', channel: 'live_chat', queueId: 'support', customerId: 'cust-3' });
    const closed = await eventOf('rc-idle', 'ConversationAutoClosed');
    const opened = (await history('rc-idle'))[0];
    expect(closed).toMatchObject({ actor: { kind: 'system', id: 'auto-close' }, reason: 'auto_close_after_open_2000ms' });
    expect(millisBetween(opened, closed)).toBeGreaterThanOrEqual(2000);
  }, 60_000);
});
