import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startApp, type TestApp } from './support/start-app';

/** Two instances over one data directory: one keeps the views, the other (PROJECTOR=off) only reads them. */
describe('an instance with PROJECTOR=off', () => {
  let dataDir: string;
  let projecting: TestApp;
  let apiOnly: TestApp;

  beforeEach(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'projector-off-'));
    projecting = await startApp({ store: 'sqlite', dataDir });
    apiOnly = await startApp({ store: 'sqlite', dataDir, env: { PROJECTOR: 'off' } });
  });

  afterEach(async () => {
    await apiOnly.close();
    await projecting.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('serves read-your-writes for its own commands from the views the other instance keeps', async () => {
    const opened = await apiOnly.post('/api/conversations', { id: 'off-1', channel: 'sms', queueId: 'support', customerId: 'c-1' });
    const picked = await apiOnly.post('/api/conversations/off-1/pick', { agentId: 'agent-1' });
    expect(picked.statusCode).toBe(200);
    const mine = await apiOnly.get(`/api/agents/agent-1/work-items?minPosition=${picked.body.position}`);
    expect(mine.statusCode).toBe(200);
    expect(mine.body.items).toEqual([expect.objectContaining({ conversationId: 'off-1', status: 'active' })]);
    expect(opened.body.position).toBeLessThan(picked.body.position);
  });

  it('reports the stored checkpoints in its health', async () => {
    const opened = await apiOnly.post('/api/conversations', { id: 'off-2', channel: 'sms', queueId: 'support', customerId: 'c-2' });
    await apiOnly.get(`/api/queues?minPosition=${opened.body.position}`);
    const health = await apiOnly.get('/health');
    expect(health.statusCode).toBe(200);
    expect(health.body.checks.projections).toEqual([
      expect.objectContaining({ name: 'conversation_views', status: 'ok', position: opened.body.position }),
      expect.objectContaining({ name: 'audit_index', status: 'ok', position: opened.body.position }),
      expect.objectContaining({ name: 'conversation_timers', status: 'ok', position: opened.body.position }),
      expect.objectContaining({ name: 'agents_and_queues', status: 'ok', position: opened.body.position }),
      expect.objectContaining({ name: 'live_kpis', status: 'ok', position: opened.body.position }),
    ]);
  });

  it('answers 503 when no instance keeps the views up to the asked position', async () => {
    await projecting.close();
    const opened = await apiOnly.post('/api/conversations', { id: 'off-3', channel: 'sms', queueId: 'support', customerId: 'c-3' });
    const answer = await apiOnly.get(`/api/queues?minPosition=${opened.body.position}`);
    expect(answer.statusCode).toBe(503);
    expect(answer.body).toMatchObject({ code: 'READ_MODEL.BEHIND', minPosition: opened.body.position });
    projecting = await startApp({ store: 'sqlite', dataDir });
  });
});
