import type { Channel } from './conversation.channel';
import { DEFAULT_TIMER_POLICY, timerCommand, timerDueAt, timerDurationMs } from './conversation.timer-policy';
import type { LiveStatus, RunningTimer } from './conversation.timers';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const SINCE = '2026-01-01T00:00:00.000Z';

describe('default timer policy (docs/architecture.md, "Timers")', () => {
  // channel, open, active, waiting, wrap_up; null is "never"
  const table: Array<[Channel, number | null, number | null, number | null, number | null]> = [
    ['live_chat', 20 * MINUTE, null, null, 15 * MINUTE],
    ['voice', 30 * DAY, 2 * HOUR, null, DAY],
    ['sms', 30 * DAY, 30 * DAY, 30 * DAY, DAY],
    ['social', 30 * DAY, 30 * DAY, 30 * DAY, DAY],
    ['teams', 30 * DAY, 30 * DAY, 30 * DAY, DAY],
    ['persistent_chat', 30 * DAY, 30 * DAY, 30 * DAY, DAY],
    ['record', null, null, null, null],
  ];

  it.each(table)('%s auto-closes open after %p ms, active after %p, waiting after %p, wrap-up after %p', (channel, ...durations) => {
    const statuses: LiveStatus[] = ['open', 'active', 'waiting', 'wrap_up'];
    statuses.forEach((status, index) => {
      expect(timerDurationMs({ kind: 'auto_close', since: SINCE, status }, channel, DEFAULT_TIMER_POLICY)).toBe(durations[index]);
    });
  });

  it('live-chat customer disconnect 3 min, push reservation 120 s, agent disconnect 5 min, waiting inactivity 7 days', () => {
    const duration = (kind: RunningTimer['kind']) =>
      timerDurationMs({ kind, since: SINCE, status: 'active' }, 'live_chat', DEFAULT_TIMER_POLICY);
    expect(duration('customer_disconnect')).toBe(3 * MINUTE);
    expect(duration('push_reservation')).toBe(120_000);
    expect(duration('agent_disconnect')).toBe(5 * MINUTE);
    expect(duration('inactivity')).toBe(7 * DAY);
  });
});

describe('timer commands', () => {
  const NOW = '2026-01-01T00:20:00.000Z';

  it('auto-close names the status its duration was chosen for, so a sweep racing a status change changes nothing', () => {
    const timer: RunningTimer = { kind: 'auto_close', since: SINCE, status: 'open' };
    expect(timerCommand(timer, 'live_chat', DEFAULT_TIMER_POLICY, NOW)).toEqual({
      type: 'AutoClose',
      data: { afterMs: 20 * MINUTE, forStatus: 'open' },
      metadata: { now: NOW },
    });
    expect(timerDueAt(timer, 'live_chat', DEFAULT_TIMER_POLICY)).toBe('2026-01-01T00:20:00.000Z');
  });

  it.each<[RunningTimer['kind'], string, string]>([
    ['push_reservation', 'ExpirePushReservation', 'timeoutMs'],
    ['agent_disconnect', 'TimeOutAgentDisconnect', 'timeoutMs'],
    ['customer_disconnect', 'TimeOutCustomerDisconnect', 'timeoutMs'],
    ['inactivity', 'CloseForInactivity', 'timeoutMs'],
  ])('%s expires with %s carrying the policy duration', (kind, type, field) => {
    const command = timerCommand({ kind, since: SINCE, status: 'active' }, 'sms', DEFAULT_TIMER_POLICY, NOW);
    expect(command?.type).toBe(type);
    expect((command?.data as Record<string, unknown>)[field]).toBe(
      timerDurationMs({ kind, since: SINCE, status: 'active' }, 'sms', DEFAULT_TIMER_POLICY),
    );
  });

  it('a timer the policy sets to never has no due time and no command', () => {
    const timer: RunningTimer = { kind: 'auto_close', since: SINCE, status: 'active' };
    expect(timerDueAt(timer, 'live_chat', DEFAULT_TIMER_POLICY)).toBeUndefined();
    expect(timerCommand(timer, 'live_chat', DEFAULT_TIMER_POLICY, NOW)).toBeUndefined();
  });
});
