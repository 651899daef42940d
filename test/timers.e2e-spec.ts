/**
 * Timers through the whole service on a fake clock: each kind fires at its due time and not a
 * millisecond before, each is cancelled by what clears its condition, auto-close follows the
 * per-channel table, and what automation writes says so in the audit trail.
 *
 * The scheduler's own loop is slowed to an hour so that only the passes a test runs happen
 * (besides the one at start, on an empty log); the real-clock suite proves the loop.
 */
import { DEFAULT_TIMER_POLICY, type Channel, type LiveStatus } from '@lib/domain';
import { startApp, type TestApp } from './support/start-app';
import { fireDueTimers, historyOf, statusOf } from './support/timers';
import { ViewDriver } from './support/view-driver';

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const AGENT = 'agent-1';

describe('timers (fake clock)', () => {
  let t: TestApp;
  let drive: ViewDriver;
  /** Settings of the app the next test starts with (a describe may change them). */
  let env: Record<string, string> = {};

  beforeEach(async () => {
    t = await startApp({ env: { TIMERS: 'on', TIMER_POLL_INTERVAL: '1h', ...env } });
    drive = new ViewDriver(t);
  });

  afterEach(async () => {
    await t.close();
  });

  /** Starts this describe's apps with these settings on top of the defaults. */
  const withSettings = (settings: Record<string, string>) => {
    beforeAll(() => {
      env = settings;
    });
    afterAll(() => {
      env = {};
    });
  };

  const fire = (options: { sweep?: boolean } = {}) => fireDueTimers(t, drive.position, options);
  const lastEvent = async (id: string) => {
    const history = await historyOf(t, id);
    return history[history.length - 1];
  };

  /** Moves the clock to 1 ms before `dueInMs` from now, checks nothing fires, then to the due time. */
  async function expectFiresExactlyAfter(dueInMs: number, id: string, statusBefore: string, options: { sweep?: boolean } = {}) {
    drive.advance(dueInMs - 1);
    const early = await fire(options);
    expect(early.fired).toBe(0);
    expect(await statusOf(t, id)).toBe(statusBefore);
    drive.advance(1);
    const onTime = await fire(options);
    expect(onTime.fired).toBe(1);
  }

  describe('push reservation (120 s)', () => {
    it('sends an unaccepted push back to its queue at the due time, not a millisecond before', async () => {
      await drive.open('p1');
      await drive.assign('p1', AGENT);
      await expectFiresExactlyAfter(120 * SECOND, 'p1', 'active');
      expect(await statusOf(t, 'p1')).toBe('open');
      expect(await lastEvent('p1')).toMatchObject({
        type: 'ConversationPushReservationExpired',
        actor: { kind: 'system', id: 'push-reservation-timer' },
        reason: 'push_reservation_timeout',
        details: { agentId: AGENT, timeoutMs: 120_000 },
      });
    });

    it.each([
      ['accepted', (id: string) => drive.accept(id, AGENT), 'active'],
      ['rejected', (id: string) => drive.reject(id, AGENT), 'open'],
    ])('is cancelled when the push is %s', async (_how, answer, expected) => {
      await drive.open('p2');
      await drive.assign('p2', AGENT);
      drive.advance(MINUTE);
      await answer('p2');
      drive.advance(10 * MINUTE);
      expect((await fire()).fired).toBe(0);
      expect(await statusOf(t, 'p2')).toBe(expected);
    });
  });

  describe('agent disconnect (5 min)', () => {
    it('requeues the conversation of an agent who did not come back', async () => {
      await drive.open('a1');
      await drive.pick('a1', AGENT);
      await drive.command('/api/conversations/a1/agent-disconnect', { agentId: AGENT });
      await expectFiresExactlyAfter(5 * MINUTE, 'a1', 'active');
      expect(await statusOf(t, 'a1')).toBe('open');
      expect(await lastEvent('a1')).toMatchObject({
        type: 'ConversationRequeuedAfterAgentDisconnect',
        actor: { kind: 'system', id: 'agent-disconnect-timer' },
        details: { timeoutMs: 5 * MINUTE },
      });
    });

    it('is cancelled by a reconnect, and a later disconnect starts a new wait', async () => {
      await drive.open('a2');
      await drive.pick('a2', AGENT);
      await drive.command('/api/conversations/a2/agent-disconnect', { agentId: AGENT });
      drive.advance(4 * MINUTE);
      await drive.command('/api/conversations/a2/agent-reconnect', { agentId: AGENT });
      drive.advance(10 * MINUTE);
      expect((await fire()).fired).toBe(0);
      await drive.command('/api/conversations/a2/agent-disconnect', { agentId: AGENT });
      await expectFiresExactlyAfter(5 * MINUTE, 'a2', 'active');
    });
  });

  describe('live-chat customer disconnect (3 min)', () => {
    it('closes an open chat whose customer left, and wraps up an active one', async () => {
      await drive.open('c1');
      await drive.open('c2');
      await drive.pick('c2', AGENT);
      await drive.command('/api/conversations/c1/customer-disconnect', {});
      await drive.command('/api/conversations/c2/customer-disconnect', {});
      drive.advance(3 * MINUTE - 1);
      expect((await fire()).fired).toBe(0);
      drive.advance(1);
      expect((await fire()).fired).toBe(2);
      expect(await statusOf(t, 'c1')).toBe('closed');
      expect(await statusOf(t, 'c2')).toBe('wrap_up');
      expect(await lastEvent('c1')).toMatchObject({
        type: 'ConversationAbandonedByCustomer',
        actor: { kind: 'system', id: 'customer-disconnect-timer' },
      });
      expect(await lastEvent('c2')).toMatchObject({
        type: 'ConversationEndedByCustomer',
        actor: { kind: 'system', id: 'customer-disconnect-timer' },
      });
    });

    it('is cancelled by a reconnect', async () => {
      await drive.open('c3');
      await drive.command('/api/conversations/c3/customer-disconnect', {});
      drive.advance(2 * MINUTE);
      await drive.command('/api/conversations/c3/customer-reconnect', {});
      drive.advance(5 * MINUTE);
      expect((await fire()).fired).toBe(0);
      expect(await statusOf(t, 'c3')).toBe('open');
    });
  });

  describe('waiting inactivity (7 days)', () => {
    it('closes a waiting conversation without activity, counting from the last message of either side', async () => {
      await drive.open('w1', { channel: 'sms' });
      await drive.pick('w1', AGENT);
      await drive.closeSession('w1', AGENT, 'waiting');
      drive.advance(5 * DAY);
      // The agent writes while it waits: the inactivity clock starts again.
      await drive.agentMessage('w1', AGENT);
      drive.advance(4 * DAY);
      expect((await fire()).fired).toBe(0);
      await expectFiresExactlyAfter(3 * DAY, 'w1', 'waiting');
      expect(await lastEvent('w1')).toMatchObject({
        type: 'ConversationClosedForInactivity',
        actor: { kind: 'system', id: 'inactivity-timer' },
        reason: 'no_activity_while_waiting',
        details: { timeoutMs: 7 * DAY },
      });
    });

    it('is cancelled when the conversation leaves waiting', async () => {
      await drive.open('w2', { channel: 'sms' });
      await drive.pick('w2', AGENT);
      await drive.closeSession('w2', AGENT, 'waiting');
      drive.advance(DAY);
      await drive.revive('w2', AGENT);
      drive.advance(31 * DAY);
      const pass = await fire();
      // The active sms conversation auto-closes after 30 days on the sweep; inactivity never fires.
      expect((await historyOf(t, 'w2')).map((line) => line.type)).not.toContain('ConversationClosedForInactivity');
      expect(pass.fired).toBe(1);
      expect(await lastEvent('w2')).toMatchObject({ type: 'ConversationAutoClosed', details: { fromStatus: 'active' } });
    });
  });

  describe('auto-close per channel and status (docs/architecture.md, "Timers")', () => {
    // Longer than the 30 days of the waiting auto-close, so that one is what fires.
    withSettings({ WAITING_INACTIVITY_TIMEOUT: '60d' });

    /** Brings a fresh conversation of `channel` to `status` through the API. */
    async function conversationIn(id: string, channel: Channel, status: LiveStatus): Promise<void> {
      await drive.open(id, { channel });
      if (status === 'open') return;
      await drive.pick(id, AGENT);
      if (status === 'waiting') await drive.closeSession(id, AGENT, 'waiting');
      if (status === 'wrap_up') await drive.endByAgent(id, AGENT);
    }

    const cases: Array<[Channel, LiveStatus, number | null]> = [];
    for (const [channel, durations] of Object.entries(DEFAULT_TIMER_POLICY.autoClose) as Array<
      [Channel, Record<LiveStatus, number | null>]
    >) {
      for (const status of ['open', 'active', 'waiting', 'wrap_up'] as const) {
        const reachable =
          (status !== 'waiting' || ['sms', 'social', 'teams', 'persistent_chat'].includes(channel)) &&
          (status !== 'wrap_up' || channel !== 'record');
        if (reachable) cases.push([channel, status, durations[status]]);
      }
    }

    it.each(cases.filter(([, , ms]) => ms !== null))('%s %s closes after %p ms, not a millisecond before', async (channel, status, ms) => {
      const id = `ac-${channel}-${status}`;
      await conversationIn(id, channel, status);
      await expectFiresExactlyAfter(ms as number, id, status, { sweep: true });
      const voiceCall = channel === 'voice' && status === 'active';
      expect(await statusOf(t, id)).toBe(voiceCall ? 'wrap_up' : 'closed');
      expect(await lastEvent(id)).toMatchObject({
        type: voiceCall ? 'ConversationAutoMovedToWrapUp' : 'ConversationAutoClosed',
        actor: { kind: 'system', id: 'auto-close' },
        reason: `auto_close_after_${status}_${ms}ms`,
        details: { afterMs: ms },
      });
    });

    it.each(cases.filter(([, , ms]) => ms === null))('%s %s never auto-closes', async (channel, status) => {
      const id = `ac-${channel}-${status}`;
      await conversationIn(id, channel, status);
      drive.advance(400 * DAY);
      expect((await fire({ sweep: true })).fired).toBe(0);
      expect(await statusOf(t, id)).toBe(status);
    });

    it('runs as a sweep every 5 minutes of the clock: a due conversation waits for the next sweep', async () => {
      // The pass the scheduler ran at start swept at minute 0.
      await drive.open('s1');
      drive.advance(4 * MINUTE);
      expect((await fire()).swept).toBe(false);
      drive.advance(MINUTE);
      expect((await fire()).swept).toBe(true);
      // Due at minute 20. The sweep at 19:30 finds nothing due; at 23:30 it is due but no sweep
      // is (the next is at 24:30), so it waits for that one.
      drive.advance(14 * MINUTE + 30 * SECOND);
      expect(await fire()).toMatchObject({ swept: true, fired: 0 });
      drive.advance(4 * MINUTE);
      expect(await fire()).toMatchObject({ swept: false, fired: 0 });
      drive.advance(MINUTE);
      expect(await fire()).toMatchObject({ swept: true, fired: 1 });
      expect(await statusOf(t, 's1')).toBe('closed');
    });

    it.each([
      ['a supervisor starts monitoring', 'open', (id: string) => drive.monitor(id, 'sup-1')],
      [
        'a consult starts',
        'active',
        (id: string) => drive.command(`/api/conversations/${id}/consult`, { agentId: AGENT, consultantId: 'agent-2' }),
      ],
      ['it is transferred to another agent', 'active', (id: string) => drive.transferToAgent(id, AGENT, 'agent-2')],
    ] as const)('restarts when %s', async (_what, status, restart) => {
      // Voice: open 30 days, active 2 hours (to wrap-up).
      const id = `restart-${status}-${drive.sent.length}`;
      await conversationIn(id, 'voice', status);
      const duration = DEFAULT_TIMER_POLICY.autoClose.voice[status] as number;
      drive.advance(duration / 2);
      await restart(id);
      drive.advance(duration / 2);
      expect((await fire({ sweep: true })).fired).toBe(0);
      await expectFiresExactlyAfter(duration / 2, id, status, { sweep: true });
    });
  });

  it('/health shows the scheduler and what its last pass did', async () => {
    await drive.open('h1');
    await drive.assign('h1', AGENT);
    drive.advance(120 * SECOND);
    await fire();
    const health = await t.get('/health');
    expect(health.statusCode).toBe(200);
    expect(health.body.checks.timers).toEqual({
      status: 'ok',
      lastPass: { at: drive.now, fired: 1, alreadyFired: 0, outdated: 0, failed: 0, swept: false },
    });
  });

  it('a conversation closed by a person before its timer is due has no timer left', async () => {
    await drive.open('x1');
    await drive.assign('x1', AGENT);
    await drive.forceClose('x1', 'sup-1', 'spam');
    drive.advance(30 * DAY);
    expect(await fire({ sweep: true })).toMatchObject({ fired: 0, outdated: 0 });
  });
});
