/**
 * Every channel kind walked through its rows of the transitions table (docs/architecture.md,
 * "Conversation states and transitions"), through HTTP only: each answer's status code, body and ETag, then the
 * conversation's view and its full audit history.
 */
import { allowed, ConversationWalk, ev, expectClosedRefusesEverything, STEP_MS } from './support/conversation-walk';
import { startApp, type TestApp } from './support/start-app';

const ASYNC_CHANNELS = ['persistent_chat', 'sms', 'social', 'teams'] as const;
const ALL_CHANNELS = ['live_chat', ...ASYNC_CHANNELS, 'voice', 'record'] as const;
/** Channels whose agent End button and agent connection apply (all but record). */
const NOT_RECORD = ALL_CHANNELS.filter((c) => c !== 'record');

/** The active (accepted, connected) actions of each channel kind. */
const activeAllowed = (channel: string): string[] =>
  channel === 'live_chat'
    ? allowed.activeLiveChat
    : channel === 'voice'
      ? allowed.activeVoice
      : channel === 'record'
        ? allowed.activeRecord
        : allowed.activeAsync;
const openAllowed = (channel: string): string[] => (channel === 'live_chat' ? allowed.openLiveChat : allowed.open);
const liveChatExtras = (channel: string): string[] => (channel === 'live_chat' ? ['end-by-customer', 'customer-disconnect'] : []);

let t: TestApp;
let seq = 0;
/** A fresh conversation id per test: the tests share one application. */
const newWalk = (label: string) => new ConversationWalk(t, `${label}-${++seq}`);

beforeAll(async () => {
  t = await startApp();
});
afterAll(async () => {
  await t.close();
});

