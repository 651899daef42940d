import { startApp, type TestApp } from './support/start-app';

/**
 * A refusal describes the conversation (its status, what may be done now). An agent that may
 * not read a conversation (never held or consulted on it, and it is not open in a queue the agent
 * serves) learns none of that from a command it sends: only the relation it lacks.
 */
describe('refusals to agents who may not read the conversation', () => {
  let t: TestApp;
  let outsider: string;
  let holder: string;
  const auth = (token: string) => ({ authorization: `Bearer ${token}` });

  beforeAll(async () => {
    t = await startApp({ provision: 'none' });
    const admin = await t.token('admin-1', ['admin']);
    expect((await t.post('/api/queues', { id: 'q-private' }, auth(admin))).statusCode).toBe(201);
    expect((await t.post('/api/queues', { id: 'q-elsewhere' }, auth(admin))).statusCode).toBe(201);
    expect(
      (await t.post('/api/agents', { id: 'agent-h', capacity: 2, queueIds: ['q-private'], presence: 'available' }, auth(admin))).statusCode,
    ).toBe(201);
    expect(
      (await t.post('/api/agents', { id: 'agent-o', capacity: 2, queueIds: ['q-elsewhere'], presence: 'available' }, auth(admin)))
        .statusCode,
    ).toBe(201);
    holder = await t.token('agent-h', ['agent']);
    outsider = await t.token('agent-o', ['agent']);
    const channel = await t.token('web-chat', ['channel']);
    for (const id of ['p-open', 'p-held']) {
      const opened = await t.post(
        '/api/conversations',
        { id, channel: 'sms', queueId: 'q-private', customerId: `cust-${id}` },
        auth(channel),
      );
      expect(opened.statusCode).toBe(201);
    }
    expect((await t.post('/api/conversations/p-held/pick', {}, auth(holder))).statusCode).toBe(200);
  });
  afterAll(() => t.close());

  it('a command its state refuses answers 403 naming the relation, not 409 with the status', async () => {
    // Ending a conversation that is still open would be TRANSITION_NOT_ALLOWED, naming "open".
    const answer = await t.post('/api/conversations/p-open/end', { by: 'agent' }, auth(outsider));
    expect(answer.statusCode).toBe(403);
    expect(answer.body).toEqual({
      statusCode: 403,
      code: 'AUTH.FORBIDDEN',
      message: expect.stringContaining('needs the relation "holder"'),
      action: 'EndConversation',
      relation: 'holder',
      conversationId: 'p-open',
    });
  });

  it("a command on another agent's conversation answers 403 without its status or allowed actions", async () => {
    const answer = await t.post('/api/conversations/p-held/close-session', {}, auth(outsider));
    expect(answer.statusCode).toBe(403);
    expect(answer.body).toMatchObject({ code: 'AUTH.FORBIDDEN', relation: 'holder', conversationId: 'p-held' });
    expect(answer.body).not.toHaveProperty('status');
    expect(answer.body).not.toHaveProperty('allowedActions');
  });

  it('an agent who may read it still gets the refusal with the status and what is allowed now', async () => {
    // agent-h serves q-private, where p-open waits: it may read it, so the refusal explains itself.
    const answer = await t.post('/api/conversations/p-open/end', { by: 'agent' }, auth(holder));
    expect(answer.statusCode).toBe(409);
    expect(answer.body).toMatchObject({ code: 'CONVERSATION.TRANSITION_NOT_ALLOWED', status: 'open' });
    expect(answer.body.allowedActions).toEqual(expect.arrayContaining(['pick']));
  });

  it('an unknown conversation is still 404', async () => {
    expect((await t.post('/api/conversations/p-nowhere/end', { by: 'agent' }, auth(outsider))).statusCode).toBe(404);
  });
});
