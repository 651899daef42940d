/**
 * Capacity under concurrent commands, on the durable SQLite store: no agent above capacity
 * through pick or push, no conversation with two agents, no refusal answered as a 5xx, and the
 * agent's stream holding claims for exactly the conversations that say it holds them. First in
 * one process (many requests at once through one app), then across two real service processes
 * over one DATA_DIR (the second with PROJECTOR=off), as two production instances would run;
 * finally, everything is closed and no capacity is left on either instance.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startApp, type TestApp } from './support/start-app';
import { startServiceProcess, type HttpAnswer, type ServiceProcess } from './support/service-process';
import { Floor, tally, type AgentAnswer, type ConversationAnswer } from './support/work-distribution';

/** Every code a lost race may answer with: all 409. */
const LOSING_CODES = [
  'AGENT.NO_FREE_CAPACITY',
  'AGENT.ASSIGNMENT_IN_PROGRESS',
  'AGENT.CONCURRENT_UPDATE',
  'CONVERSATION.TRANSITION_NOT_ALLOWED',
  'CONVERSATION.CONCURRENT_UPDATE',
];

interface Attempt {
  conversationId: string;
  agentId: string;
  action: 'pick' | 'assign';
  answer: HttpAnswer;
}

/** Every answer is 200, or 409 with one of the codes of a lost race: never 5xx, never anything else. */
const expectWinnersAndLosers = (attempts: Attempt[]) => {
  const unexpected = attempts.filter(
    ({ answer }) => answer.statusCode !== 200 && !(answer.statusCode === 409 && LOSING_CODES.includes(answer.body?.code)),
  );
  expect(
    unexpected.map(
      ({ conversationId, agentId, action, answer }) => `${action} ${conversationId} by ${agentId}: ${answer.statusCode} ${answer.text}`,
    ),
  ).toEqual([]);
};

/**
 * The invariants, from the streams (GET /api/conversations/:id and GET /api/agents/:id):
 * every conversation has at most one holder, and it is the one whose request succeeded;
 * no agent holds more than its capacity; each agent's claims are exactly the conversations that
 * name it as their agent.
 */
const expectConsistent = async (
  attempts: Attempt[],
  conversation: (id: string) => Promise<ConversationAnswer>,
  agent: (id: string) => Promise<AgentAnswer>,
  conversationIds: string[],
  agentIds: string[],
) => {
  const holders = new Map<string, string>();
  for (const id of conversationIds) {
    const now = await conversation(id);
    const winners = attempts.filter((a) => a.conversationId === id && a.answer.statusCode === 200).map((a) => a.agentId);
    expect({ id, winners: winners.length <= 1 }).toEqual({ id, winners: true });
    if (winners.length === 1) {
      expect({ id, status: now.status, agentId: now.agentId }).toEqual({ id, status: 'active', agentId: winners[0] });
      holders.set(id, winners[0]);
    } else {
      expect({ id, status: now.status, revision: now.revision }).toEqual({ id, status: 'open', revision: 0 });
    }
  }
  for (const agentId of agentIds) {
    const now = await agent(agentId);
    const expected = [...holders]
      .filter(([, holder]) => holder === agentId)
      .map(([id]) => id)
      .sort();
    const claims = now.claims.map((claim) => claim.conversationId).sort();
    expect({ agentId, claims }).toEqual({ agentId, claims: expected });
    expect({ agentId, used: now.used, withinCapacity: now.used <= now.capacity }).toEqual({
      agentId,
      used: expected.length,
      withinCapacity: true,
    });
  }
  return holders;
};

