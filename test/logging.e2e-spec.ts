import { Writable } from 'node:stream';
import { startApp, type TestApp } from './support/start-app';

/**
 * The access log: one JSON line per answered request with method, route pattern, status,
 * duration, request id and principal; never a credential, a path id or a body.
 */
describe('access log', () => {
  let t: TestApp;
  const lines: string[] = [];
  const entries = () => lines.map((line) => JSON.parse(line) as Record<string, unknown>);
  const accessLineOf = (requestId: string) => {
    const found = entries().filter((entry) => entry.msg === 'request completed' && entry.requestId === requestId);
    expect(found).toHaveLength(1);
    return found[0];
  };

  beforeAll(async () => {
    const capture = new Writable({
      write(chunk: Buffer, _encoding, done) {
        lines.push(
          ...String(chunk)
            .split('\n')
            .filter((line) => line !== ''),
        );
        done();
      },
    });
    t = await startApp({ logDestination: capture as never });
  });
  afterAll(() => t.close());

  it('writes method, route, status, duration, the request id it was sent and the principal', async () => {
    const token = await t.token('sup-log', ['supervisor']);
    const answer = await t.get('/api/queues', { authorization: `Bearer ${token}`, 'x-request-id': 'log-test-1' });
    expect(answer.statusCode).toBe(200);
    expect(answer.headers['x-request-id']).toBe('log-test-1');
    const line = accessLineOf('log-test-1');
    expect(line).toMatchObject({ level: 'info', method: 'GET', route: '/api/queues', status: 200, principal: 'sup-log' });
    expect(typeof line.durationMs).toBe('number');
    expect(line.durationMs as number).toBeGreaterThanOrEqual(0);
    expect(Date.parse(line.time as string)).not.toBeNaN();
  });

  it('names the route pattern, not the path with its ids', async () => {
    const token = await t.token('sup-log', ['supervisor']);
    const answer = await t.get('/api/conversations/secret-conversation-42', {
      authorization: `Bearer ${token}`,
      'x-request-id': 'log-test-2',
    });
    expect(answer.statusCode).toBe(404);
    expect(accessLineOf('log-test-2')).toMatchObject({ method: 'GET', route: '/api/conversations/:id', status: 404 });
    expect(lines.join('\n')).not.toContain('secret-conversation-42');
  });

  it('logs refused credentials without the credentials, and a generated id when none was sent', async () => {
    const forged = 'eyJhbGciOiJFZERTQSJ9.eyJzdWIiOiJtYWxsb3J5In0.c2lnbmF0dXJl';
    const answer = await t.request({
      method: 'POST',
      url: '/api/conversations',
      payload: { channel: 'live_chat' },
      headers: { authorization: `Bearer ${forged}` },
    });
    expect(answer.statusCode).toBe(401);
    const requestId = answer.headers['x-request-id'] as string;
    expect(requestId).toMatch(/^[0-9a-f-]{36}$/);
    const line = accessLineOf(requestId);
    expect(line).toMatchObject({ method: 'POST', route: '/api/conversations', status: 401 });
    expect(line).not.toHaveProperty('principal');
    expect(lines.join('\n')).not.toContain(forged);
  });

  it('never writes a token, an Authorization header or a request body', async () => {
    const token = await t.token('agent-log', ['agent']);
    await t.request({
      method: 'POST',
      url: '/api/conversations',
      payload: { channel: 'live_chat', queueId: 'q-log', customerId: 'customer-with-a-secret-name' },
      headers: { authorization: `Bearer ${token}`, 'x-request-id': 'log-test-4' },
    });
    accessLineOf('log-test-4');
    const all = lines.join('\n');
    expect(all).not.toContain(token);
    expect(all).not.toMatch(/eyJ[\w-]+\.eyJ[\w-]+/);
    expect(all.toLowerCase()).not.toContain('bearer');
    expect(all).not.toContain('customer-with-a-secret-name');
  });

  it("writes what is logged while a request is handled with that request's id (a failure's stack)", async () => {
    // Nest holds its lines until the app listens (the tests' app only initialises).
    t.app.flushLogs();
    const token = await t.token('sup-log', ['supervisor']);
    const readStream = jest.spyOn(t.store, 'readStream').mockRejectedValueOnce(new Error('the disk is on fire'));
    try {
      const answer = await t.get('/api/conversations/c-log-500', { authorization: `Bearer ${token}`, 'x-request-id': 'log-test-5' });
      expect(answer.statusCode).toBe(500);
    } finally {
      readStream.mockRestore();
    }
    const logged = entries().filter((entry) => entry.level === 'error' && String(entry.msg).includes('the disk is on fire'));
    expect(logged).toHaveLength(1);
    expect(logged[0].requestId).toBe('log-test-5');
    // Lines outside any request carry none.
    expect(entries().find((entry) => entry.msg !== 'request completed' && entry.requestId === undefined)).toBeDefined();
  });
});