describe('live_chat', () => {
  it('open -> pick -> end by the agent -> wrap_up -> close-session -> closed; closed refuses everything', async () => {
    const w = newWalk('lc-happy');
    await w.open('live_chat');
    await w.expectView({
      status: 'open',
      agentId: undefined,
      allowedActions: allowed.openLiveChat,
      queueId: 'support',
      channel: 'live_chat',
    });
    await w.step('pick', { agentId: 'agent-1' }, 'active', [ev.picked('agent-1')]);
    await w.expectView({ status: 'active', agentId: 'agent-1', allowedActions: allowed.activeLiveChat, assignment: 'accepted' });
    await w.step('end', { by: 'agent', agentId: 'agent-1' }, 'wrap_up', [ev.endedByAgent('agent-1')]);
    await w.expectView({ status: 'wrap_up', agentId: 'agent-1', allowedActions: allowed.wrapUp });
    const closedAt = t.clock.now().toISOString();
    await w.step('close-session', { agentId: 'agent-1' }, 'closed', [ev.wrapUpCompleted('agent-1')]);

    await w.expectView({
      status: 'closed',
      agentId: undefined,
      allowedActions: [],
      lastAgentId: 'agent-1',
      closedAt,
      closedBy: { kind: 'agent', id: 'agent-1' },
      closeReason: 'agent_closed_session_after_wrap_up',
    });
    await w.expectHistory();
    await expectClosedRefusesEverything(t, w, 'agent-1');
    await w.expectHistory();
  });

  it('the customer ends it before it was assigned: open -> closed', async () => {
    const w = newWalk('lc-abandon-open');
    await w.open('live_chat');
    await w.step('end', { by: 'customer' }, 'closed', [ev.abandoned(w.customerId)]);
    await w.expectView({ status: 'closed', agentId: undefined, allowedActions: [], closedBy: { kind: 'customer', id: w.customerId } });
    await w.expectHistory();
    await expectClosedRefusesEverything(t, w, 'agent-1');
  });

  it('pushed to an agent, the customer leaves before the agent accepted: active -> closed', async () => {
    const w = newWalk('lc-abandon-push');
    await w.open('live_chat');
    await w.step('assign', { agentId: 'agent-2', supervisorId: 'sup-1' }, 'active', [ev.pushedBySupervisor('sup-1')]);
    await w.expectView({
      status: 'active',
      agentId: 'agent-2',
      assignment: 'awaiting_acceptance',
      allowedActions: allowed.awaitingAcceptanceLiveChat,
    });
    // The agent's own actions wait for acceptance.
    await w.refused('end', { by: 'agent', agentId: 'agent-2' }, { allowedActions: allowed.awaitingAcceptanceLiveChat });
    await w.step('end', { by: 'customer' }, 'closed', [ev.abandoned(w.customerId)]);
    await w.expectView({ status: 'closed', agentId: undefined, allowedActions: [], lastAgentId: 'agent-2' });
    const history = await w.expectHistory();
    expect(history.body.events[2].details).toEqual({ agentId: 'agent-2' });
    await w.refused('accept', { agentId: 'agent-2' }, { allowedActions: [] });
  });

  it('the agent closes the session while active: back to open in its queue', async () => {
    const w = newWalk('lc-requeue');
    await w.open('live_chat', 'chat-queue');
    await w.step('pick', { agentId: 'agent-3' }, 'active', [ev.picked('agent-3')]);
    await w.step('close-session', { agentId: 'agent-3' }, 'open', [ev.requeuedOnSessionClose('agent-3')]);
    await w.expectView({
      status: 'open',
      agentId: undefined,
      lastAgentId: 'agent-3',
      queueId: 'chat-queue',
      allowedActions: allowed.openLiveChat,
    });
    // Open again: another agent can take it.
    await w.step('pick', { agentId: 'agent-4' }, 'active', [ev.picked('agent-4')]);
    await w.expectView({ status: 'active', agentId: 'agent-4', allowedActions: allowed.activeLiveChat });
    await w.expectHistory();
  });

  it('the customer disconnects and reconnects, then ends it while active: wrap_up, then closed', async () => {
    const w = newWalk('lc-customer-conn');
    await w.open('live_chat');
    await w.step('pick', { agentId: 'agent-5' }, 'active', [ev.picked('agent-5')]);
    const disconnectedAt = t.clock.now().toISOString();
    await w.step('customer-disconnect', {}, 'active', [ev.customerDisconnected(w.customerId)]);
    const whileDisconnected = allowed.activeLiveChat
      .filter((a) => a !== 'customer-disconnect')
      .concat('customer-reconnect', 'time-out-customer-disconnect');
    await w.expectView({
      status: 'active',
      agentId: 'agent-5',
      customerConnected: false,
      customerDisconnectedAt: disconnectedAt,
      allowedActions: whileDisconnected,
    });
    await w.refused('customer-disconnect', {}, { allowedActions: whileDisconnected });
    await w.step('customer-reconnect', {}, 'active', [ev.customerReconnected(w.customerId)]);
    await w.expectView({ status: 'active', agentId: 'agent-5', customerConnected: true, allowedActions: allowed.activeLiveChat });
    await w.step('end', { by: 'customer' }, 'wrap_up', [ev.endedByCustomer(w.customerId)]);
    await w.expectView({ status: 'wrap_up', agentId: 'agent-5', allowedActions: allowed.wrapUp });
    await w.step('close-session', { agentId: 'agent-5' }, 'closed', [ev.wrapUpCompleted('agent-5')]);
    await w.expectView({ status: 'closed', agentId: undefined, allowedActions: [] });
    await w.expectHistory();
  });

  it('a live chat is never parked in waiting and revive is refused', async () => {
    const w = newWalk('lc-no-waiting');
    await w.open('live_chat');
    await w.step('pick', { agentId: 'agent-6' }, 'active', [ev.picked('agent-6')]);
    await w.refused('revive', { agentId: 'agent-6' }, { allowedActions: allowed.activeLiveChat });
    await w.refused('resolve', { agentId: 'agent-6' }, { allowedActions: allowed.activeLiveChat });
    await w.expectHistory();
  });
});

