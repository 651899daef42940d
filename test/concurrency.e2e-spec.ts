/**
 * Concurrent commands on one conversation, on the durable SQLite store (a temp file): the
 * expected-revision check lets exactly one conflicting command win, and the handler's bounded
 * retry lets commands that do not conflict in meaning all go through.
 */
import { startApp, type Answer, type TestApp } from './support/start-app';

let t: TestApp;

beforeAll(async () => {
  t = await startApp({ store: 'sqlite' });
});
afterAll(async () => {
  await t.close();
});

const open = async (id: string, channel: string) => {
  const answer = await t.post('/api/conversations', { channel, queueId: 'support', customerId: 'cust-1', id });
  expect(answer.statusCode).toBe(201);
};

const history = async (id: string) => {
  const answer = await t.get(`/api/conversations/${id}/history`);
  expect(answer.statusCode).toBe(200);
  return answer.body.events as Array<{ type: string; revision: number; position: number; actor: { id: string } }>;
};

const tally = (answers: Answer[]) =>
  answers.reduce<Record<number, number>>((counts, a) => ({ ...counts, [a.statusCode]: (counts[a.statusCode] ?? 0) + 1 }), {});

it('30 agents pick one open conversation at once: exactly one wins, the others get 409, nobody 5xx', async () => {
  await open('race-pick', 'live_chat');
  const agents = Array.from({ length: 30 }, (_, i) => `agent-${i + 1}`);

  const answers = await Promise.all(agents.map((agentId) => t.post('/api/conversations/race-pick/pick', { agentId })));

  expect(tally(answers)).toEqual({ 200: 1, 409: 29 });
  const winnerIndex = answers.findIndex((a) => a.statusCode === 200);
  const winner = agents[winnerIndex];
  expect(answers[winnerIndex].body).toMatchObject({ id: 'race-pick', status: 'active', revision: 1 });
  expect(answers[winnerIndex].headers.etag).toBe('"1"');
  for (const loser of answers.filter((a) => a.statusCode === 409)) {
    expect(loser.body).toMatchObject({ code: 'CONVERSATION.TRANSITION_NOT_ALLOWED', status: 'active', action: 'pick' });
    expect(loser.body.allowedActions).not.toContain('pick');
  }

  const events = await history('race-pick');
  expect(events.map((e) => e.type)).toEqual(['ConversationOpened', 'ConversationPicked']);
  expect(events.filter((e) => e.type === 'ConversationPicked')).toHaveLength(1);
  expect(events[1].actor.id).toBe(winner);
  const view = await t.get('/api/conversations/race-pick');
  expect(view.body).toMatchObject({ status: 'active', agentId: winner, revision: 1 });
});

it('20 customer messages at once on an active conversation all succeed, with contiguous revisions', async () => {
  await open('race-messages', 'sms');
  expect((await t.post('/api/conversations/race-messages/pick', { agentId: 'agent-1' })).statusCode).toBe(200);

  const answers = await Promise.all(
    Array.from({ length: 20 }, () => t.post('/api/conversations/race-messages/messages', { from: 'customer' })),
  );

  expect(tally(answers)).toEqual({ 200: 20 });
  // Each answer names its own revision: together they are exactly 2..21.
  expect(answers.map((a) => a.body.revision).sort((a, b) => a - b)).toEqual(Array.from({ length: 20 }, (_, i) => i + 2));
  for (const a of answers) {
    expect(a.body.status).toBe('active');
    expect(a.headers.etag).toBe(`"${a.body.revision}"`);
  }

  const events = await history('race-messages');
  const messages = events.filter((e) => e.type === 'CustomerMessageReceived');
  expect(messages).toHaveLength(20);
  expect(events.map((e) => e.revision)).toEqual(Array.from({ length: 22 }, (_, i) => i));
  for (let i = 1; i < events.length; i++) expect(events[i].position).toBeGreaterThan(events[i - 1].position);
  const view = await t.get('/api/conversations/race-messages');
  expect(view.body).toMatchObject({ status: 'active', revision: 21, unreadCustomerMessages: 20 });
});

it('the same Idempotency-Key sent 10 times at once writes the command once', async () => {
  await open('race-idem', 'teams');
  const answers = await Promise.all(
    Array.from({ length: 10 }, () =>
      t.post('/api/conversations/race-idem/pick', { agentId: 'agent-1' }, { 'idempotency-key': 'same-pick' }),
    ),
  );
  expect(tally(answers)).toEqual({ 200: 10 });
  for (const a of answers) {
    expect(a.body).toMatchObject({ id: 'race-idem', status: 'active', revision: 1 });
    expect(a.headers.etag).toBe('"1"');
  }
  expect((await history('race-idem')).map((e) => e.type)).toEqual(['ConversationOpened', 'ConversationPicked']);
  // One of them wrote; the other nine are repeats and must say so, as a sequential repeat does.
  expect(answers.filter((a) => a.headers['idempotent-replayed'] === 'true')).toHaveLength(9);
});

it('the same Idempotency-Key with different bodies at once: one is applied, the others are refused (422), not told they succeeded', async () => {
  await open('race-idem-reuse', 'sms');
  const agents = Array.from({ length: 10 }, (_, i) => `agent-${i + 1}`);
  const answers = await Promise.all(
    agents.map((agentId) => t.post('/api/conversations/race-idem-reuse/pick', { agentId }, { 'idempotency-key': 'shared-key' })),
  );

  const events = await history('race-idem-reuse');
  expect(events.map((e) => e.type)).toEqual(['ConversationOpened', 'ConversationPicked']);
  const holder = events[1].actor.id;
  // Only the agent whose pick was written may be told 200; everyone else learns the key was reused.
  const told200 = agents.filter((_, i) => answers[i].statusCode === 200);
  expect(told200).toEqual([holder]);
  for (const a of answers.filter((x) => x.statusCode !== 200)) {
    expect(a.statusCode).toBe(422);
    expect(a.body.code).toBe('REQUEST.IDEMPOTENCY_KEY_REUSED');
  }
});
