import type { Worker } from 'node:worker_threads';
import { PROJECTOR } from '../apps/api/src/infrastructure/read-models.module';
import { WorkerProjector } from '../apps/api/src/infrastructure/projector-worker/worker-projector';
import { startApp, type TestApp } from './support/start-app';

/** Real time is unavoidable here (a thread dies and starts again), so waits are polled and bounded. */
const eventually = async <T>(probe: () => Promise<T>, accept: (value: T) => boolean, timeoutMs = 15_000): Promise<T> => {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (accept(value)) return value;
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms; last value: ${JSON.stringify(value)}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
};

describe('projector on its own thread (SQLite store)', () => {
  let app: TestApp;

  beforeEach(async () => {
    app = await startApp({ store: 'sqlite' });
  });

  afterEach(async () => {
    await app.close();
  });

  const open = async (id: string) => {
    const answer = await app.post('/api/conversations', { id, channel: 'sms', queueId: 'support', customerId: `cust-${id}` });
    expect(answer.statusCode).toBe(201);
    return answer.body.position as number;
  };

  it('runs the projections off the request thread and serves read-your-writes from its reports', async () => {
    expect(app.app.get(PROJECTOR)).toBeInstanceOf(WorkerProjector);
    const position = await open('t-1');
    const queue = await app.get(`/api/queues/support/work-items?minPosition=${position}`);
    expect(queue.statusCode).toBe(200);
    expect(queue.body.items.map((item: { conversationId: string }) => item.conversationId)).toEqual(['t-1']);
    const health = await app.get('/health');
    expect(health.body.checks.projections).toEqual([
      expect.objectContaining({ status: 'ok', position }),
      expect.objectContaining({ status: 'ok', position }),
      expect.objectContaining({ status: 'ok', position }),
      expect.objectContaining({ status: 'ok', position }),
      expect.objectContaining({ status: 'ok', position }),
    ]);
  });

  it('reports a projector thread that died as unhealthy, starts it again, and catches up', async () => {
    await open('t-1');
    const projector = app.app.get<WorkerProjector>(PROJECTOR);
    const thread = (projector as unknown as { worker: Worker }).worker;
    await thread.terminate();

    const unhealthy = await eventually(
      () => app.get('/health'),
      (answer) => answer.statusCode === 503,
    );
    expect(JSON.stringify(unhealthy.body.checks.projections)).toContain('projector thread exited');

    const position = await open('t-2');
    await eventually(
      () => app.get('/health'),
      (answer) => answer.statusCode === 200,
    );
    const queue = await app.get(`/api/queues/support/work-items?minPosition=${position}`);
    expect(queue.body.items.map((item: { conversationId: string }) => item.conversationId).sort()).toEqual(['t-1', 't-2']);
  });
});