describe('async channels', () => {
  it.each(ASYNC_CHANNELS)(
    '%s: pick -> close-session -> waiting -> revive -> active -> end -> wrap_up -> close-session -> closed',
    async (channel) => {
      const w = newWalk(`async-${channel}`);
      await w.open(channel);
      await w.expectView({ status: 'open', agentId: undefined, allowedActions: allowed.open, channel });
      await w.step('pick', { agentId: 'agent-a' }, 'active', [ev.picked('agent-a')]);
      await w.expectView({ status: 'active', agentId: 'agent-a', allowedActions: allowed.activeAsync });
      // The customer's End and connection signals are live chat only.
      await w.refused('end', { by: 'customer' }, { allowedActions: allowed.activeAsync });
      await w.refused('customer-disconnect', {}, { allowedActions: allowed.activeAsync });
      await w.step('close-session', { agentId: 'agent-a' }, 'waiting', [ev.parked('agent-a')]);
      await w.expectView({ status: 'waiting', agentId: 'agent-a', allowedActions: allowed.waiting });
      // Only its owner revives it; the owner may still write while it waits.
      await w.refused('revive', { agentId: 'agent-b' }, { code: 'CONVERSATION.NOT_HELD_BY_AGENT', allowedActions: allowed.waiting });
      await w.step('messages', { from: 'agent', agentId: 'agent-a' }, 'waiting', [ev.agentMessage('agent-a')]);
      await w.step('revive', { agentId: 'agent-a' }, 'active', [ev.revivedByAgent('agent-a')]);
      await w.expectView({ status: 'active', agentId: 'agent-a', allowedActions: allowed.activeAsync });
      await w.step('end', { by: 'agent', agentId: 'agent-a' }, 'wrap_up', [ev.endedByAgent('agent-a')]);
      await w.expectView({ status: 'wrap_up', agentId: 'agent-a', allowedActions: allowed.wrapUp });
      await w.step('close-session', { agentId: 'agent-a' }, 'closed', [ev.wrapUpCompleted('agent-a')]);
      await w.expectView({ status: 'closed', agentId: undefined, allowedActions: [] });
      await w.expectHistory();
      await expectClosedRefusesEverything(t, w, 'agent-a');
    },
  );

  it.each(ASYNC_CHANNELS)('%s: waiting -> open when the customer writes within the revive window', async (channel) => {
    const w = newWalk(`async-custrevive-${channel}`);
    await w.open(channel, 'async-queue');
    await w.step('pick', { agentId: 'agent-c' }, 'active', [ev.picked('agent-c')]);
    await w.step('close-session', { agentId: 'agent-c' }, 'waiting', [ev.parked('agent-c')]);
    w.tick(60 * 60 * 1000);
    // One request, two events: the message, and the revive it causes.
    await w.step('messages', { from: 'customer' }, 'open', [ev.customerMessage(w.customerId), ev.revivedByCustomer(w.customerId)]);
    await w.expectView({
      status: 'open',
      agentId: undefined,
      lastAgentId: 'agent-c',
      queueId: 'async-queue',
      unreadCustomerMessages: 1,
      allowedActions: allowed.open,
    });
    const history = await w.expectHistory();
    expect(history.body.events.at(-1).details).toEqual({ previousAgentId: 'agent-c', queueId: 'async-queue' });
    await w.step('pick', { agentId: 'agent-d' }, 'active', [ev.picked('agent-d')]);
    await w.expectHistory();
  });

  it.each(ASYNC_CHANNELS)(
    '%s: a customer message after the revive window stays waiting (unread) until the owner revives it',
    async (channel) => {
      const w = newWalk(`async-late-${channel}`);
      await w.open(channel);
      await w.step('pick', { agentId: 'agent-e' }, 'active', [ev.picked('agent-e')]);
      await w.step('close-session', { agentId: 'agent-e' }, 'waiting', [ev.parked('agent-e')]);
      w.tick(25 * 60 * 60 * 1000); // default revive window: 24h
      await w.step('messages', { from: 'customer' }, 'waiting', [ev.customerMessage(w.customerId)]);
      await w.expectView({ status: 'waiting', agentId: 'agent-e', unreadCustomerMessages: 1, allowedActions: allowed.waiting });
      await w.step('revive', { agentId: 'agent-e' }, 'active', [ev.revivedByAgent('agent-e')]);
      await w.step('messages', { from: 'agent', agentId: 'agent-e' }, 'active', [ev.agentMessage('agent-e')]);
      await w.expectView({ status: 'active', agentId: 'agent-e', unreadCustomerMessages: 0, allowedActions: allowed.activeAsync });
      await w.expectHistory();
    },
  );
});

