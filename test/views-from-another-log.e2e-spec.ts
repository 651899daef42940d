import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startApp } from './support/start-app';

describe('views built from another event log', () => {
  it('are reported unhealthy and never served as current, until rebuilt', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'another-log-'));
    try {
      const before = await startApp({ store: 'sqlite', dataDir });
      let last = 0;
      for (const id of ['x-1', 'x-2', 'x-3']) {
        last = (await before.post('/api/conversations', { id, channel: 'sms', queueId: 'q', customerId: id })).body.position;
      }
      await before.get(`/api/queues?minPosition=${last}`);
      await before.close();
      // The events file is replaced (restored from elsewhere, deleted by hand); the views stay.
      for (const file of readdirSync(dataDir).filter((name) => name.startsWith('events.sqlite'))) rmSync(join(dataDir, file));

      const after = await startApp({ store: 'sqlite', dataDir });
      try {
        const opened = await after.post('/api/conversations', { id: 'y-1', channel: 'sms', queueId: 'q', customerId: 'y' });
        // A new log: only the queue (provisioned again) comes before it.
        expect(opened.body.position).toBe(2);
        expect(opened.body.position).toBeLessThan(last);
        const health = await after.get('/health');
        expect(health.statusCode).toBe(503);
        expect(JSON.stringify(health.body)).toContain("beyond the event log's last position");
        const read = await after.get(`/api/queues/q/work-items?minPosition=${opened.body.position}`);
        expect(read.statusCode).toBe(503);
        expect(read.body).toMatchObject({ code: 'READ_MODEL.BEHIND' });
      } finally {
        await after.close();
      }
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