describe('in one process', () => {
  let t: TestApp;
  let f: Floor;

  // One app for the three races (each uses its own agents and conversations): starting the
  // SQLite app with its projector thread is the slow part.
  beforeAll(async () => {
    t = await startApp({ provision: 'none', store: 'sqlite' });
    f = new Floor(t);
    await f.queue('support');
  });
  afterAll(async () => {
    await t.close();
  });

  const send = async (conversationId: string, agentId: string, action: 'pick' | 'assign'): Promise<Attempt> => {
    const answer = await t.post(`/api/conversations/${conversationId}/${action}`, { agentId });
    return { conversationId, agentId, action, answer };
  };

  it('32 picks and pushes of different conversations at once for one agent with capacity 3: exactly 3 succeed, the rest are 409 NO_FREE_CAPACITY', async () => {
    await f.agent('ann', 3, ['support']);
    const ids = Array.from({ length: 32 }, (_, i) => `solo-${i}`);
    for (const id of ids) await f.open(id, 'support');

    const attempts = await Promise.all(ids.map((id, i) => send(id, 'ann', i % 2 === 0 ? 'pick' : 'assign')));

    expectWinnersAndLosers(attempts);
    expect(tally(attempts.map((a) => a.answer))).toEqual({ 200: 3, 409: 29 });
    for (const loser of attempts.filter((a) => a.answer.statusCode === 409)) {
      expect(loser.answer.body).toMatchObject({ code: 'AGENT.NO_FREE_CAPACITY', agentId: 'ann', capacity: 3 });
    }
    await expectConsistent(
      attempts,
      (id) => f.conversation(id),
      (id) => f.agentNow(id),
      ids,
      ['ann'],
    );
    expect(await f.boardRow('ann')).toMatchObject({ used: 3, free: 0, forcedOver: false });
  });

  it('8 agents pick or push the same conversations at once: one holder per conversation, nobody over capacity, claims match', async () => {
    const agents = Array.from({ length: 8 }, (_, i) => `racer-${i}`);
    for (const agentId of agents) await f.agent(agentId, 2, ['support']);
    const ids = Array.from({ length: 10 }, (_, i) => `shared-${i}`);
    for (const id of ids) await f.open(id, 'support');

    const attempts = await Promise.all(
      ids.flatMap((id, c) => agents.map((agentId, a) => send(id, agentId, (a + c) % 2 === 0 ? 'pick' : 'assign'))),
    );

    expectWinnersAndLosers(attempts);
    const holders = await expectConsistent(
      attempts,
      (id) => f.conversation(id),
      (id) => f.agentNow(id),
      ids,
      agents,
    );
    // The first write to land on any conversation wins it: there is always at least one holder.
    expect(holders.size).toBeGreaterThan(0);

    // Finish everything: nothing is left held.
    for (const [id, agentId] of await collectHolders(ids, (id) => f.conversation(id))) {
      await finish((path, body) => t.post(path, body), id, agentId, await f.conversation(id));
    }
    for (const agentId of agents) {
      expect({ agentId, ...(await f.usage(agentId)), claims: await f.claimIds(agentId) }).toEqual({
        agentId,
        used: 0,
        blocked: 0,
        free: 2,
        claims: [],
      });
    }
  });

  it('12 agents with room pick or push one conversation at once: exactly one wins, eleven 409s, only the winner holds capacity', async () => {
    const agents = Array.from({ length: 12 }, (_, i) => `hot-${i}`);
    for (const agentId of agents) await f.agent(agentId, 1, ['support']);
    await f.open('hot', 'support');

    const attempts = await Promise.all(agents.map((agentId, a) => send('hot', agentId, a % 2 === 0 ? 'pick' : 'assign')));

    expectWinnersAndLosers(attempts);
    expect(tally(attempts.map((a) => a.answer))).toEqual({ 200: 1, 409: 11 });
    for (const loser of attempts.filter((a) => a.answer.statusCode === 409)) {
      expect(loser.answer.body).toMatchObject({ code: 'CONVERSATION.TRANSITION_NOT_ALLOWED', status: 'active' });
    }
    const holders = await expectConsistent(
      attempts,
      (id) => f.conversation(id),
      (id) => f.agentNow(id),
      ['hot'],
      agents,
    );
    expect(holders.size).toBe(1);
    const history = await f.historyTypes('hot');
    expect(history.filter((type) => type === 'ConversationPicked' || type === 'ConversationPushedToAgent')).toHaveLength(1);
  });
});

const collectHolders = async (ids: string[], conversation: (id: string) => Promise<ConversationAnswer>) => {
  const holders = new Map<string, string>();
  for (const id of ids) {
    const now = await conversation(id);
    if (now.status === 'active' && now.agentId) holders.set(id, now.agentId);
  }
  return holders;
};

type Post = (path: string, body: unknown) => Promise<{ statusCode: number; text: string }>;

/** Accept a push if it still awaits acceptance, then end and close the session; each must succeed. */
const finish = async (post: Post, id: string, agentId: string, now: ConversationAnswer) => {
  const steps: Array<[string, unknown]> = [
    ...(now.assignment === 'awaiting_acceptance' ? [['accept', { agentId }] as [string, unknown]] : []),
    ['end', { by: 'agent', agentId }],
    ['close-session', { agentId }],
  ];
  for (const [action, body] of steps) {
    const answer = await post(`/api/conversations/${id}/${action}`, body);
    if (answer.statusCode !== 200) throw new Error(`${action} ${id} answered ${answer.statusCode}: ${answer.text}`);
  }
};