describe('voice', () => {
  it('assign -> accept -> end -> wrap_up -> close-session -> closed', async () => {
    const w = newWalk('voice-happy');
    await w.open('voice', 'phones');
    await w.step('assign', { agentId: 'agent-v', supervisorId: 'sup-1' }, 'active', [ev.pushedBySupervisor('sup-1')]);
    await w.expectView({
      status: 'active',
      agentId: 'agent-v',
      assignment: 'awaiting_acceptance',
      allowedActions: allowed.awaitingAcceptance,
    });
    await w.refused(
      'accept',
      { agentId: 'agent-w' },
      { code: 'CONVERSATION.NOT_HELD_BY_AGENT', allowedActions: allowed.awaitingAcceptance },
    );
    await w.step('accept', { agentId: 'agent-v' }, 'active', [ev.accepted('agent-v')]);
    await w.expectView({ status: 'active', agentId: 'agent-v', assignment: 'accepted', allowedActions: allowed.activeVoice });
    await w.step('end', { by: 'agent', agentId: 'agent-v' }, 'wrap_up', [ev.endedByAgent('agent-v')]);
    await w.step('close-session', { agentId: 'agent-v' }, 'closed', [ev.wrapUpCompleted('agent-v')]);
    await w.expectView({ status: 'closed', agentId: undefined, allowedActions: [] });
    const history = await w.expectHistory();
    expect(history.body.events[1].details).toEqual({ agentId: 'agent-v', queueId: 'phones' });
    await expectClosedRefusesEverything(t, w, 'agent-v');
  });

  it('close-session while active is refused (409), as are the live-chat customer signals and waiting', async () => {
    const w = newWalk('voice-no-close-session');
    await w.open('voice');
    await w.step('pick', { agentId: 'agent-v' }, 'active', [ev.picked('agent-v')]);
    const refusal = await w.refused('close-session', { agentId: 'agent-v' }, { allowedActions: allowed.activeVoice });
    expect(refusal.body).toMatchObject({ action: 'close-session', channel: 'voice' });
    await w.refused('end', { by: 'customer' }, { allowedActions: allowed.activeVoice });
    await w.refused('customer-disconnect', {}, { allowedActions: allowed.activeVoice });
    await w.refused('revive', { agentId: 'agent-v' }, { allowedActions: allowed.activeVoice });
    await w.expectView({ status: 'active', agentId: 'agent-v', allowedActions: allowed.activeVoice });
    await w.expectHistory();
  });
});

describe('record', () => {
  it('pick -> resolve -> closed', async () => {
    const w = newWalk('record-happy');
    await w.open('record', 'cases');
    await w.step('pick', { agentId: 'agent-r' }, 'active', [ev.picked('agent-r')]);
    await w.expectView({ status: 'active', agentId: 'agent-r', allowedActions: allowed.activeRecord });
    await w.step('resolve', { agentId: 'agent-r' }, 'closed', [ev.resolved('agent-r')]);
    await w.expectView({ status: 'closed', agentId: undefined, allowedActions: [], closeReason: 'agent_resolved_record' });
    await w.expectHistory();
    await expectClosedRefusesEverything(t, w, 'agent-r');
  });

  it('end (by agent or customer), close-session and agent-disconnect are refused', async () => {
    const w = newWalk('record-no-end');
    await w.open('record');
    await w.step('pick', { agentId: 'agent-r' }, 'active', [ev.picked('agent-r')]);
    const refusal = await w.refused('end', { by: 'agent', agentId: 'agent-r' }, { allowedActions: allowed.activeRecord });
    expect(refusal.body).toMatchObject({ action: 'end-by-agent', channel: 'record' });
    await w.refused('end', { by: 'customer' }, { allowedActions: allowed.activeRecord });
    await w.refused('close-session', { agentId: 'agent-r' }, { allowedActions: allowed.activeRecord });
    await w.refused('agent-disconnect', { agentId: 'agent-r' }, { allowedActions: allowed.activeRecord });
    await w.expectView({ status: 'active', agentId: 'agent-r', allowedActions: allowed.activeRecord });
    await w.expectHistory();
  });

  it('resolve is refused on every other channel', async () => {
    for (const channel of NOT_RECORD) {
      const w = newWalk(`no-resolve-${channel}`);
      await w.open(channel);
      await w.step('pick', { agentId: 'agent-x' }, 'active', [ev.picked('agent-x')]);
      await w.refused('resolve', { agentId: 'agent-x' }, { allowedActions: activeAllowed(channel) });
    }
  });
});

