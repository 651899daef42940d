import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { request } from 'node:http';
import { join } from 'node:path';
import { startServiceProcess, type ServiceProcess } from './support/service-process';
import { claimedAuthorization } from './support/test-principal';

/**
 * Liveness, readiness and a graceful stop, on the service as it runs in production (its own
 * process, SQLite in a data directory): on SIGTERM readiness turns 503 at once, a request in
 * flight is still answered, and the process then exits 0.
 */
describe('health and shutdown', () => {
  let dataDir: string;
  let service: ServiceProcess;

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'cwi-shutdown-'));
    service = await startServiceProcess('draining', {
      DATA_DIR: dataDir,
      EVENT_STORE: 'sqlite',
      SHUTDOWN_DRAIN: '1500ms',
      HEALTH_READY_MAX_LAG: '1000',
    });
  }, 120_000);
  afterAll(async () => {
    await service.kill();
    rmSync(dataDir, { recursive: true, force: true });
  });

  const exited = async (timeoutMs: number) => {
    const deadline = Date.now() + timeoutMs;
    while (service.exitStatus() === undefined && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
    return service.exitStatus();
  };

  it('is live and ready while it runs', async () => {
    expect((await service.get('/health/live')).statusCode).toBe(200);
    const ready = await service.get('/health/ready');
    expect(ready).toMatchObject({ statusCode: 200, body: { status: 'ready' } });
  });

  it('on SIGTERM: not ready at once, answers the request in flight, then exits 0', async () => {
    // A request whose body is still arriving when the signal comes: in flight until it is sent whole.
    const body = JSON.stringify({ id: 'drain-queue', name: 'Created while draining' });
    const headers = await claimedAuthorization(dataDir, '/api/queues', JSON.parse(body));
    const inFlight = request(`${service.base}/api/queues`, {
      method: 'POST',
      headers: { ...headers, 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)) },
    });
    const answered = new Promise<{ status: number; text: string }>((resolve, reject) => {
      inFlight.on('response', (response) => {
        let text = '';
        response.on('data', (chunk) => (text += String(chunk)));
        response.on('end', () => resolve({ status: response.statusCode ?? 0, text }));
      });
      inFlight.on('error', reject);
    });
    inFlight.write(body.slice(0, 10));
    await new Promise((resolve) => setTimeout(resolve, 200));

    process.kill(service.pid as number, 'SIGTERM');
    const deadline = Date.now() + 1_000;
    let ready = await service.get('/health/ready');
    while (ready.statusCode === 200 && Date.now() < deadline) ready = await service.get('/health/ready');
    expect(ready.statusCode).toBe(503);
    expect(ready.body.reasons).toEqual(expect.arrayContaining([expect.stringContaining('shutting down')]));
    expect((await service.get('/health/live')).statusCode).toBe(200);

    inFlight.end(body.slice(10));
    const answer = await answered;
    expect(`${answer.status} ${answer.text}`).toMatch(/^201 /);

    expect(await exited(15_000)).toEqual({ code: 0, signal: null });
  }, 30_000);
});