describe('across two service processes over one SQLite DATA_DIR', () => {
  let dataDir: string;
  let one: ServiceProcess | undefined;
  let two: ServiceProcess | undefined;

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'capacity-two-'));
    const env = { EVENT_STORE: 'sqlite', DATA_DIR: dataDir, ROUTING: 'off', TIMERS: 'off' };
    // The first keeps the views; the second only reads them, as a second production instance.
    one = await startServiceProcess('one', env);
    two = await startServiceProcess('two', { ...env, PROJECTOR: 'off' });
  }, 180_000);

  afterAll(async () => {
    await Promise.all([one?.stop(), two?.stop()]);
    rmSync(dataDir, { recursive: true, force: true });
  });

  const services = () => [one as ServiceProcess, two as ServiceProcess];

  const must = async (service: ServiceProcess, path: string, body: unknown) => {
    const answer = await service.post(path, body);
    if (answer.statusCode >= 300) throw new Error(`${service.name}: POST ${path} answered ${answer.statusCode}: ${answer.text}`);
    return answer;
  };
  const conversationOn =
    (service: ServiceProcess) =>
    async (id: string): Promise<ConversationAnswer> => {
      const answer = await service.get(`/api/conversations/${id}`);
      if (answer.statusCode !== 200) throw new Error(`${service.name}: GET ${id} answered ${answer.statusCode}: ${answer.text}`);
      return answer.body;
    };
  const agentOn =
    (service: ServiceProcess) =>
    async (id: string): Promise<AgentAnswer> => {
      const answer = await service.get(`/api/agents/${id}`);
      if (answer.statusCode !== 200) throw new Error(`${service.name}: GET agent ${id} answered ${answer.statusCode}: ${answer.text}`);
      return answer.body;
    };
  const send = async (service: ServiceProcess, conversationId: string, agentId: string, action: 'pick' | 'assign'): Promise<Attempt> => {
    const answer = await service.post(`/api/conversations/${conversationId}/${action}`, { agentId });
    return { conversationId, agentId, action, answer };
  };

  it('parallel picks and pushes through both: one agent gets exactly its capacity; shared conversations get one holder each; no 5xx; all free once closed', async () => {
    const [a, b] = services();
    await must(a, '/api/queues', { id: 'support' });
    await must(a, '/api/agents', { id: 'solo', capacity: 3, queueIds: ['support'], presence: 'available' });
    const racers = Array.from({ length: 6 }, (_, i) => `racer-${i}`);
    for (const agentId of racers) await must(b, '/api/agents', { id: agentId, capacity: 2, queueIds: ['support'], presence: 'available' });
    const soloIds = Array.from({ length: 30 }, (_, i) => `two-solo-${i}`);
    const sharedIds = Array.from({ length: 8 }, (_, i) => `two-shared-${i}`);
    for (const [i, id] of [...soloIds, ...sharedIds].entries()) {
      await must(i % 2 ? a : b, '/api/conversations', { id, channel: 'live_chat', queueId: 'support', customerId: `cust-${id}` });
    }

    // Everything at once: 30 for the one agent, 48 races for the shared conversations, split
    // between the two processes and between pick and push.
    const attempts = await Promise.all([
      ...soloIds.map((id, i) => send(i % 2 ? a : b, id, 'solo', i % 4 < 2 ? 'pick' : 'assign')),
      ...sharedIds.flatMap((id, c) =>
        racers.map((agentId, r) => send((r + c) % 2 ? a : b, id, agentId, (r + c) % 3 === 0 ? 'assign' : 'pick')),
      ),
    ]);

    expectWinnersAndLosers(attempts);
    const solo = attempts.filter((x) => x.agentId === 'solo');
    expect(tally(solo.map((x) => x.answer))).toEqual({ 200: 3, 409: 27 });
    for (const service of [a, b]) {
      await expectConsistent(solo, conversationOn(service), agentOn(service), soloIds, ['solo']);
      await expectConsistent(
        attempts.filter((x) => x.agentId !== 'solo'),
        conversationOn(service),
        agentOn(service),
        sharedIds,
        racers,
      );
    }

    // Close everything, through either process, and nothing is left held on either.
    const all = [...soloIds, ...sharedIds];
    for (const [i, [id, agentId]] of [...(await collectHolders(all, conversationOn(a)))].entries()) {
      const service = i % 2 ? a : b;
      await finish((path, body) => service.post(path, body), id, agentId, await conversationOn(service)(id));
    }
    for (const [i, id] of all.entries()) {
      const service = i % 2 ? b : a;
      if ((await conversationOn(service)(id)).status === 'open')
        await must(service, `/api/conversations/${id}/close`, { supervisorId: 'sup-1', reason: 'test_cleanup' });
    }
    for (const service of [a, b]) {
      for (const id of all) expect({ id, status: (await conversationOn(service)(id)).status }).toEqual({ id, status: 'closed' });
      for (const agentId of ['solo', ...racers]) {
        const now = await agentOn(service)(agentId);
        expect({ on: service.name, agentId, used: now.used, blocked: now.blocked, free: now.free, claims: now.claims }).toEqual({
          on: service.name,
          agentId,
          used: 0,
          blocked: 0,
          free: now.capacity,
          claims: [],
        });
      }
    }
  }, 120_000);

  it('the same agent takes the same conversation through both processes at once: one success, the capacity counted once', async () => {
    const [a, b] = services();
    await must(a, '/api/queues', { id: 'twins' });
    await must(b, '/api/agents', { id: 'twin-agent', capacity: 20, queueIds: ['twins'], presence: 'available' });
    const ids = Array.from({ length: 8 }, (_, i) => `twin-${i}`);
    for (const [i, id] of ids.entries()) {
      await must(i % 2 ? a : b, '/api/conversations', { id, channel: 'sms', queueId: 'twins', customerId: `cust-${id}` });
    }

    // Each conversation: the agent's pick through one process and a push to them through the other.
    const attempts = await Promise.all(
      ids.flatMap((id, i) => [
        send(i % 2 ? a : b, id, 'twin-agent', 'pick'),
        send(i % 2 ? b : a, id, 'twin-agent', i % 4 < 2 ? 'assign' : 'pick'),
      ]),
    );

    expectWinnersAndLosers(attempts);
    for (const id of ids) {
      const answers = attempts.filter((x) => x.conversationId === id).map((x) => x.answer);
      expect({ id, wins: answers.filter((x) => x.statusCode === 200).length }).toEqual({ id, wins: 1 });
    }
    for (const service of [a, b]) {
      const now = await agentOn(service)('twin-agent');
      expect({ on: service.name, used: now.used, claims: now.claims.map((c) => c.conversationId).sort() }).toEqual({
        on: service.name,
        used: ids.length,
        claims: [...ids].sort(),
      });
      for (const id of ids) expect(await conversationOn(service)(id)).toMatchObject({ status: 'active', agentId: 'twin-agent' });
    }

    for (const [i, id] of ids.entries()) {
      const service = i % 2 ? a : b;
      await finish((path, body) => service.post(path, body), id, 'twin-agent', await conversationOn(service)(id));
    }
    for (const service of [a, b]) {
      expect(await agentOn(service)('twin-agent')).toMatchObject({ used: 0, blocked: 0, free: 20, claims: [] });
    }
  }, 60_000);

  /**
   * An instance decides first on its cached state of a conversation. When that state is stale
   * and the agent refuses the reservation, the refusal must be checked against the stream like a
   * conversation refusal is: otherwise the instance that opened the conversation (cache: open)
   * answers an agent refusal (AGENT.NO_FREE_CAPACITY, or AGENT.ASSIGNMENT_IN_PROGRESS when the
   * holder asks again) where the other answers the real state. (Regression test for the fix in
   * handle-conversation-command.ts: an AgentError on a cached state re-reads the stream.)
   */
  it("a refused pick answers with the conversation's real state on either instance, whatever that instance had cached", async () => {
    const [a, b] = services();
    await must(a, '/api/queues', { id: 'stale' });
    await must(a, '/api/agents', { id: 'stale-holder', capacity: 2, queueIds: ['stale'], presence: 'available' });
    await must(a, '/api/agents', { id: 'stale-full', capacity: 0, queueIds: ['stale'], presence: 'available' });
    // Opened through b, so b has it cached as open; picked through a.
    await must(b, '/api/conversations', { id: 'stale-1', channel: 'live_chat', queueId: 'stale', customerId: 'cust-stale' });
    await must(a, '/api/conversations/stale-1/pick', { agentId: 'stale-holder' });

    for (const service of [b, a]) {
      for (const agentId of ['stale-full', 'stale-holder']) {
        const answer = await service.post('/api/conversations/stale-1/pick', { agentId });
        expect({ on: service.name, agentId, statusCode: answer.statusCode, code: answer.body?.code, status: answer.body?.status }).toEqual({
          on: service.name,
          agentId,
          statusCode: 409,
          code: 'CONVERSATION.TRANSITION_NOT_ALLOWED',
          status: 'active',
        });
      }
    }
    for (const service of [a, b]) {
      expect(await agentOn(service)('stale-holder')).toMatchObject({
        used: 1,
        claims: [expect.objectContaining({ conversationId: 'stale-1' })],
      });
      expect(await agentOn(service)('stale-full')).toMatchObject({ used: 0, claims: [] });
    }
  }, 30_000);
});