describe.each(ALL_CHANNELS)('%s: shared rows', (channel) => {
  it('release and transfer to a queue go back to open (GET shows the new queue); transfer to an agent keeps it active under the new agent', async () => {
    const w = newWalk(`moves-${channel}`);
    await w.open(channel, 'support');
    await w.step('pick', { agentId: 'agent-1' }, 'active', [ev.picked('agent-1')]);
    await w.step('release', { agentId: 'agent-1' }, 'open', [ev.released('agent-1')]);
    await w.expectView({ status: 'open', agentId: undefined, queueId: 'support', allowedActions: openAllowed(channel) });

    await w.step('pick', { agentId: 'agent-2' }, 'active', [ev.picked('agent-2')]);
    await w.refused(
      'transfer',
      { agentId: 'agent-2', toQueueId: 'support' },
      { code: 'CONVERSATION.INVALID_TRANSFER', allowedActions: activeAllowed(channel) },
    );
    await w.step('transfer', { agentId: 'agent-2', toQueueId: 'billing' }, 'open', [ev.transferredToQueue('agent-2')]);
    await w.expectView({ status: 'open', agentId: undefined, queueId: 'billing', allowedActions: openAllowed(channel) });

    await w.step('pick', { agentId: 'agent-3' }, 'active', [ev.picked('agent-3')]);
    await w.refused(
      'transfer',
      { agentId: 'agent-3', toAgentId: 'agent-3' },
      { code: 'CONVERSATION.INVALID_TRANSFER', allowedActions: activeAllowed(channel) },
    );
    await w.step('transfer', { agentId: 'agent-3', toAgentId: 'agent-4' }, 'active', [ev.transferredToAgent('agent-3')]);
    await w.expectView({
      status: 'active',
      agentId: 'agent-4',
      queueId: 'billing',
      lastAgentId: 'agent-4',
      allowedActions: activeAllowed(channel),
    });
    // The previous holder no longer acts on it; the new one does.
    const notHeld = await w.refused(
      'release',
      { agentId: 'agent-3' },
      { code: 'CONVERSATION.NOT_HELD_BY_AGENT', allowedActions: activeAllowed(channel) },
    );
    expect(notHeld.body.agentId).toBe('agent-3');
    await w.step('release', { agentId: 'agent-4' }, 'open', [ev.released('agent-4')]);
    await w.expectView({ status: 'open', agentId: undefined, queueId: 'billing', allowedActions: openAllowed(channel) });

    const history = await w.expectHistory();
    const details = history.body.events.map((e: { details: unknown }) => e.details);
    expect(details[4]).toEqual({ agentId: 'agent-2', fromQueueId: 'support', toQueueId: 'billing' });
    expect(details[6]).toEqual({ fromAgentId: 'agent-3', toAgentId: 'agent-4' });
  });

  it('reject sends a push back to open', async () => {
    const w = newWalk(`reject-${channel}`);
    await w.open(channel);
    await w.step('assign', { agentId: 'agent-1', supervisorId: 'sup-1' }, 'active', [ev.pushedBySupervisor('sup-1')]);
    await w.refused(
      'reject',
      { agentId: 'agent-9' },
      {
        code: 'CONVERSATION.NOT_HELD_BY_AGENT',
        allowedActions: [...allowed.awaitingAcceptance, ...liveChatExtras(channel)],
      },
    );
    await w.step('reject', { agentId: 'agent-1', reason: 'on_break' }, 'open', [ev.rejected('agent-1', 'on_break')]);
    await w.expectView({ status: 'open', agentId: undefined, lastAgentId: 'agent-1', allowedActions: openAllowed(channel) });
    await w.step('assign', { agentId: 'agent-2', supervisorId: 'sup-1' }, 'active', [ev.pushedBySupervisor('sup-1')]);
    await w.step('reject', { agentId: 'agent-2' }, 'open', [ev.rejected('agent-2')]);
    await w.expectView({ status: 'open', agentId: undefined, allowedActions: openAllowed(channel) });
    await w.expectHistory();
  });

  it('a supervisor forces an assignment: active and accepted at once, recorded as forced by the supervisor', async () => {
    const w = newWalk(`force-${channel}`);
    await w.open(channel);
    await w.step('assign', { agentId: 'agent-1', force: true, supervisorId: 'sup-7' }, 'active', [ev.forceAssigned('sup-7')]);
    await w.expectView({
      status: 'active',
      agentId: 'agent-1',
      assignment: 'accepted',
      forced: true,
      allowedActions: activeAllowed(channel),
    });
    await w.refused('accept', { agentId: 'agent-1' }, { allowedActions: activeAllowed(channel) });
    const history = await w.expectHistory();
    expect(history.body.events[1].details).toEqual({ agentId: 'agent-1', queueId: 'support' });
  });

  it('consult, consult-end and monitor keep the status', async () => {
    const w = newWalk(`consult-${channel}`);
    await w.open(channel);
    await w.step('monitor', { supervisorId: 'sup-1' }, 'open', [ev.monitoringStarted('sup-1')]);
    await w.step('pick', { agentId: 'agent-1' }, 'active', [ev.picked('agent-1')]);
    await w.step('consult', { agentId: 'agent-1', consultantId: 'agent-2' }, 'active', [ev.consultStarted('agent-1')]);
    await w.expectView({
      status: 'active',
      agentId: 'agent-1',
      consultants: ['agent-2'],
      allowedActions: [...activeAllowed(channel), 'consult-end'],
    });
    await w.refused(
      'consult',
      { agentId: 'agent-1', consultantId: 'agent-2' },
      {
        code: 'CONVERSATION.CONSULT_CONFLICT',
        allowedActions: [...activeAllowed(channel), 'consult-end'],
      },
    );
    await w.refused(
      'consult',
      { agentId: 'agent-8', consultantId: 'agent-3' },
      {
        code: 'CONVERSATION.NOT_HELD_BY_AGENT',
        allowedActions: [...activeAllowed(channel), 'consult-end'],
      },
    );
    await w.step('consult-end', { consultantId: 'agent-2' }, 'active', [ev.consultEnded('agent-2')]);
    await w.refused('consult-end', { consultantId: 'agent-2' }, { allowedActions: activeAllowed(channel) });
    await w.step('monitor', { supervisorId: 'sup-2' }, 'active', [ev.monitoringStarted('sup-2')]);
    await w.expectView({
      status: 'active',
      agentId: 'agent-1',
      consultants: [],
      supervisors: ['sup-1', 'sup-2'],
      allowedActions: activeAllowed(channel),
    });
    await w.expectHistory();
  });
});

