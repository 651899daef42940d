import { startApp, type TestApp } from './support/start-app';

const T0 = '2026-03-02T09:00:00.000Z';
const at = (minutes: number, seconds = 0) => new Date(Date.parse(T0) + minutes * 60_000 + seconds * 1000).toISOString();

describe('time travel: GET /api/conversations/:id?asOf=', () => {
  let app: TestApp;

  beforeEach(async () => {
    app = await startApp({ clockStart: T0 });
    await app.post('/api/conversations', { id: 'tt-1', channel: 'sms', queueId: 'support', customerId: 'cust-1' });
    app.clock.set(at(1));
    await app.post('/api/conversations/tt-1/pick', { agentId: 'agent-1' });
    app.clock.set(at(5));
    await app.post('/api/conversations/tt-1/close-session', { agentId: 'agent-1' });
    app.clock.set(at(9));
    await app.post('/api/conversations/tt-1/revive', { agentId: 'agent-1' });
  });

  afterEach(() => app.close());

  it.each([
    ['the moment it opened', at(0), 'open', 0],
    ['between open and pick', at(0, 30), 'open', 0],
    ['exactly when it was picked', at(1), 'active', 1],
    ['while it was parked', at(7), 'waiting', 2],
    ['after the revive', at(60), 'active', 3],
  ])('answers the state %s', async (_when, asOf, status, revision) => {
    const answer = await app.get(`/api/conversations/tt-1?asOf=${encodeURIComponent(asOf)}`);
    expect(answer.statusCode).toBe(200);
    expect(answer.body).toMatchObject({ id: 'tt-1', status, revision });
    expect(answer.headers.etag).toBeUndefined();
  });

  it('says when it was opened if asked about a time before that', async () => {
    const answer = await app.get(`/api/conversations/tt-1?asOf=${encodeURIComponent(at(-1))}`);
    expect(answer.statusCode).toBe(404);
    expect(answer.body).toMatchObject({ code: 'CONVERSATION.NOT_FOUND' });
    expect(answer.body.message).toContain(T0);
  });

  it('offers the allowed actions of that time', async () => {
    const answer = await app.get(`/api/conversations/tt-1?asOf=${encodeURIComponent(at(7))}`);
    expect(answer.body.allowedActions).toContain('revive');
  });

  it.each(['yesterday', '2026-03-02T09:00:00', '2026-13-01T00:00:00Z'])('refuses asOf=%s naming the field', async (asOf) => {
    const answer = await app.get(`/api/conversations/tt-1?asOf=${encodeURIComponent(asOf)}`);
    expect(answer.statusCode).toBe(400);
    expect(answer.body).toMatchObject({ code: 'REQUEST.INVALID_FIELD', field: 'asOf' });
  });

  it('without asOf answers the current state with its ETag', async () => {
    const answer = await app.get('/api/conversations/tt-1');
    expect(answer.body).toMatchObject({ status: 'active', revision: 3 });
    expect(answer.headers.etag).toBe('"3"');
  });
});
