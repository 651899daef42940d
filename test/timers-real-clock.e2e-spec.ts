/**
 * The whole service as it is started in production (its own process, configuration from the
 * environment, the wall clock, SQLite with the projector thread), with timer durations set to a
 * second or two: proves the wiring from configuration to the scheduler's loop to the audit trail.
 * Waits poll with a generous deadline; nothing asserts how fast anything happened, only that the
 * recorded times respect each duration.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServiceProcess, type ServiceProcess } from './support/service-process';

interface HistoryLine {
  type: string;
  at: string;
  actor: { kind: string; id: string };
  reason: string;
}

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
  let service: ServiceProcess;
  let dataDir: string;

  const post = async (path: string, body: unknown) => {
    const answer = await service.post<{ status: string }>(path, body);
    if (answer.statusCode >= 300) throw new Error(`POST ${path} answered ${answer.statusCode}: ${answer.text}`);
    return answer.body;
  };
  const history = async (id: string): Promise<HistoryLine[]> =>
    (await service.get<{ events: HistoryLine[] }>(`/api/conversations/${id}/history`)).body.events;
  const eventOf = (id: string, type: string) =>
    eventually(async () => (await history(id)).find((line) => line.type === type), `${type} on ${id}`);
  const millisBetween = (from: HistoryLine, to: HistoryLine) => Date.parse(to.at) - Date.parse(from.at);

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'timers-real-clock-'));
    service = await startServiceProcess('timers', {
      DATA_DIR: dataDir,
      EVENT_STORE: 'sqlite',
      TIMERS: 'on',
      TIMER_POLL_INTERVAL: '100ms',
      AUTO_CLOSE_SWEEP_INTERVAL: '500ms',
      PUSH_RESERVATION_TIMEOUT: '1s',
      CUSTOMER_DISCONNECT_TIMEOUT: '1s',
      AUTO_CLOSE_LIVE_CHAT: 'open=2s',
    });
    await post('/api/queues', { id: 'support' });
    for (const id of ['agent-1', 'agent-2']) await post('/api/agents', { id, capacity: 5, queueIds: ['support'], presence: 'available' });
  }, 120_000);

  afterAll(async () => {
    await service?.stop();
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