describe.each(NOT_RECORD)('%s: agent connection', (channel) => {
  it('agent disconnect then reconnect keeps it active with the same agent', async () => {
    const w = newWalk(`agent-conn-${channel}`);
    await w.open(channel);
    await w.step('pick', { agentId: 'agent-1' }, 'active', [ev.picked('agent-1')]);
    const at = t.clock.now().toISOString();
    await w.step('agent-disconnect', { agentId: 'agent-1' }, 'active', [ev.agentDisconnected('agent-1')]);
    const whileDisconnected = [...allowed.agentDisconnected, ...liveChatExtras(channel)];
    await w.expectView({
      status: 'active',
      agentId: 'agent-1',
      agentConnected: false,
      agentDisconnectedAt: at,
      allowedActions: whileDisconnected,
    });
    await w.refused('end', { by: 'agent', agentId: 'agent-1' }, { allowedActions: whileDisconnected });
    await w.refused(
      'agent-reconnect',
      { agentId: 'agent-2' },
      { code: 'CONVERSATION.NOT_HELD_BY_AGENT', allowedActions: whileDisconnected },
    );
    await w.step('agent-reconnect', { agentId: 'agent-1' }, 'active', [ev.agentReconnected('agent-1')]);
    await w.expectView({ status: 'active', agentId: 'agent-1', agentConnected: true, allowedActions: activeAllowed(channel) });
    await w.step('end', { by: 'agent', agentId: 'agent-1' }, 'wrap_up', [ev.endedByAgent('agent-1')]);
    await w.expectHistory();
  });
});

describe('supervisor force close', () => {
  type Setup = (w: ConversationWalk) => Promise<{ status: string; agentId?: string }>;
  const setups: Array<[string, string, Setup]> = [
    ['open', 'live_chat', async () => ({ status: 'open' })],
    [
      'active (picked)',
      'sms',
      async (w) => {
        await w.step('pick', { agentId: 'agent-1' }, 'active', [ev.picked('agent-1')]);
        return { status: 'active', agentId: 'agent-1' };
      },
    ],
    [
      'active (awaiting acceptance)',
      'voice',
      async (w) => {
        await w.step('assign', { agentId: 'agent-1', supervisorId: 'sup-1' }, 'active', [ev.pushedBySupervisor('sup-1')]);
        return { status: 'active', agentId: 'agent-1' };
      },
    ],
    [
      'active (agent disconnected)',
      'teams',
      async (w) => {
        await w.step('pick', { agentId: 'agent-1' }, 'active', [ev.picked('agent-1')]);
        await w.step('agent-disconnect', { agentId: 'agent-1' }, 'active', [ev.agentDisconnected('agent-1')]);
        return { status: 'active', agentId: 'agent-1' };
      },
    ],
    [
      'active (record)',
      'record',
      async (w) => {
        await w.step('pick', { agentId: 'agent-1' }, 'active', [ev.picked('agent-1')]);
        return { status: 'active', agentId: 'agent-1' };
      },
    ],
    [
      'waiting',
      'persistent_chat',
      async (w) => {
        await w.step('pick', { agentId: 'agent-1' }, 'active', [ev.picked('agent-1')]);
        await w.step('close-session', { agentId: 'agent-1' }, 'waiting', [ev.parked('agent-1')]);
        return { status: 'waiting', agentId: 'agent-1' };
      },
    ],
    [
      'wrap_up',
      'social',
      async (w) => {
        await w.step('pick', { agentId: 'agent-1' }, 'active', [ev.picked('agent-1')]);
        await w.step('end', { by: 'agent', agentId: 'agent-1' }, 'wrap_up', [ev.endedByAgent('agent-1')]);
        return { status: 'wrap_up', agentId: 'agent-1' };
      },
    ],
  ];

  it.each(setups)(
    'from %s (%s): closed with the supervisor and reason in the history; then every command is refused',
    async (_label, channel, setup) => {
      const w = newWalk(`force-close-${channel}`);
      await w.open(channel);
      const before = await setup(w);
      await w.expectView({ status: before.status as never, agentId: before.agentId });
      const closedAt = t.clock.now().toISOString();
      await w.step('close', { supervisorId: 'sup-9', reason: 'customer_request_by_phone' }, 'closed', [
        ev.forceClosed('sup-9', 'customer_request_by_phone'),
      ]);
      await w.expectView({
        status: 'closed',
        agentId: undefined,
        allowedActions: [],
        closedAt,
        closedBy: { kind: 'supervisor', id: 'sup-9' },
        closeReason: 'customer_request_by_phone',
      });
      const history = await w.expectHistory();
      expect(history.body.events.at(-1).details).toEqual({ supervisorId: 'sup-9' });
      await expectClosedRefusesEverything(t, w, before.agentId ?? 'agent-1');
      await w.expectHistory();
    },
  );
});

describe('history', () => {
  it('events carry the clock time of their request, not of the history read', async () => {
    const w = newWalk('times');
    const openedAt = t.clock.now().toISOString();
    await w.open('sms');
    t.clock.advance(3 * 60 * 60 * 1000);
    const history = await w.expectHistory();
    expect(history.body.events[0].at).toBe(openedAt);
    expect(new Date(t.clock.now()).getTime() - new Date(openedAt).getTime()).toBe(3 * 60 * 60 * 1000 + STEP_MS);
  });
});
